import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ThingName } from '../../events/catalog/index.ts';
import {
  BRIDGE_EVENTS,
  MAX_TOPIC_BYTES,
  MAX_TOPIC_LEVELS,
  TOPIC_CATALOG,
  TopicError,
  bridgeIdOfThingName,
  bridgeThingName,
  isDeviceThingName,
  isThingName,
  parseTopic,
  topicFilters,
  topics,
} from '../../schemas/topics/topics.ts';

const longThing = 'T'.repeat(128);
const longBridge = 'b'.repeat(63);
const longCommand = 'c'.repeat(64);

describe('topic builders', () => {
  it('build the documented topics', () => {
    expect(topics.deviceState('meter-1')).toBe('dt/lwm2m/meter-1/state');
    expect(topics.deviceAlarms('meter-1')).toBe('dt/lwm2m/meter-1/alarms');
    expect(topics.commandRequest('meter-1', 'c-42')).toBe('cmd/lwm2m/meter-1/req/c-42');
    expect(topics.commandResponse('meter-1', 'c-42')).toBe('cmd/lwm2m/meter-1/res/c-42');
    expect(topics.bridgeEvent('b1', 'register', 'meter-1')).toBe('dt/lwm2m-bridge/b1/register/meter-1');
    expect(topics.bridgeStatus('b1')).toBe('dt/lwm2m-bridge/b1/status');
    expect(topics.bootstrapResponse('b1', 'meter-1')).toBe('cmd/lwm2m-bridge/b1/bootstrap/meter-1');
    expect(topicFilters.commandRequestsFor('meter-1')).toBe('cmd/lwm2m/meter-1/req/+');
    expect(topicFilters.bootstrapResponsesFor('b1')).toBe('cmd/lwm2m-bridge/b1/bootstrap/+');
  });

  it('refuse names that would break the tree, saying what is allowed', () => {
    for (const bad of ['', 'a/b', 'a+b', 'a#', 'a b', 'ü', 'x'.repeat(129)]) {
      expect(() => topics.deviceState(bad)).toThrow(TopicError);
    }
    expect(() => topics.deviceState('a/b')).toThrow(/1-128 characters of letters, digits/);
    expect(() => topics.deviceState('bridge:b1')).toThrow(/reserved for bridges/);
    expect(() => topics.commandRequest('m', 'a/b')).toThrow(/command id/);
    expect(() => topics.bridgeStatus('B1')).toThrow(/lowercase/);
    expect(() => topics.bridgeEvent('b1', 'explode' as never, 'm')).toThrow(/not one of register/);
  });

  it('stay within AWS IoT limits at the longest names', () => {
    const longest = [
      topics.deviceAlarms(longThing),
      topics.commandResponse(longThing, longCommand),
      topics.bridgeEvent(longBridge, 'bootstrap-request', longThing),
      topics.bootstrapResponse(longBridge, longThing),
    ];
    for (const t of longest) {
      expect(Buffer.byteLength(t)).toBeLessThanOrEqual(MAX_TOPIC_BYTES);
      expect(t.split('/').length).toBeLessThanOrEqual(MAX_TOPIC_LEVELS);
      expect(t.startsWith('/')).toBe(false);
    }
  });
});

describe('parseTopic', () => {
  it('reads back what every builder built', () => {
    expect(parseTopic(topics.deviceState(longThing))).toEqual({ kind: 'device-data', type: 'state', thingName: longThing });
    expect(parseTopic(topics.deviceAlarms('m:1_x'))).toEqual({ kind: 'device-data', type: 'alarms', thingName: 'm:1_x' });
    expect(parseTopic(topics.commandRequest('m', longCommand))).toEqual({ kind: 'command-request', thingName: 'm', commandId: longCommand });
    expect(parseTopic(topics.commandResponse('m', 'c1'))).toEqual({ kind: 'command-response', thingName: 'm', commandId: 'c1' });
    for (const event of BRIDGE_EVENTS) {
      expect(parseTopic(topics.bridgeEvent(longBridge, event, longThing))).toEqual({ kind: 'bridge-event', bridgeId: longBridge, event, thingName: longThing });
    }
    expect(parseTopic(topics.bridgeStatus('b1'))).toEqual({ kind: 'bridge-status', bridgeId: 'b1' });
    expect(parseTopic(topics.bootstrapResponse('b1', 'm'))).toEqual({ kind: 'bootstrap-response', bridgeId: 'b1', thingName: 'm' });
  });

  it.each([
    ['empty', ''],
    ['leading slash', '/dt/lwm2m/m/state'],
    ['trailing slash', 'dt/lwm2m/m/state/'],
    ['upper-case prefix', 'DT/lwm2m/m/state'],
    ['upper-case application', 'dt/LwM2M/m/state'],
    ['unknown data type', 'dt/lwm2m/m/temperature'],
    ['extra level', 'dt/lwm2m/m/state/x'],
    ['missing level', 'dt/lwm2m/state'],
    ['wildcard as thing', 'dt/lwm2m/+/state'],
    ['multi-level wildcard', 'dt/lwm2m/#'],
    ['empty thing level', 'dt/lwm2m//state'],
    ['reserved bridge name as device', 'dt/lwm2m/bridge:b1/state'],
    ['thing name too long', `dt/lwm2m/${'x'.repeat(129)}/state`],
    ['bad command id', 'cmd/lwm2m/m/req/c.1'],
    ['unknown command direction', 'cmd/lwm2m/m/ack/c1'],
    ['unknown bridge event', 'dt/lwm2m-bridge/b1/explode/m'],
    ['upper-case bridge id', 'dt/lwm2m-bridge/B1/status'],
    ['bootstrap with extra level', 'cmd/lwm2m-bridge/b1/bootstrap/m/x'],
    ['reserved AWS topic', '$aws/things/m/shadow/update'],
    ['too many levels', 'dt/lwm2m/m/state/a/b/c/d/e'],
    ['over 256 bytes and too deep', `cmd/lwm2m/${'m'.repeat(128)}/req/${'c'.repeat(64)}${'/x'.repeat(30)}`],
    ['non-ASCII thing name', `dt/lwm2m/${'é'.repeat(127)}/state`],
  ])('rejects %s', (_label, topic) => {
    expect(parseTopic(topic)).toBeUndefined();
  });
});

describe('thing names', () => {
  it('follow the same rule as the event catalog', () => {
    const samples = ['a', 'meter-1', 'A:b_c-9', longThing, '', 'a/b', 'a+b', 'a#b', 'a b', 'ä', 'x'.repeat(129), 'a.b', '*', '?'];
    for (const s of samples) expect(isThingName(s), s).toBe(ThingName.safeParse(s).success);
  });

  it('reserve the bridge prefix and map bridge ids both ways', () => {
    expect(isDeviceThingName('bridge:b1')).toBe(false);
    expect(isDeviceThingName('bridge-b1')).toBe(true);
    expect(bridgeThingName('b1')).toBe('bridge:b1');
    expect(bridgeIdOfThingName('bridge:b1')).toBe('b1');
    expect(bridgeIdOfThingName('bridge:B1')).toBeUndefined();
    expect(bridgeIdOfThingName('meter-1')).toBeUndefined();
  });
});

describe('topic catalog', () => {
  const readme = readFileSync(new URL('../../schemas/topics/README.md', import.meta.url), 'utf8');
  const fill = (pattern: string) =>
    pattern.replace('<thingName>', 'meter-1').replace('<commandId>', 'c1').replace('<bridgeId>', 'b1').replace('<event>', 'notify');

  it.each(TOPIC_CATALOG.map((spec) => [spec.pattern, spec] as const))('documents %s in README.md and parses it', (pattern, spec) => {
    expect(readme).toContain(`\`${pattern}\``);
    expect(parseTopic(fill(pattern))?.kind).toBe(spec.kind);
    expect(pattern.startsWith('dt/') || pattern.startsWith('cmd/')).toBe(true);
  });
});
