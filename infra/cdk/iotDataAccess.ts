import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { acknowledgeWildcardResources } from './nagAcknowledgements.ts';

/** `arn:<partition>:iot:<region>:<account>:topic/<topic>`: the resource iot:Publish is granted on. */
export const iotTopicArn = (scope: iam.Role, topic: string): string => Stack.of(scope).formatArn({ service: 'iot', resource: 'topic', resourceName: topic });

/**
 * iot:Publish through the data plane on these topics only. A topic's levels are data (bridge ids,
 * thing names), so a pattern holds `*` where a level's value goes and names every fixed level.
 */
export const grantIotPublish = (grantee: iam.Role, topics: readonly string[]): void => {
  const resources = topics.map((t) => iotTopicArn(grantee, t));
  grantee.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['iot:Publish'], resources }));
  acknowledgeWildcardResources(grantee, resources, `iot:Publish on ${topics.join(', ')}: the wildcards stand for bridge ids and thing names; every fixed level is named.`);
};

/** iot:DescribeEndpoint, to find the account's data endpoint at run time (the stack is synthesized without an account). */
export const grantIotEndpointLookup = (grantee: iam.Role): void => {
  grantee.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['iot:DescribeEndpoint'], resources: ['*'] }));
  acknowledgeWildcardResources(grantee, ['*'], 'iot:DescribeEndpoint has no resource type in IAM: the task looks up the account\'s IoT data endpoint (iot:Data-ATS) once per container.');
};
