import { CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as iot from 'aws-cdk-lib/aws-iot';
import { Construct } from 'constructs';
import { LAMBDA_ENV } from '../../../functions/lambda/env.ts';
import { acknowledgeWildcardResources } from '../nagAcknowledgements.ts';
import { grantObjects, type ObjectArea } from '../objectAccess.ts';
import { HandlerFunction } from './handlerFunction.ts';

export interface BridgeIdentitiesProps {
  /** Where each identity is stored (`bridges/<id>/mqtt.json`); must have its KMS key. */
  readonly credentials: ObjectArea;
  readonly bridgeIds: readonly string[];
  /** The bridges' IoT policies: the identities are attached to them, so they exist first. */
  readonly policies: readonly iot.CfnPolicy[];
}

/**
 * The bridge identities of the pool, made at deploy: a Lambda-backed custom resource
 * (functions/lambda/bridgeIdentitiesResource.ts) that, for each id without a usable one, creates the
 * thing `bridge:<id>`, a certificate attached to it and to `lwm2m-bridge-<id>`, and stores both
 * halves in the credentials bucket (SSE-KMS) in the same step. Growing the pool (maxTasks) adds
 * identities on the next deploy; deleting the stack leaves them, like the retained policies.
 *
 * Its role may touch only bridge things (`thing/bridge:*`), bridge policies
 * (`policy/lwm2m-bridge-*`) and certificates, and only `bridges/` of the bucket.
 */
export class BridgeIdentities extends Construct {
  readonly creator: HandlerFunction;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: BridgeIdentitiesProps) {
    super(scope, id);
    if (props.credentials.key === undefined) throw new Error('BridgeIdentities needs the credentials area with its KMS key: every put names it.');
    const stack = Stack.of(this);
    this.creator = new HandlerFunction(this, 'Creator', {
      handler: 'bridgeIdentities',
      environment: {
        [LAMBDA_ENV.credentialsBucket]: props.credentials.bucket.bucketName,
        [LAMBDA_ENV.credentialsKeyArn]: props.credentials.key.keyArn,
        [LAMBDA_ENV.awsAccountId]: stack.account,
        [LAMBDA_ENV.awsPartition]: stack.partition,
      },
      // A handful of IoT calls per identity; most of the time goes to the response to CloudFormation.
      timeout: Duration.minutes(5),
    });
    const role = this.creator.role;
    grantObjects(role, props.credentials, ['read', 'write'], 'bridges/');

    const arn = (resource: string) => stack.formatArn({ service: 'iot', resource });
    const things = arn('thing/bridge:*');
    const policies = arn('policy/lwm2m-bridge-*');
    const certs = arn('cert/*');
    const statements: [string[], string[]][] = [
      [['iot:CreateThing', 'iot:DescribeThing', 'iot:UpdateThing'], [things]],
      [['iot:CreatePolicy', 'iot:CreatePolicyVersion', 'iot:DeletePolicyVersion', 'iot:GetPolicy', 'iot:ListPolicyVersions'], [policies]],
      [['iot:AttachPolicy'], [certs, policies]],
      [['iot:AttachThingPrincipal'], [certs, things]],
      [['iot:DeleteCertificate', 'iot:DescribeCertificate', 'iot:UpdateCertificate'], [certs]],
      // No resource type in IAM for these two (Service Authorization Reference).
      [['iot:CreateKeysAndCertificate', 'iot:ListPrincipalThings'], ['*']],
    ];
    for (const [actions, resources] of statements) role.addToPolicy(new iam.PolicyStatement({ actions, resources }));
    acknowledgeWildcardResources(role, [things, policies, certs], 'Bridge things, bridge policies and their certificates only: the pool grows with maxTasks, and certificate ids are made by IoT.');
    acknowledgeWildcardResources(role, ['*'], 'iot:CreateKeysAndCertificate and iot:ListPrincipalThings have no resource type in IAM; "*" is the only resource they can be granted on.');

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.creator.fn.functionArn,
      resourceType: 'Custom::BridgeIdentities',
      properties: { BridgeIds: [...props.bridgeIds] },
    });
    for (const policy of props.policies) this.resource.node.addDependency(policy);
  }
}
