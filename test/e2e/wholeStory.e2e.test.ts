import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { StoredEvent } from '../../events/envelope.ts';
import type { DeviceStateRow } from '../../events/projections/deviceState.ts';
import { CommandDetailSchema } from '../../functions/commands/commandApiSchemas.ts';
import { DeviceAlarmsPageSchema, DeviceHistoryPageSchema, DeviceStateViewSchema } from '../../functions/deviceViews/deviceViewSchemas.ts';
import { SimulatedDevice } from '../../functions/simulator/simulatedDevice.ts';
import { verifySignature } from '../../functions/subscriptions/signature.ts';
import { apiFetch } from '../support/api.ts';
import { nextEvent } from '../simulator/support.ts';
import { startReceiver, type Receiver } from '../subscriptions/receiver.ts';
import { commandOutcome, requestRead, startStorySystem, typesOf, until, untilStream, uploadManifest, type StorySystem } from './storySupport.ts';

/**
 * Issue 8's done-when, the whole story through public interfaces only: a manifest uploaded through
 * the API → provisioning → simulated devices register over LwM2M and are bootstrapped through the
 * bridge → telemetry and a threshold alarm over MQTT/TLS → an operator's read → the command audit →
 * the device's history paged back through the API, and its state replayed as of now equal to the
 * live projection → a webhook receiver, subscribed through FLEET_SUBSCRIPTIONS_FILE, got exactly the
 * matching domain events, signed, once each after de-duplication.
 */

const BRIDGE = 'story';
const LAMP = 'story-lamp-1';
const OTHER = 'story-lamp-2';
const SUBSCRIPTION = 'story-hooks';
const SECRET = 'whole-story-secret-0123456789abcdef';
const SUBSCRIBED = ['DeviceBootstrapped', 'AlarmRaised', 'CommandSucceeded'];
const ALARM_ID = 'temperature-high-3303-0';

const filesDir = mkdtempSync(join(tmpdir(), 'e2e-whole-story-files-'));
let receiver: Receiver;
let story: StorySystem;
let lamp: SimulatedDevice;
let other: SimulatedDevice;
let commandId: string;

beforeAll(async () => {
  // The receiver refuses the first delivery (503): the subscription retries it, as API destinations do.
  receiver = await startReceiver((_request, index) => (index === 0 ? { status: 503 } : { status: 200 }));
  const subscriptions = join(filesDir, 'subscriptions.json');
  writeFileSync(
    subscriptions,
    JSON.stringify({
      subscriptions: [{ name: SUBSCRIPTION, pattern: { source: ['lwm2m.fleet'], 'detail-type': SUBSCRIBED }, target: { url: `${receiver.url}/hooks/fleet` }, secret: SECRET }],
    }),
  );
  story = await startStorySystem({ name: 'e2e-whole-story', bridgeId: BRIDGE, env: { FLEET_SUBSCRIPTIONS_FILE: subscriptions } });
});

afterAll(async () => {
  await lamp?.stop({ deregister: false });
  await other?.stop({ deregister: false });
  await story?.stop();
  await receiver?.close();
  rmSync(filesDir, { recursive: true, force: true });
});

const get = async <S extends z.ZodType>(path: string, schema: S): Promise<z.infer<S>> => {
  const res = await apiFetch(story.system, path, {}, 'viewer');
  const body: unknown = await res.json();
  expect(res.status, `${path}: ${JSON.stringify(body).slice(0, 300)}`).toBe(200);
  return schema.parse(body);
};
const stateRow = () => story.system.projectionStore.getRow('device-state', LAMP) as DeviceStateRow | undefined;
const celsiusInState = () => stateRow()?.resources['/3303/0/5700']?.value;

describe('the whole story: manifest → bootstrap → telemetry and alarm → command → audit → replay → webhooks', () => {
  it('provisions the devices of a manifest uploaded through the API', async () => {
    const csv = ['serial,tenant,latitude,longitude,kind', `${LAMP},city-of-lund,55.7047,13.1910,lamp`, `${OTHER},city-of-lund,55.7058,13.1932,lamp`].join('\n') + '\n';
    const { progress } = await uploadManifest(story, 'story.csv', csv);
    expect(progress).toMatchObject({ status: 'SUCCEEDED', totalRows: 2, provisioned: 2, failed: 0 });
  });

  it('bootstraps both devices through the bridge once they register, and they connect over MQTT/TLS', async () => {
    const server = story.lwm2m.plainCoap!;
    // The lamp publishes its state every 300 ms once connected; the other only on connecting.
    lamp = await SimulatedDevice.open({ endpoint: LAMP, server, sampleEveryMs: 0, publishEveryMs: 300, alarmAboveCelsius: 30 });
    other = await SimulatedDevice.open({ endpoint: OTHER, server, sampleEveryMs: 0, publishEveryMs: 0 });
    const connected = [nextEvent(lamp.events, 'mqtt-connected', 20_000), nextEvent(other.events, 'mqtt-connected', 20_000)];
    lamp.start();
    other.start();
    await Promise.all(connected);
    for (const thing of [LAMP, OTHER]) {
      const events = await untilStream(story.system, `device-${thing}`, (e) => e.some((x) => x.type === 'DeviceBootstrapped'), `${thing} bootstrapped`);
      expect(typesOf(events).slice(0, 2)).toEqual(['DeviceProvisioned', 'DeviceRegistered']);
      expect(events.find((e) => e.type === 'DeviceBootstrapped')!.data).toMatchObject({ bridgeId: BRIDGE, brokerUri: `mqtts://127.0.0.1:${story.system.mqtt.port}` });
    }
  });

  it('takes the lamp\'s telemetry into its state, and its threshold alarm into an AlarmRaised and the alarms view', async () => {
    lamp.setTemperature(24.5);
    await until('the lamp\'s 24.5 °C in its state row', () => JSON.stringify(celsiusInState()) === JSON.stringify({ kind: 'number', v: 24.5 }));

    lamp.setTemperature(35.5);
    const events = await untilStream(story.system, `device-${LAMP}`, (e) => e.some((x) => x.type === 'AlarmRaised'), 'the alarm');
    expect(events.find((e) => e.type === 'AlarmRaised')).toMatchObject({
      actor: { kind: 'device', id: LAMP },
      data: { thingName: LAMP, alarmId: ALARM_ID, code: 'TEMPERATURE_HIGH', severity: 'major', path: '/3303/0/5700' },
    });
    await until('the lamp\'s 35.5 °C in its state row', () => JSON.stringify(celsiusInState()) === JSON.stringify({ kind: 'number', v: 35.5 }));
    await story.system.projections.settled();
    const alarms = await get(`/devices/${LAMP}/alarms?status=active`, DeviceAlarmsPageSchema);
    expect(alarms.items).toEqual([expect.objectContaining({ alarmId: ALARM_ID, code: 'TEMPERATURE_HIGH', severity: 'major' })]);
  });

  it('relays an operator\'s read of /3/0/0 to the lamp and back', async () => {
    commandId = await requestRead(story, LAMP, '/3/0/0');
    const events = await commandOutcome(story, commandId);
    expect(typesOf(events)).toEqual(['CommandRequested', 'CommandPublished', 'CommandDispatched', 'CommandSucceeded']);
    expect(events[0]!.actor).toEqual({ kind: 'user', id: 'test-operator', role: 'operator' });
    expect(events.at(-1)!.data).toMatchObject({ lwm2mCode: '2.05', result: { values: [{ path: '/3/0/0', value: { kind: 'string', v: 'LwM2M Fleet Simulator' } }] } });
  });

  it('shows the command\'s lifecycle and audit row: who asked what of which device, and how it ended', async () => {
    await story.system.projections.settled();
    const detail = await get(`/commands/${commandId}`, CommandDetailSchema);
    expect(detail.command).toMatchObject({ commandId, thingName: LAMP, operation: 'read', path: '/3/0/0', operator: 'test-operator', role: 'operator', status: 'succeeded', open: false, bridgeId: BRIDGE, lwm2mCode: '2.05' });
    expect(detail.lifecycle.map((l) => l.type)).toEqual(['CommandRequested', 'CommandPublished', 'CommandDispatched', 'CommandSucceeded']);
    expect(detail.lifecycle.map((l) => l.position)).toEqual([1, 2, 3, 4]);

    const ndjson = await apiFetch(story.system, `/audit/commands?format=ndjson&thingName=${LAMP}`, {}, 'viewer');
    expect(ndjson.status).toBe(200);
    const rows = (await ndjson.text()).trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows).toEqual([expect.objectContaining({ commandId, operator: 'test-operator', operation: 'read', path: '/3/0/0', status: 'succeeded', lwm2mCode: '2.05' })]);
    const csv = (await (await apiFetch(story.system, `/audit/commands?thingName=${LAMP}`, {}, 'viewer')).text()).trimEnd().split('\r\n');
    expect(csv).toHaveLength(2);
    expect(csv[1]).toMatch(new RegExp(`^${commandId},[^,]+,test-operator,operator,${LAMP},read,/3/0/0,,succeeded,2\\.05,\\d+,[^,]+,${BRIDGE},`));
  });

  it('pages the lamp\'s whole history back through the API, and its state replayed as of now equals the live row', async () => {
    // The story ends: the lamp de-registers and stops publishing, so "now" stays now while the views are compared.
    await lamp.stop();
    await untilStream(story.system, `device-${LAMP}`, (e) => e.some((x) => x.type === 'DeviceDeregistered'), 'the lamp de-registered');
    await story.system.projections.settled();
    const stored = await story.system.events.readStream(`device-${LAMP}`);

    const paged: z.infer<typeof DeviceHistoryPageSchema>['items'] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await get(`/devices/${LAMP}/history?limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, DeviceHistoryPageSchema);
      paged.push(...page.items);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== undefined && pages < 1000);
    expect(pages).toBeGreaterThan(2);
    expect(paged.map((e) => [e.eventId, e.streamPosition, e.type])).toEqual(stored.map((e) => [e.eventId, e.streamPosition, e.type]));
    expect(paged.map((e) => e.data)).toEqual(stored.map((e) => e.data));
    const types = new Set(typesOf(stored));
    for (const step of ['DeviceProvisioned', 'DeviceRegistered', 'BootstrapResultReported', 'DeviceBootstrapped', 'DeviceStateReported', 'AlarmRaised', 'DeviceDeregistered']) expect(types).toContain(step);

    const live = await get(`/devices/${LAMP}/state`, DeviceStateViewSchema);
    expect(live.source).toBe('projection');
    expect(live.state).toEqual(stateRow());
    const replayed = await get(`/devices/${LAMP}/state?at=${encodeURIComponent(new Date().toISOString())}`, DeviceStateViewSchema);
    expect(replayed).toMatchObject({ source: 'replay', streamPosition: stored.length });
    expect(replayed.state).toEqual(live.state);
    expect(replayed.state?.resources['/3303/0/5700']?.value).toEqual({ kind: 'number', v: 35.5 });

    // As of its first report, the state is the default 21 °C it had on connecting. A periodic report
    // may share that millisecond (the store stamps a batch of appends once): it counts, as it did live.
    const first = stored.find((e) => e.type === 'DeviceStateReported')!;
    const reportsThen = stored.filter((e) => e.type === 'DeviceStateReported' && e.recordedAt <= first.recordedAt).length;
    const then = await get(`/devices/${LAMP}/state?at=${encodeURIComponent(first.recordedAt)}`, DeviceStateViewSchema);
    expect(then.state).toMatchObject({ messages: reportsThen, resources: { '/3303/0/5700': { value: { kind: 'number', v: 21 } } } });
  });

  it('delivered exactly the subscribed domain events to the webhook, signed, each once after de-duplication', async () => {
    const all = await story.system.events.readAll({ limit: 10_000 });
    const expected = new Map<string, StoredEvent>(all.events.filter((e) => SUBSCRIBED.includes(e.type)).map((e) => [e.eventId, e]));
    expect([...expected.values()].map((e) => e.type).sort()).toEqual(['AlarmRaised', 'CommandSucceeded', 'DeviceBootstrapped', 'DeviceBootstrapped']);
    const taken = () => new Set(receiver.received.filter((_r, i) => i > 0).map((r) => r.headers['x-fleet-event-id'] as string));
    await until('every subscribed event taken by the receiver', () => [...expected.keys()].every((id) => taken().has(id)), {
      progress: () => `${taken().size} of ${expected.size} taken, ${receiver.received.length} requests`,
    });

    expect([...taken()].sort()).toEqual([...expected.keys()].sort());
    for (const request of receiver.received) {
      expect(request).toMatchObject({ method: 'POST', path: '/hooks/fleet' });
      expect(request.headers['x-fleet-subscription']).toBe(SUBSCRIPTION);
      expect(verifySignature(request.body, request.headers['x-fleet-signature'] as string, SECRET), 'signature').toBe(true);
      const envelope = JSON.parse(request.body) as { source: string; 'detail-type': string; resources: string[]; detail: StoredEvent };
      const stored = expected.get(request.headers['x-fleet-event-id'] as string);
      expect(stored, `an event the receiver should not have got: ${envelope['detail-type']}`).toBeDefined();
      expect(envelope).toMatchObject({ source: 'lwm2m.fleet', 'detail-type': stored!.type, resources: [stored!.streamId] });
      expect(envelope.detail).toMatchObject({ eventId: stored!.eventId, streamId: stored!.streamId, streamPosition: stored!.streamPosition, type: stored!.type, data: stored!.data });
    }
    // The refused first delivery came again as a second attempt of the same event.
    const refused = receiver.received[0]!;
    expect(receiver.received.some((r, i) => i > 0 && r.headers['x-fleet-event-id'] === refused.headers['x-fleet-event-id'] && r.headers['x-fleet-delivery-attempt'] === '2')).toBe(true);
    expect(story.system.subscriptions?.deadLetters({ subscription: SUBSCRIPTION })).toEqual([]);
  });
});
