import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { bridgePolicy, devicePolicy, iotArnPrefix, type ArnContext } from '../../functions/registry/devicePolicy.ts';
import type { PolicyDocument } from '../../functions/registry/policyEvaluator.ts';

// devicePolicy() and bridgePolicy() validate their ARN context, so CDK tokens cannot go in
// directly. They are built with this placeholder context instead, and the placeholder prefix is
// then swapped for the stack's partition, region and account (tokens in an environment-agnostic
// stack). The documents are otherwise exactly the ones the embedded broker enforces.
const PLACEHOLDER: ArnContext = { partition: 'aws-cdkplaceholder', region: 'cdk-placeholder-region', accountId: '000000000000' };

const replaceDeep = (value: unknown, from: string, to: string): unknown => {
  if (typeof value === 'string') return value.split(from).join(to);
  if (Array.isArray(value)) return value.map((v) => replaceDeep(v, from, to));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceDeep(v, from, to)]));
  }
  return value;
};

/** An IoT policy document built by runtime code, for the account and region the stack deploys to. */
export const iotPolicyFor = (scope: IConstruct, build: (arn: ArnContext) => PolicyDocument): PolicyDocument => {
  const stack = Stack.of(scope);
  const prefix = `arn:${stack.partition}:iot:${stack.region}:${stack.account}:`;
  const document = replaceDeep(build(PLACEHOLDER), iotArnPrefix(PLACEHOLDER), prefix) as PolicyDocument;
  if (JSON.stringify(document).includes(PLACEHOLDER.region)) {
    throw new Error('An IoT policy kept a placeholder ARN: functions/registry/devicePolicy.ts builds ARNs another way now; update infra/cdk/devicePolicyDocument.ts.');
  }
  return document;
};

/** The device policy document (functions/registry/devicePolicy.ts) for this stack. */
export const devicePolicyFor = (scope: IConstruct): PolicyDocument => iotPolicyFor(scope, devicePolicy);

/** One bridge's policy document for this stack. */
export const bridgePolicyFor = (scope: IConstruct, bridgeId: string): PolicyDocument => iotPolicyFor(scope, (arn) => bridgePolicy(bridgeId, arn));
