import { describe, expect, it } from 'vitest';
import { compilePolicy, evaluatePolicy, parsePolicyDocument, PolicyError, type PolicyDocument, type PolicyStatement } from '../../functions/registry/policyEvaluator.ts';

const ARN = 'arn:aws:iot:local:000000000000:';
const doc = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const allow = (Action: string | string[], Resource: string | string[], extra: Partial<PolicyStatement> = {}): PolicyStatement => ({ Effect: 'Allow', Action, Resource, ...extra });
const deny = (Action: string | string[], Resource: string | string[], extra: Partial<PolicyStatement> = {}): PolicyStatement => ({ Effect: 'Deny', Action, Resource, ...extra });
const ctx = { thingName: 'meter-1', clientId: 'meter-1', isAttached: true };

describe('decisions', () => {
  it('denies implicitly when nothing matches, and an explicit deny beats any allow', () => {
    const policy = compilePolicy(doc(allow('iot:Publish', `${ARN}topic/dt/*`), deny('iot:Publish', `${ARN}topic/dt/secret`)), ctx);
    expect(policy.decide('iot:Publish', `${ARN}topic/dt/open`)).toBe('allow');
    expect(policy.decide('iot:Publish', `${ARN}topic/dt/secret`)).toBe('explicit-deny');
    expect(policy.decide('iot:Publish', `${ARN}topic/cmd/x`)).toBe('implicit-deny');
    expect(policy.decide('iot:Subscribe', `${ARN}topicfilter/dt/open`)).toBe('implicit-deny');
  });

  it('lets a deny in one attached document beat an allow in another', () => {
    const docs = [doc(allow('iot:Publish', `${ARN}topic/*`)), doc(deny('iot:Publish', `${ARN}topic/cmd/*`))];
    expect(evaluatePolicy(docs, { action: 'iot:Publish', resource: `${ARN}topic/dt/a`, context: ctx })).toBe('allow');
    expect(evaluatePolicy(docs, { action: 'iot:Publish', resource: `${ARN}topic/cmd/a`, context: ctx })).toBe('explicit-deny');
  });
});

describe('wildcards', () => {
  it('lets "*" span any characters, slashes included, and "?" exactly one', () => {
    const policy = compilePolicy(doc(allow('iot:Publish', [`${ARN}topic/a/*/z`, `${ARN}topic/q/?`])), ctx);
    expect(policy.allows('iot:Publish', `${ARN}topic/a/b/z`)).toBe(true);
    expect(policy.allows('iot:Publish', `${ARN}topic/a/b/c/z`)).toBe(true);
    expect(policy.allows('iot:Publish', `${ARN}topic/a/b/y`)).toBe(false);
    expect(policy.allows('iot:Publish', `${ARN}topic/q/1`)).toBe(true);
    expect(policy.allows('iot:Publish', `${ARN}topic/q/12`)).toBe(false);
    expect(policy.allows('iot:Publish', `${ARN}topic/q/`)).toBe(false);
  });

  it('matches resources case-sensitively and actions case-insensitively, with wildcards', () => {
    const policy = compilePolicy(doc(allow('IOT:pub*', `${ARN}topic/Dt`)), ctx);
    expect(policy.allows('iot:Publish', `${ARN}topic/Dt`)).toBe(true);
    expect(policy.allows('iot:Publish', `${ARN}topic/dt`)).toBe(false);
    expect(policy.allows('iot:Subscribe', `${ARN}topic/Dt`)).toBe(false);
  });

  it('treats regex characters in a resource literally', () => {
    const policy = compilePolicy(doc(allow('iot:Subscribe', `${ARN}topicfilter/a/+/b.c`)), ctx);
    expect(policy.allows('iot:Subscribe', `${ARN}topicfilter/a/+/b.c`)).toBe(true);
    expect(policy.allows('iot:Subscribe', `${ARN}topicfilter/a/x/b.c`)).toBe(false);
    expect(policy.allows('iot:Subscribe', `${ARN}topicfilter/a/+/bxc`)).toBe(false);
  });
});

describe('policy variables', () => {
  const own = doc(allow('iot:Publish', `${ARN}topic/dt/\${iot:Connection.Thing.ThingName}/*`));

  it('substitutes the thing name, so each device gets only its own subtree', () => {
    expect(evaluatePolicy(own, { action: 'iot:Publish', resource: `${ARN}topic/dt/meter-1/state`, context: ctx })).toBe('allow');
    expect(evaluatePolicy(own, { action: 'iot:Publish', resource: `${ARN}topic/dt/meter-2/state`, context: ctx })).toBe('implicit-deny');
  });

  it('matches nothing when the variable has no value', () => {
    expect(evaluatePolicy(own, { action: 'iot:Publish', resource: `${ARN}topic/dt//state`, context: {} })).toBe('implicit-deny');
    expect(evaluatePolicy(own, { action: 'iot:Publish', resource: `${ARN}topic/dt/meter-1/state`, context: { clientId: 'meter-1' } })).toBe('implicit-deny');
  });

  it('takes a substituted value literally: a "*" in it widens nothing', () => {
    const sneaky = { thingName: 'm*', isAttached: true };
    expect(evaluatePolicy(own, { action: 'iot:Publish', resource: `${ARN}topic/dt/meter-2/state`, context: sneaky })).toBe('implicit-deny');
    expect(evaluatePolicy(own, { action: 'iot:Publish', resource: `${ARN}topic/dt/m*/state`, context: sneaky })).toBe('allow');
  });

  it('reads client id, extra variables case-insensitively, and the ${*} ${?} ${$} escapes', () => {
    const policy = compilePolicy(
      doc(allow('iot:Connect', `${ARN}client/\${iot:ClientId}`), allow('iot:Publish', `${ARN}topic/\${IOT:CONNECTION.THING.ATTRIBUTES[site]}/\${*}\${?}\${$}`)),
      { clientId: 'c-1', variables: { 'iot:Connection.Thing.Attributes[site]': 'north' } },
    );
    expect(policy.allows('iot:Connect', `${ARN}client/c-1`)).toBe(true);
    expect(policy.allows('iot:Connect', `${ARN}client/c-2`)).toBe(false);
    expect(policy.allows('iot:Publish', `${ARN}topic/north/*?$`)).toBe(true);
    expect(policy.allows('iot:Publish', `${ARN}topic/north/ab$`)).toBe(false);
  });

  it('fails closed on an unresolved variable in NotResource', () => {
    const exclusion = `${ARN}topic/\${iot:Connection.Thing.Attributes[missing]}`;
    const allowing = compilePolicy(doc({ Effect: 'Allow', Action: 'iot:Publish', NotResource: exclusion }), ctx);
    expect(allowing.allows('iot:Publish', `${ARN}topic/anything`)).toBe(false);
    const denying = compilePolicy(doc(allow('iot:Publish', `${ARN}topic/*`), { Effect: 'Deny', Action: 'iot:Publish', NotResource: exclusion }), ctx);
    expect(denying.decide('iot:Publish', `${ARN}topic/anything`)).toBe('explicit-deny');
  });
});

describe('NotAction and NotResource', () => {
  it('apply to everything except what they name', () => {
    const policy = compilePolicy(
      doc({ Effect: 'Allow', NotAction: 'iot:Connect', Resource: `${ARN}topic*` }, { Effect: 'Deny', Action: 'iot:Publish', NotResource: `${ARN}topic/dt/*` }),
      ctx,
    );
    expect(policy.allows('iot:Receive', `${ARN}topic/cmd/x`)).toBe(true);
    expect(policy.allows('iot:Connect', `${ARN}topic/x`)).toBe(false);
    expect(policy.decide('iot:Publish', `${ARN}topic/cmd/x`)).toBe('explicit-deny');
    expect(policy.decide('iot:Publish', `${ARN}topic/dt/x`)).toBe('allow');
  });
});

describe('conditions', () => {
  const resource = `${ARN}client/meter-1`;
  const withCondition = (Condition: PolicyStatement['Condition'], context: object = ctx) =>
    evaluatePolicy(doc(allow('iot:Connect', resource, { Condition })), { action: 'iot:Connect', resource, context });

  it.each([
    ['Bool IsAttached true, attached', { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } }, ctx, 'allow'],
    ['Bool IsAttached true, not attached', { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } }, { ...ctx, isAttached: false }, 'implicit-deny'],
    ['Bool IsAttached as a JSON boolean', { Bool: { 'iot:Connection.Thing.IsAttached': true } }, ctx, 'allow'],
    ['Bool on a missing key', { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } }, { clientId: 'meter-1' }, 'implicit-deny'],
    ['StringEquals with a variable', { StringEquals: { 'iot:ClientId': '${iot:Connection.Thing.ThingName}' } }, ctx, 'allow'],
    ['StringEquals mismatch', { StringEquals: { 'iot:ClientId': 'other' } }, ctx, 'implicit-deny'],
    ['StringEquals takes "*" literally', { StringEquals: { 'iot:ClientId': 'meter-*' } }, ctx, 'implicit-deny'],
    ['StringEquals any of a list', { StringEquals: { 'iot:ClientId': ['x', 'meter-1'] } }, ctx, 'allow'],
    ['StringEqualsIgnoreCase', { StringEqualsIgnoreCase: { 'iot:ClientId': 'METER-1' } }, ctx, 'allow'],
    ['StringLike with a wildcard', { StringLike: { 'iot:ClientId': 'meter-*' } }, ctx, 'allow'],
    ['StringNotLike', { StringNotLike: { 'iot:ClientId': 'meter-*' } }, ctx, 'implicit-deny'],
    ['StringNotEquals on a missing key', { StringNotEquals: { 'iot:Connection.Thing.Attributes[x]': 'a' } }, ctx, 'allow'],
    ['StringEquals on a missing key', { StringEquals: { 'iot:Connection.Thing.Attributes[x]': 'a' } }, ctx, 'implicit-deny'],
    ['StringEqualsIfExists on a missing key', { StringEqualsIfExists: { 'iot:Connection.Thing.Attributes[x]': 'a' } }, ctx, 'allow'],
    ['Null true on a missing key', { Null: { 'iot:Connection.Thing.Attributes[x]': 'true' } }, ctx, 'allow'],
    ['Null false on a missing key', { Null: { 'iot:Connection.Thing.Attributes[x]': 'false' } }, ctx, 'implicit-deny'],
    ['all keys and operators must hold', { Bool: { 'iot:Connection.Thing.IsAttached': 'true' }, StringEquals: { 'iot:ClientId': 'other' } }, ctx, 'implicit-deny'],
  ] as const)('%s', (_label, condition, context, expected) => {
    expect(withCondition(condition as PolicyStatement['Condition'], context)).toBe(expected);
  });
});

describe('bad documents get a clear error, never a silent allow', () => {
  const compile = (input: unknown) => () => compilePolicy(input as PolicyDocument, ctx);

  it.each([
    ['an unknown condition operator', doc(allow('iot:Connect', '*', { Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01' } } })), /DateGreaterThan.*not supported/],
    ['a set operator', doc(allow('iot:Connect', '*', { Condition: { 'ForAnyValue:StringEquals': { 'iot:ClientId': 'x' } } })), /set operator/],
    ['a variable default', doc(allow('iot:Publish', "topic/${iot:ClientId, 'x'}")), /variable default/],
    ['an unclosed variable', doc(allow('iot:Publish', 'topic/${iot:ClientId')), /never closes/],
    ['a variable in an action', doc(allow('iot:${x}', 'topic/a')), /actions cannot/],
    ['the old version', { Version: '2008-10-17', Statement: [allow('iot:Connect', '*')] }, /Version must be "2012-10-17"/],
    ['a statement without Resource', doc({ Effect: 'Allow', Action: 'iot:Connect' }), /exactly one of Resource and NotResource/],
    ['a statement with both Action and NotAction', doc({ Effect: 'Allow', Action: 'a', NotAction: 'b', Resource: '*' }), /exactly one of Action and NotAction/],
    ['an unknown effect', doc({ Effect: 'Maybe', Action: 'a', Resource: '*' } as unknown as PolicyStatement), /Effect/],
    ['an unknown field', { Version: '2012-10-17', Statement: [{ ...allow('a', '*'), Principal: '*' }] }, /Principal|unrecognized/i],
  ])('%s', (_label, input, message) => {
    expect(compile(input)).toThrow(PolicyError);
    expect(compile(input)).toThrow(message);
  });

  it('reads policy text, and says when it is not JSON', () => {
    expect(parsePolicyDocument(JSON.stringify(doc(allow('iot:Connect', '*'))))).toEqual(doc(allow('iot:Connect', '*')));
    expect(() => parsePolicyDocument('{"Version":')).toThrow(/not JSON/);
  });

  it('accepts a single statement object as IAM does', () => {
    const single = parsePolicyDocument({ Version: '2012-10-17', Statement: allow('iot:Connect', `${ARN}client/*`) });
    expect(evaluatePolicy(single, { action: 'iot:Connect', resource: `${ARN}client/x`, context: {} })).toBe('allow');
  });
});
