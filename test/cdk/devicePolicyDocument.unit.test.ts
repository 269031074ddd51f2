import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { devicePolicy } from '../../functions/registry/devicePolicy.ts';
import { devicePolicyFor } from '../../infra/cdk/devicePolicyDocument.ts';
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
