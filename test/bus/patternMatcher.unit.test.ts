import { describe, expect, it } from 'vitest';
import { MAX_COMBINATIONS, PatternError, compilePattern, matchesPattern } from '../../functions/bus/patternMatcher.ts';

// Cases written from the examples in AWS's "Amazon EventBridge event patterns", "Content filtering in
// Amazon EventBridge event patterns" and "Arrays in Amazon EventBridge event patterns" pages.

const ec2Event = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2015-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-abcd1111', state: 'pending', 'c-count': 5, 'x-limit': 301.8, 'source-ip': '10.0.0.33' },
};

const withDetail = (detail: Record<string, unknown>) => ({ ...ec2Event, detail });

/** The PatternError thrown by compiling `pattern`; fails the test when none is thrown. */
const patternErrorOf = (pattern: unknown): PatternError => {
  try {
    compilePattern(pattern);
  } catch (error) {
    expect(error).toBeInstanceOf(PatternError);
    return error as PatternError;
  }
  throw new Error(`expected ${JSON.stringify(pattern)} to be rejected`);
};

describe('exact values, nesting and arrays', () => {
  it('matches top-level and nested exact values and ignores fields the pattern does not name', () => {
    const m = compilePattern({ source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['pending'] } });
    expect(m.matches(ec2Event)).toBe(true);
    expect(m.matches(withDetail({ state: 'running' }))).toBe(false);
    expect(m.matches({ source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification' })).toBe(false);
  });

  it('treats the value list as OR and the fields as AND', () => {
    const m = compilePattern({ source: ['aws.ec2', 'aws.fargate'], detail: { state: ['pending', 'running'] } });
    expect(m.matches({ source: 'aws.fargate', detail: { state: 'running' } })).toBe(true);
    expect(m.matches({ source: 'aws.s3', detail: { state: 'running' } })).toBe(false);
  });

  it('matches an event array when it intersects the pattern list', () => {
    const m = compilePattern({ resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f', 'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f'] });
    expect(m.matches({ resources: ['arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x', 'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f'] })).toBe(true);
    expect(m.matches({ resources: ['arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x'] })).toBe(false);
    expect(m.matches({ resources: [] })).toBe(false);
  });

  it('compares types strictly: the string "5" is not the number 5, true is not "true"', () => {
    expect(matchesPattern({ n: [5] }, { n: '5' })).toBe(false);
    expect(matchesPattern({ n: ['5'] }, { n: 5 })).toBe(false);
    expect(matchesPattern({ b: [true] }, { b: 'true' })).toBe(false);
    expect(matchesPattern({ b: [true] }, { b: true })).toBe(true);
  });

  it('compares numbers as numbers: 3.018e2 is 301.8', () => {
    expect(matchesPattern({ detail: { 'x-limit': [3.018e2] } }, ec2Event)).toBe(true);
    expect(compilePattern('{"x":[300.0]}').matches(JSON.parse('{"x":3e2}'))).toBe(true);
  });

  it('matches null and the empty string as values, and neither matches a missing field', () => {
    const m = compilePattern({ detail: { responseElements: [null], lastName: [''] } });
    expect(m.matches(withDetail({ responseElements: null, lastName: '' }))).toBe(true);
    expect(m.matches(withDetail({ lastName: '' }))).toBe(false);
    expect(m.matches(withDetail({ responseElements: null, lastName: 'Doe' }))).toBe(false);
  });

  it('never matches a scalar pattern against an object', () => {
    expect(matchesPattern({ detail: ['x'] }, { detail: { x: 1 } })).toBe(false);
  });

  it('keeps the fields of one pattern object inside the same array element (array-consistent)', () => {
    const event = { detail: { items: [{ sku: 'a', qty: 1 }, { sku: 'b', qty: 2 }] } };
    expect(matchesPattern({ detail: { items: { sku: ['b'], qty: [2] } } }, event)).toBe(true);
    expect(matchesPattern({ detail: { items: { sku: ['a'], qty: [2] } } }, event)).toBe(false);
    expect(matchesPattern({ detail: { items: { sku: ['a'], qty: [{ numeric: ['>', 0] }] } } }, event)).toBe(true);
  });

  it('reads only the event’s own fields, never inherited ones', () => {
    expect(matchesPattern({ constructor: [{ exists: true }] }, {})).toBe(false);
    expect(matchesPattern({ toString: [{ exists: false }] }, {})).toBe(true);
  });

  it('survives events no JSON parser would produce: very deep and self-containing arrays', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(matchesPattern({ a: ['x'] }, { a: deep })).toBe(true);
    const loop: unknown[] = ['y'];
    loop.push(loop);
    expect(matchesPattern({ a: ['x'] }, { a: loop })).toBe(false);
    expect(matchesPattern({ a: { b: [{ exists: false }] } }, { a: loop })).toBe(true);
  });

  it('never throws on odd events', () => {
    const m = compilePattern({ a: [{ exists: false }] });
    expect(m.matches(null)).toBe(true);
    expect(m.matches('text')).toBe(true);
    expect(compilePattern({ a: ['x'] }).matches(undefined)).toBe(false);
  });
});

describe('prefix, suffix and equals-ignore-case', () => {
  it('matches string prefixes and suffixes only on strings', () => {
    expect(matchesPattern({ time: [{ prefix: '2015-11-11' }] }, ec2Event)).toBe(true);
    expect(matchesPattern({ region: [{ prefix: 'eu-' }] }, ec2Event)).toBe(false);
    expect(matchesPattern({ FileName: [{ suffix: '.png' }] }, { FileName: 'cat.png' })).toBe(true);
    expect(matchesPattern({ FileName: [{ suffix: '.png' }] }, { FileName: 'cat.PNG' })).toBe(false);
    expect(matchesPattern({ n: [{ prefix: '1' }] }, { n: 12 })).toBe(false);
  });

  it('ignores case inside prefix and suffix when asked', () => {
    expect(matchesPattern({ service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] }, { service: 'eventbridge' })).toBe(true);
    expect(matchesPattern({ FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] }, { FileName: 'CAT.PNG' })).toBe(true);
    expect(matchesPattern({ FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] }, { FileName: 'cat.gif' })).toBe(false);
  });

  it('matches whole strings regardless of case', () => {
    expect(matchesPattern({ Name: [{ 'equals-ignore-case': 'alice' }] }, { Name: 'ALICE' })).toBe(true);
    expect(matchesPattern({ Name: [{ 'equals-ignore-case': 'alice' }] }, { Name: 'Alicia' })).toBe(false);
  });
});

describe('anything-but', () => {
  it('excludes a single string or number', () => {
    expect(matchesPattern({ detail: { state: [{ 'anything-but': 'initializing' }] } }, ec2Event)).toBe(true);
    expect(matchesPattern({ detail: { state: [{ 'anything-but': 'pending' }] } }, ec2Event)).toBe(false);
    expect(matchesPattern({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, ec2Event)).toBe(true);
    expect(matchesPattern({ detail: { 'x-limit': [{ 'anything-but': 301.8 }] } }, ec2Event)).toBe(false);
  });

  it('excludes every value of a list of strings or of numbers', () => {
    const states = compilePattern({ detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } });
    expect(states.matches(withDetail({ state: 'running' }))).toBe(true);
    expect(states.matches(withDetail({ state: 'overloaded' }))).toBe(false);
    const limits = compilePattern({ detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } });
    expect(limits.matches(withDetail({ 'x-limit': 250 }))).toBe(true);
    expect(limits.matches(withDetail({ 'x-limit': 200 }))).toBe(false);
    expect(limits.matches(withDetail({ 'x-limit': '200' }))).toBe(true);
  });

  it('never matches a missing field', () => {
    expect(matchesPattern({ detail: { state: [{ 'anything-but': 'x' }] } }, withDetail({}))).toBe(false);
  });

  it('excludes a prefix, a suffix, a wildcard or a case-insensitive value', () => {
    expect(matchesPattern({ source: [{ 'anything-but': { prefix: 'aws.' } }] }, { source: 'com.example' })).toBe(true);
    expect(matchesPattern({ source: [{ 'anything-but': { prefix: 'aws.' } }] }, { source: 'aws.ec2' })).toBe(false);
    expect(matchesPattern({ FileName: [{ 'anything-but': { suffix: '.png' } }] }, { FileName: 'a.png' })).toBe(false);
    expect(matchesPattern({ FileName: [{ 'anything-but': { suffix: '.png' } }] }, { FileName: 'a.jpg' })).toBe(true);
    expect(matchesPattern({ FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] }, { FilePath: '/usr/lib/x.so' })).toBe(false);
    expect(matchesPattern({ FilePath: [{ 'anything-but': { wildcard: ['*/lib/*', '*.tmp'] } }] }, { FilePath: '/home/a.tmp' })).toBe(false);
    expect(matchesPattern({ FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] }, { FilePath: '/usr/bin/x' })).toBe(true);
    expect(matchesPattern({ state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] }, { state: 'INITIALIZING' })).toBe(false);
    expect(matchesPattern({ state: [{ 'anything-but': { 'equals-ignore-case': ['a', 'B'] } }] }, { state: 'b' })).toBe(false);
    expect(matchesPattern({ state: [{ 'anything-but': { 'equals-ignore-case': ['a', 'B'] } }] }, { state: 'c' })).toBe(true);
  });

  it('matches an event array when any element is not excluded', () => {
    expect(matchesPattern({ tags: [{ 'anything-but': 'x' }] }, { tags: ['x', 'y'] })).toBe(true);
    expect(matchesPattern({ tags: [{ 'anything-but': 'x' }] }, { tags: ['x'] })).toBe(false);
  });
});

describe('numeric', () => {
  const m = compilePattern({ detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }], 'd-count': [{ numeric: ['<', 10] }], 'x-limit': [{ numeric: ['=', 3.018e2] }] } });

  it('matches only when every range holds', () => {
    expect(m.matches(withDetail({ 'c-count': 5, 'd-count': 9.99, 'x-limit': 301.8 }))).toBe(true);
    expect(m.matches(withDetail({ 'c-count': 0, 'd-count': 9, 'x-limit': 301.8 }))).toBe(false);
    expect(m.matches(withDetail({ 'c-count': 5, 'd-count': 10, 'x-limit': 301.8 }))).toBe(false);
    expect(m.matches(withDetail({ 'c-count': 5, 'd-count': 9, 'x-limit': 301.81 }))).toBe(false);
  });

  it('honours each operator’s boundary', () => {
    expect(matchesPattern({ n: [{ numeric: ['>=', 10] }] }, { n: 10 })).toBe(true);
    expect(matchesPattern({ n: [{ numeric: ['>', 10] }] }, { n: 10 })).toBe(false);
    expect(matchesPattern({ n: [{ numeric: ['<=', -1.5] }] }, { n: -1.5 })).toBe(true);
    expect(matchesPattern({ n: [{ numeric: ['<', -1.5] }] }, { n: -1.5 })).toBe(false);
    expect(matchesPattern({ n: [{ numeric: ['<', 20, '>=', 10] }] }, { n: 15 })).toBe(true);
  });

  it('only applies to JSON numbers', () => {
    expect(matchesPattern({ n: [{ numeric: ['>', 0] }] }, { n: '5' })).toBe(false);
    expect(matchesPattern({ n: [{ numeric: ['>', 0] }] }, { n: true })).toBe(false);
  });

  it('compares to six decimal places as EventBridge does', () => {
    expect(matchesPattern({ n: [{ numeric: ['=', 0.3] }] }, { n: 0.1 + 0.2 })).toBe(true);
    expect(matchesPattern({ n: [{ numeric: ['>', 0] }] }, { n: 0.000001 })).toBe(true);
  });
});

describe('cidr', () => {
  it('matches IPv4 addresses inside the block', () => {
    expect(matchesPattern({ detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, ec2Event)).toBe(true);
    expect(matchesPattern({ ip: [{ cidr: '10.0.0.0/24' }] }, { ip: '10.0.1.1' })).toBe(false);
    expect(matchesPattern({ ip: [{ cidr: '10.0.0.0/8' }] }, { ip: '10.200.3.4' })).toBe(true);
    expect(matchesPattern({ ip: [{ cidr: '192.168.1.128/25' }] }, { ip: '192.168.1.127' })).toBe(false);
    expect(matchesPattern({ ip: [{ cidr: '0.0.0.0/0' }] }, { ip: '8.8.8.8' })).toBe(true);
  });

  it('matches IPv6 addresses in any text form, and never across families', () => {
    const m = compilePattern({ ip: [{ cidr: '2001:db8::/32' }] });
    expect(m.matches({ ip: '2001:db8::1' })).toBe(true);
    expect(m.matches({ ip: '2001:0DB8:0000:0000:0000:0000:0000:0001' })).toBe(true);
    expect(m.matches({ ip: '2001:db9::1' })).toBe(false);
    expect(m.matches({ ip: '10.0.0.1' })).toBe(false);
    expect(matchesPattern({ ip: [{ cidr: '::ffff:0:0/96' }] }, { ip: '::ffff:10.0.0.1' })).toBe(true);
    expect(matchesPattern({ ip: [{ cidr: 'fe80::/10' }] }, { ip: 'fe80::1' })).toBe(true);
    expect(matchesPattern({ ip: [{ cidr: 'fe80::/10' }] }, { ip: 'fec0::1' })).toBe(false);
  });

  it('ignores values that are not addresses', () => {
    expect(matchesPattern({ ip: [{ cidr: '10.0.0.0/8' }] }, { ip: '10.0.0' })).toBe(false);
    expect(matchesPattern({ ip: [{ cidr: '10.0.0.0/8' }] }, { ip: 10 })).toBe(false);
    expect(matchesPattern({ ip: [{ cidr: '10.0.0.0/8' }] }, { ip: '10.0.0.256' })).toBe(false);
  });
});

describe('exists', () => {
  it('tests presence of a leaf field', () => {
    expect(matchesPattern({ detail: { state: [{ exists: true }] } }, ec2Event)).toBe(true);
    expect(matchesPattern({ detail: { state: [{ exists: true }] } }, withDetail({ 'c-count': { c1: 100 } }))).toBe(false);
    expect(matchesPattern({ detail: { 'c-count': [{ exists: false }] } }, withDetail({ state: 'running' }))).toBe(true);
  });

  it('works on leaf nodes only: an object is not a present leaf', () => {
    expect(matchesPattern({ detail: { 'c-count': [{ exists: false }] } }, withDetail({ 'c-count': { c1: 100 } }))).toBe(true);
  });

  it('counts null as present and an empty array as absent', () => {
    expect(matchesPattern({ a: [{ exists: true }] }, { a: null })).toBe(true);
    expect(matchesPattern({ a: [{ exists: true }] }, { a: [] })).toBe(false);
    expect(matchesPattern({ a: [{ exists: false }] }, { a: [] })).toBe(true);
  });
});

describe('wildcard', () => {
  it('matches * as any run of characters, anchored at both ends', () => {
    const m = compilePattern({ EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] });
    expect(m.matches({ EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/default' })).toBe(true);
    expect(m.matches({ EventBusArn: 'arn:aws:events:us-west-2:123456789012:event-bus/default' })).toBe(false);
    expect(matchesPattern({ s: [{ wildcard: 'Simple*Service' }] }, { s: 'SimpleService' })).toBe(true);
    expect(matchesPattern({ s: [{ wildcard: 'Simple*Service' }] }, { s: 'Simple Notification Service!' })).toBe(false);
    expect(matchesPattern({ s: [{ wildcard: '*a*a*' }] }, { s: 'a' })).toBe(false);
    expect(matchesPattern({ s: [{ wildcard: '*a*a*' }] }, { s: 'banana' })).toBe(true);
  });

  it('treats \\* as a literal star and \\\\ as a literal backslash', () => {
    expect(matchesPattern({ s: [{ wildcard: 'a\\*b' }] }, { s: 'a*b' })).toBe(true);
    expect(matchesPattern({ s: [{ wildcard: 'a\\*b' }] }, { s: 'axb' })).toBe(false);
    expect(matchesPattern({ s: [{ wildcard: 'C:\\\\*' }] }, { s: 'C:\\Windows' })).toBe(true);
  });

  it('only matches strings', () => {
    expect(matchesPattern({ s: [{ wildcard: '1*' }] }, { s: 12 })).toBe(false);
  });
});

describe('$or', () => {
  const event = { source: 'aws.cloudwatch', metricName: 'NetworkIn', namespace: 'AWS/EC2', detail: { source: 'x', 'detail-type': 'CloudWatch Alarm State Change' } };

  it('matches when any alternative matches, ANDed with the other fields', () => {
    const m = compilePattern({ source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }] });
    expect(m.matches(event)).toBe(true);
    expect(m.matches({ ...event, namespace: 'AWS/S3' })).toBe(false);
    expect(m.matches({ ...event, source: 'aws.ec2' })).toBe(false);
  });

  it('supports parallel groups at different levels and nested $or', () => {
    const parallel = compilePattern({
      $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
      detail: { $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }] },
    });
    expect(parallel.matches(event)).toBe(true);
    expect(parallel.matches({ ...event, detail: { source: 'y' } })).toBe(false);
    const nested = compilePattern({
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization'] }, { metricType: ['MetricType'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] }],
    });
    expect(nested.matches({ source: 'aws.cloudwatch', metricType: 'MetricType', spaceId: 1000 })).toBe(true);
    expect(nested.matches({ source: 'aws.cloudwatch', metricType: 'MetricType', spaceId: 1 })).toBe(false);
  });

  it('keeps "$or" a plain field name when its value is not a list of alternatives (Event Ruler compatibility)', () => {
    expect(matchesPattern({ $or: { metricType: ['MetricType'] } }, { $or: { metricType: 'MetricType' } })).toBe(true);
    expect(matchesPattern({ $or: [{ prefix: 'a' }] }, { $or: 'abc' })).toBe(true);
  });
});

describe('invalid patterns', () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['not an object', ['a'], '$', /must be a JSON object/],
    ['not JSON', '{"a": [', '$', /not valid JSON/],
    ['an empty pattern', {}, '$', /empty object matches nothing/],
    ['a bare value instead of a list', { source: 'aws.ec2' }, '$.source', /list of values .*\["aws\.ec2"\]/],
    ['an empty value list', { detail: { state: [] } }, '$.detail.state', /empty list matches nothing/],
    ['a nested array', { a: [['x']] }, '$.a[0]', /nested arrays/],
    ['an unknown operator', { a: [{ contains: 'x' }] }, '$.a[0]', /unknown operator "contains"/],
    ['two operators in one object', { a: [{ prefix: 'a', suffix: 'b' }] }, '$.a[0]', /exactly one operator/],
    ['a prefix that is not a string', { a: [{ prefix: 5 }] }, '$.a[0].prefix', /prefix must be a string .*number 5/],
    ['exists that is not a boolean', { a: [{ exists: 'yes' }] }, '$.a[0].exists', /exists must be true or false/],
    ['a numeric operand given as a string', { a: [{ numeric: ['>', '5'] }] }, '$.a[0].numeric[1]', /must be a JSON number, got string "5"/],
    ['an unknown numeric operator', { a: [{ numeric: ['!=', 5] }] }, '$.a[0].numeric[0]', /unknown numeric operator/],
    ['a numeric list of odd length', { a: [{ numeric: ['>', 0, '<'] }] }, '$.a[0].numeric', /got 3 items/],
    ['"=" combined with a bound', { a: [{ numeric: ['=', 1, '<', 5] }] }, '$.a[0].numeric', /"=" cannot be combined/],
    ['two lower bounds', { a: [{ numeric: ['>', 1, '>=', 5] }] }, '$.a[0].numeric', /two lower bounds/],
    ['an empty range', { a: [{ numeric: ['>', 5, '<', 1] }] }, '$.a[0].numeric', /range is empty/],
    ['a number beyond ±5e9', { a: [{ numeric: ['<', 6e9] }] }, '$.a[0].numeric[1]', /outside the numeric range/],
    ['a mixed anything-but list', { a: [{ 'anything-but': ['x', 1] }] }, '$.a[0].anything-but[1]', /only strings or only numbers/],
    ['an empty anything-but list', { a: [{ 'anything-but': [] }] }, '$.a[0].anything-but', /list is empty/],
    ['anything-but of a boolean', { a: [{ 'anything-but': true }] }, '$.a[0].anything-but', /anything-but takes/],
    ['an anything-but prefix list', { a: [{ 'anything-but': { prefix: ['a', 'b'] } }] }, '$.a[0].anything-but.prefix', /must be a string, got array/],
    ['an empty anything-but prefix', { a: [{ 'anything-but': { prefix: '' } }] }, '$.a[0].anything-but.prefix', /must not be empty/],
    ['anything-but numeric', { a: [{ 'anything-but': { numeric: ['>', 1] } }] }, '$.a[0].anything-but.numeric', /does not support "numeric"/],
    ['consecutive wildcards', { a: [{ wildcard: 'a**b' }] }, '$.a[0].wildcard', /consecutive wildcard/],
    ['a backslash escaping a letter', { a: [{ wildcard: 'a\\b' }] }, '$.a[0].wildcard', /backslash may only escape/],
    ['a malformed cidr', { a: [{ cidr: '10.0.0.0/33' }] }, '$.a[0].cidr', /prefix length "33"/],
    ['a cidr that is no address', { a: [{ cidr: 'example.com/8' }] }, '$.a[0].cidr', /not an IPv4 or IPv6 address/],
    ['a single-branch $or', { $or: [{ a: ['x'] }] }, '$.$or', /at least two alternatives/],
    ['an invalid value inside $or', { $or: [{ a: ['x'] }, { b: [{ prefix: 1 }] }] }, '$.$or[1].b[0].prefix', /prefix must be/],
  ];

  it.each(cases)('rejects %s', (_name, pattern, path, message) => {
    const error = patternErrorOf(pattern);
    expect(error.path).toBe(path);
    expect(error.message).toMatch(message);
    expect(error.message.startsWith(`Invalid event pattern at ${path}: `)).toBe(true);
  });

  it('rejects a pattern longer than the EventPattern limit', () => {
    const error = patternErrorOf({ source: Array.from({ length: 400 }, (_, i) => `com.example.source-${i}`) });
    expect(error.reason).toMatch(/characters; the limit is 4096/);
  });

  it('rejects a pattern whose $or groups expand past the combination limit', () => {
    const group = (field: string) => Array.from({ length: 11 }, (_, i) => ({ [field]: [i] }));
    const error = patternErrorOf({ a: { $or: group('x') }, b: { $or: group('y') }, c: { $or: group('z') } });
    expect(error.reason).toMatch(new RegExp(`1331 combinations, the limit is ${MAX_COMBINATIONS}`));
    expect(() => compilePattern({ a: { $or: group('x') }, b: { $or: group('y') } })).not.toThrow();
  });
});
