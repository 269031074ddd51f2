import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { devicePolicy, iotArnPrefix, type ArnContext } from '../../functions/registry/devicePolicy.ts';
import type { PolicyDocument } from '../../functions/registry/policyEvaluator.ts';

// devicePolicy() validates its ARN context, so CDK tokens cannot go in directly. It is built with
// this placeholder context instead, and the placeholder prefix is then swapped for the stack's
// partition, region and account (tokens in an environment-agnostic stack). The document is
// otherwise exactly the one the embedded broker enforces.
const PLACEHOLDER: ArnContext = { partition: 'aws-cdkplaceholder', region: 'cdk-placeholder-region', accountId: '000000000000' };

const replaceDeep = (value: unknown, from: string, to: string): unknown => {
  if (typeof value === 'string') return value.split(from).join(to);
  if (Array.isArray(value)) return value.map((v) => replaceDeep(v, from, to));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceDeep(v, from, to)]));
  }
  return value;
};

/** The device policy document for the account and region the stack deploys to. */
export const devicePolicyFor = (scope: IConstruct): PolicyDocument => {
  const stack = Stack.of(scope);
  const prefix = `arn:${stack.partition}:iot:${stack.region}:${stack.account}:`;
  const document = replaceDeep(devicePolicy(PLACEHOLDER), iotArnPrefix(PLACEHOLDER), prefix) as PolicyDocument;
  if (JSON.stringify(document).includes(PLACEHOLDER.region)) {
    throw new Error('The device policy kept a placeholder ARN: devicePolicy() builds ARNs another way now; update infra/cdk/devicePolicyDocument.ts.');
  }
  return document;
};
