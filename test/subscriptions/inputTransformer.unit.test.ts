import { describe, expect, it } from 'vitest';
import type { EventBridgeEnvelope } from '../../functions/bus/envelope.ts';
import { compileInputTransformer, InputTransformerError } from '../../functions/subscriptions/inputTransformer.ts';
import { compileJsonPath, JsonPathError } from '../../functions/subscriptions/jsonPath.ts';

/**
 * AWS's worked example: the EC2 event, input paths and templates with the outputs EventBridge
 * documents for them ("Amazon EventBridge input transformation", docs.aws.amazon.com/eventbridge/
 * latest/userguide/eb-transform-target-input.html, "Input transform examples").
 */
const ec2Event: EventBridgeEnvelope = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2015-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-0123456789', state: 'RUNNING' },
};
const inputPathsMap = { timestamp: '$.time', instance: '$.detail.instance-id', state: '$.detail.state', resource: '$.resources[0]' };
const rule = { ruleName: 'example', ruleArn: 'arn:aws:events:us-east-2:123456789012:rule/example', ingestionTime: '2015-11-11T21:29:55Z' };
const transform = (inputTemplate: string, event = ec2Event, paths: Record<string, string> = inputPathsMap) => compileInputTransformer({ inputPathsMap: paths, inputTemplate })(event, rule);

describe('input transformer: the outputs AWS documents for its EC2 example', () => {
  it('simple string', () => {
    expect(transform('"instance <instance> is in <state>"')).toBe('"instance i-0123456789 is in RUNNING"');
  });

  it('string with escaped quotes', () => {
    expect(transform('"instance \\"<instance>\\" is in <state>"')).toBe('"instance \\"i-0123456789\\" is in RUNNING"');
  });

  it('simple JSON', () => {
    const out = transform('{\n  "instance" : <instance>,\n  "state": <state>\n}');
    expect(JSON.parse(out)).toEqual({ instance: 'i-0123456789', state: 'RUNNING' });
    expect(out).toBe('{"instance":"i-0123456789","state":"RUNNING"}'); // minified, as EventBridge passes JSON
  });

  it('JSON with strings and variables', () => {
    const out = transform('{\n "instance" : <instance>,\n "state": "<state>",\n "instanceStatus": "instance \\"<instance>\\" is in <state>"\n}');
    expect(JSON.parse(out)).toEqual({ instance: 'i-0123456789', state: 'RUNNING', instanceStatus: 'instance "i-0123456789" is in RUNNING' });
  });

  it('JSON with a mix of variables and static information', () => {
    const out = transform('{\n  "instance" : <instance>,\n  "state": [ 9, <state>, true ],\n  "Transformed" : "Yes"\n}');
    expect(JSON.parse(out)).toEqual({ instance: 'i-0123456789', state: [9, 'RUNNING', true], Transformed: 'Yes' });
  });

  it('reserved variables in JSON (the original event is the envelope without its detail)', () => {
    const out = transform(
      '{\n  "instance" : <instance>,\n  "state": <state>,\n  "ruleArn" : <aws.events.rule-arn>,\n  "ruleName" : <aws.events.rule-name>,\n  "originalEvent" : <aws.events.event>\n}',
    );
    const { detail: _detail, ...withoutDetail } = ec2Event;
    expect(JSON.parse(out)).toEqual({
      instance: 'i-0123456789',
      state: 'RUNNING',
      ruleArn: 'arn:aws:events:us-east-2:123456789012:rule/example',
      ruleName: 'example',
      originalEvent: withoutDetail,
    });
  });

  it('reserved variables in a string', () => {
    expect(transform('"<aws.events.rule-name> triggered"')).toBe('"example triggered"');
  });

  it('array indices in paths, the whole event and the ingestion time', () => {
    const out = transform('{"resource": <resource>, "event": <aws.events.event.json>, "at": "<aws.events.event.ingestion-time>"}');
    expect(JSON.parse(out)).toEqual({ resource: ec2Event.resources[0], event: ec2Event, at: '2015-11-11T21:29:55Z' });
  });

  it('the tutorial template without quotes is plain text: values go in as they are', () => {
    expect(transform('The EC2 instance <instance> has changed state to <state>.')).toBe('The EC2 instance i-0123456789 has changed state to RUNNING.');
  });
});

describe('input transformer: values cannot break the JSON they are put into', () => {
  const nasty: EventBridgeEnvelope = { ...ec2Event, detail: { 'instance-id': 'say "hi"\\ \n<b>', state: { nested: [1, 'two'] } } };

  it('JSON-escapes strings inside quotes, and inserts objects as escaped JSON text there', () => {
    const out = transform('{"message": "instance <instance> is <state>", "raw": <state>}', nasty);
    expect(JSON.parse(out)).toEqual({ message: 'instance say "hi"\\ \n<b> is {"nested":[1,"two"]}', raw: { nested: [1, 'two'] } });
  });

  it('a path that matches nothing creates no variable: null as a value, nothing inside a string', () => {
    const out = transform('{"gone": <missing>, "text": "[<missing>]"}', ec2Event, { missing: '$.detail.nope' });
    expect(JSON.parse(out)).toEqual({ gone: null, text: '[]' });
  });

  it('leaves a <name> that is not a variable as text (EventBridge has no escape for < and >)', () => {
    expect(JSON.parse(transform('{"html": "<b><instance></b>"}'))).toEqual({ html: '<b>i-0123456789</b>' });
  });
});

describe('input transformer: configuration errors name the field', () => {
  const error = (spec: Parameters<typeof compileInputTransformer>[0]) => {
    try {
      compileInputTransformer(spec);
    } catch (e) {
      if (e instanceof InputTransformerError) return { field: e.field, message: e.message };
      throw e;
    }
    throw new Error('expected an InputTransformerError');
  };

  it('a placeholder as an object key', () => {
    expect(error({ inputPathsMap: { k: '$.detail' }, inputTemplate: '{<k>: 1}' })).toMatchObject({ field: 'inputTemplate', message: expect.stringMatching(/object key/) as unknown });
  });
  it('the whole event inside quotes', () => {
    expect(error({ inputTemplate: '{"e": "<aws.events.event>"}' })).toMatchObject({ field: 'inputTemplate', message: expect.stringMatching(/only be a value/) as unknown });
  });
  it('a bad variable name or path', () => {
    expect(error({ inputPathsMap: { 'my var': '$.detail' }, inputTemplate: '"x"' }).field).toBe('inputPathsMap.my var');
    expect(error({ inputPathsMap: { v: 'detail.state' }, inputTemplate: '"x"' })).toMatchObject({ field: 'inputPathsMap.v', message: expect.stringMatching(/start with "\$"/) as unknown });
    expect(error({ inputPathsMap: { v: "$['detail']" }, inputTemplate: '"x"' }).field).toBe('inputPathsMap.v');
  });
  it('more than 100 variables, an empty or over-long template', () => {
    const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`v${i}`, '$.id']));
    expect(error({ inputPathsMap: many, inputTemplate: '"x"' }).field).toBe('inputPathsMap');
    expect(error({ inputTemplate: '' }).field).toBe('inputTemplate');
    expect(error({ inputTemplate: `"${'x'.repeat(8192)}"` }).field).toBe('inputTemplate');
  });
});

describe('JSON paths (EventBridge subset)', () => {
  const event = { a: { 'b-c': [{ d: 1 }, { d: 2 }], 'x/y': true }, list: [10, 20] };
  it('dot names with dashes and slashes, indices and wildcards', () => {
    expect(compileJsonPath('$').evaluate(event)).toEqual({ found: true, value: event });
    expect(compileJsonPath('$.a.b-c[1].d').evaluate(event)).toEqual({ found: true, value: 2 });
    expect(compileJsonPath('$.a.x/y').evaluate(event)).toEqual({ found: true, value: true });
    expect(compileJsonPath('$.a.b-c[*].d').evaluate(event)).toEqual({ found: true, value: [1, 2] });
    expect(compileJsonPath('$.list.*').evaluate(event)).toEqual({ found: true, value: [10, 20] });
    expect(compileJsonPath('$.list[5]').evaluate(event)).toEqual({ found: false });
    expect(compileJsonPath('$.a.nope').evaluate(event)).toEqual({ found: false });
  });
  it('refuses what EventBridge does not evaluate', () => {
    for (const bad of ['detail', '$..a', "$['a']", '$.a[-1]', '$.a b']) expect(() => compileJsonPath(bad)).toThrow(JsonPathError);
  });
});
