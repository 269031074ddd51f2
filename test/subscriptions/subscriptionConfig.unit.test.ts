import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSubscriptionsFile, parseSubscriptions, SubscriptionConfigError } from '../../functions/subscriptions/subscriptionConfig.ts';

const secret = 'a-secret-of-at-least-16';
const valid = {
  name: 'alarms-to-ops',
  pattern: { source: ['lwm2m.fleet'], 'detail-type': ['AlarmRaised'] },
  target: { url: 'https://ops.example.com/hooks/fleet', headers: { Authorization: 'Bearer t' } },
  secret,
};
const file = (...subscriptions: unknown[]) => JSON.stringify({ subscriptions });

/** The error for a file with one subscription changed by `change`. */
const errorFor = (change: (s: Record<string, unknown>) => unknown): SubscriptionConfigError => {
  const s = structuredClone(valid) as Record<string, unknown>;
  const changed = change(s) ?? s;
  try {
    parseSubscriptions(file(changed), 'subs.json');
  } catch (e) {
    if (e instanceof SubscriptionConfigError) return e;
    throw e;
  }
  throw new Error('expected a SubscriptionConfigError');
};

describe('subscriptions file', () => {
  it('fills in EventBridge defaults: POST, 185 retries within 24 hours, new events only', () => {
    const [s] = parseSubscriptions(file(valid));
    expect(s).toMatchObject({
      name: 'alarms-to-ops',
      method: 'POST',
      retry: { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 },
      startFrom: 'latest',
      headers: { authorization: 'Bearer t' },
      input: { kind: 'event' },
    });
    expect(s!.url.href).toBe('https://ops.example.com/hooks/fleet');
    expect(s!.matcher.matches({ source: 'lwm2m.fleet', 'detail-type': 'AlarmRaised' })).toBe(true);
    expect(s!.matcher.matches({ source: 'lwm2m.fleet', 'detail-type': 'AlarmCleared' })).toBe(false);
  });

  it('compiles input paths and input transformers', () => {
    const [a, b] = parseSubscriptions(
      file(
        { ...valid, name: 'a', target: { url: 'http://127.0.0.1:9/x', inputPath: '$.detail.data' } },
        { ...valid, name: 'b', target: { url: 'http://127.0.0.1:9/x', method: 'PUT', inputTransformer: { inputPathsMap: { t: '$.detail.type' }, inputTemplate: '{"t": <t>}' } } },
      ),
    );
    expect(a!.input.kind).toBe('path');
    expect(b!.input.kind).toBe('transformer');
    expect(b!.method).toBe('PUT');
  });

  it('names the subscription and the field of every mistake', () => {
    const cases: [string, (s: Record<string, unknown>) => unknown, RegExp][] = [
      ['target.url', (s) => void ((s.target as Record<string, unknown>).url = 'ftp://x'), /http:\/\/ or https:\/\//],
      ['target.method', (s) => void ((s.target as Record<string, unknown>).method = 'GET'), /POST/],
      ['pattern.detail-type', (s) => void (s.pattern = { 'detail-type': 'AlarmRaised' }), /./],
      ['pattern', (s) => void (s.pattern = 'everything'), /event pattern object/],
      ['target', (s) => void (s.target = { url: 'https://x', inputPath: '$.detail', inputTransformer: { inputTemplate: '"x"' } }), /not both/],
      ['target.inputPath', (s) => void (s.target = { url: 'https://x', inputPath: 'detail' }), /start with "\$"/],
      ['target.inputTransformer.inputTemplate', (s) => void (s.target = { url: 'https://x', inputTransformer: { inputTemplate: '{"a": }' } }), /not valid JSON/],
      ['target.headers.X-Fleet-Signature', (s) => void (s.target = { url: 'https://x', headers: { 'X-Fleet-Signature': 'forged' } }), /cannot be overridden/],
      ['target.headers.x-evil', (s) => void (s.target = { url: 'https://x', headers: { 'x-evil': 'a\r\nb: c' } }), /line breaks/],
      ['retry.maximumRetryAttempts', (s) => void (s.retry = { maximumRetryAttempts: 186 }), /185/],
      ['retry.maximumEventAgeSeconds', (s) => void (s.retry = { maximumEventAgeSeconds: 10 }), /60/],
      ['secret', (s) => void (s.secret = 'short'), /16 characters/],
      ['startFrom', (s) => void (s.startFrom = 'yesterday'), /./],
    ];
    for (const [field, change, message] of cases) {
      const e = errorFor(change);
      expect(e.subscription, field).toBe('alarms-to-ops');
      expect(e.field, field).toBe(field);
      expect(e.message, field).toMatch(message);
      expect(e.message, field).toMatch(/^subs\.json: subscription "alarms-to-ops", [\w.-]+: /);
    }
  });

  it('reports unknown fields (a typo must not silently do nothing)', () => {
    const e = errorFor((s) => ({ ...s, retries: { maximumRetryAttempts: 3 } }));
    expect(e.message).toMatch(/unknown field\(s\) "retries"/);
  });

  it('names a subscription without a name by its place in the list', () => {
    const e = errorFor(({ name: _n, ...rest }) => rest);
    expect(e.subscription).toBe('#1');
    expect(e.field).toBe('name');
  });

  it('refuses duplicate names, a file that is not JSON or has no subscriptions array', () => {
    expect(() => parseSubscriptions(file(valid, valid), 'subs.json')).toThrow(/subs\.json: subscription "alarms-to-ops", name: is used by two subscriptions/);
    expect(() => parseSubscriptions('{ not json', 'subs.json')).toThrow(/subs\.json: is not valid JSON/);
    expect(() => parseSubscriptions('[]', 'subs.json')).toThrow(/"subscriptions" array/);
    expect(() => parseSubscriptions(JSON.stringify({ subscriptions: [], extra: 1 }), 'subs.json')).toThrow(/"extra"/);
  });

  it('accepts the example file of the README, and its transformer makes valid JSON for a real AlarmRaised', () => {
    const example = loadSubscriptionsFile(join(import.meta.dirname, '../../functions/subscriptions/subscriptions.example.json'));
    expect(example.map((s) => s.name)).toEqual(['critical-alarms-to-ops', 'provisioning-to-crm', 'everything-for-one-device']);
    const alarms = example[0]!;
    const envelope = {
      version: '0' as const,
      id: 'x',
      'detail-type': 'AlarmRaised',
      source: 'lwm2m.fleet',
      account: '000000000000',
      time: '2026-05-04T09:12:33Z',
      region: 'local',
      resources: ['device-meter-17'],
      detail: { data: { thingName: 'meter-17', alarmId: 'a1', code: 'leak', severity: 'critical', raisedAt: '2026-05-04T09:12:30Z' } },
    };
    expect(alarms.matcher.matches(envelope)).toBe(true);
    expect(alarms.matcher.matches({ ...envelope, detail: { data: { ...envelope.detail.data, severity: 'minor' } } })).toBe(false);
    if (alarms.input.kind !== 'transformer') throw new Error('expected an input transformer');
    const body = alarms.input.transform(envelope, { ruleName: alarms.name, ruleArn: 'arn', ingestionTime: envelope.time });
    expect(JSON.parse(body)).toEqual({ text: 'critical alarm leak on meter-17', thing: 'meter-17', raisedAt: '2026-05-04T09:12:30Z', rule: 'critical-alarms-to-ops' });
    expect(example[2]!.matcher.matches(envelope)).toBe(true);
  });
});
