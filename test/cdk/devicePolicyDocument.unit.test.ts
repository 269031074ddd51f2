import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { bridgePolicy, devicePolicy, iotResources } from '../../functions/registry/devicePolicy.ts';
import { compilePolicy, type PolicyDocument } from '../../functions/registry/policyEvaluator.ts';
import { topics } from '../../schemas/topics/topics.ts';
import { bridgePolicyFor, devicePolicyFor } from '../../infra/cdk/devicePolicyDocument.ts';
import { resolvePseudo } from './templateValues.ts';

describe('device policy in the CDK app', () => {
  it('is devicePolicy() with the ARNs of a stack deployed to a known account and region', () => {
    const stack = new Stack(new App(), 'Known', { env: { account: '210987654321', region: 'ap-southeast-2' } });
    // CDK keeps the partition a Ref even when account and region are known; resolvePseudo makes it "aws".
    expect(resolvePseudo(stack.resolve(devicePolicyFor(stack)))).toEqual(devicePolicy({ partition: 'aws', region: 'ap-southeast-2', accountId: '210987654321' }));
  });

  it('keeps ${iot:...} policy variables literal and leaves no placeholder in an environment-agnostic stack', () => {
    const stack = new Stack(new App(), 'Agnostic');
    const text = JSON.stringify(stack.resolve(devicePolicyFor(stack)));
    expect(text).toContain('${iot:Connection.Thing.ThingName}');
    expect(text).not.toContain('placeholder');
    expect(text).toContain('{"Ref":"AWS::AccountId"}');
  });
});

describe('bridge policy in the CDK app', () => {
  const known = { partition: 'aws', region: 'ap-southeast-2', accountId: '210987654321' };

  it('is bridgePolicy() with the stack’s ARNs, and lets the bridge publish its auth-failed reports and no other bridge’s', () => {
    const stack = new Stack(new App(), 'KnownBridge', { env: { account: known.accountId, region: known.region } });
    const document = resolvePseudo(stack.resolve(bridgePolicyFor(stack, 'fargate-1'))) as PolicyDocument;
    expect(document).toEqual(bridgePolicy('fargate-1', known));
    const r = iotResources(known);
    const bridge = compilePolicy(document, { thingName: 'bridge:fargate-1', clientId: 'bridge:fargate-1', isAttached: true });
    expect(bridge.allows('iot:Publish', r.topic(topics.bridgeAuthFailed('fargate-1')))).toBe(true);
    expect(bridge.allows('iot:Publish', r.topic(topics.bridgeAuthFailed('fargate-2')))).toBe(false);
    expect(bridge.allows('iot:Receive', r.topic(topics.bridgeAuthFailed('fargate-1')))).toBe(false);
  });
});
