import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../events/envelope.ts';
import { upcast } from '../../events/upcasting.ts';
import type { EventBridgeEnvelope } from '../../functions/bus/envelope.ts';
import { createInProcessBus } from '../../functions/bus/inProcessBus.ts';
import { withGroupCommit } from '../../functions/eventStore/groupCommit.ts';
import { openSqlite } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { appendIngestedEvent } from '../../functions/ingestion/appendIngestedEvent.ts';
import { decodeDeviceMessage, type DeviceMessage } from '../../functions/ingestion/decodeDeviceMessage.ts';
import { createIngestionPipeline } from '../../functions/ingestion/ingestionPipeline.ts';
import { manualClock } from '../../functions/shared/clock.ts';
import { INGEST_SOURCE } from '../../schemas/bus/ingest.ts';
import { encodeSenmlCbor, type SenmlRecord } from '../../schemas/senml/index.ts';

/*
 * The embedded pipeline appends the facts its own decode step validated without parsing them a
 * second time. These tests hold it to the validating path: for random valid and invalid packs,
 * the events it stores are exactly those the validating handler stores from the bus entries.
 */

let seed = 20260101;
const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const text = (max: number) => Array.from({ length: Math.floor(rand() * max) }, () => pick(['a', 'Z', '9', '-', '/', ' ', 'é', '_', ':'])).join('');

const NAMES = ['5700', '5701', '13', '0', '99999999', 'bad name', '', '/x', '5700_'];
const stateRecord = (): SenmlRecord => {
  const r: Record<string, unknown> = { n: pick(NAMES) };
  if (rand() < 0.5) r.bn = pick(['/3303/0/', '/3/0/', '/65536/0/', 'urn:dev:x:', '']);
  if (rand() < 0.3) r.bt = pick([1767225600, -1, 1e12, 0]);
  if (rand() < 0.2) r.t = pick([0, -5, 3.5]);
  if (rand() < 0.3) r.u = pick(['Cel', '%RH', text(4)]);
  const kind = rand();
  if (kind < 0.5) r.v = pick([rand() * 100, -1e30, 0, 2 ** 60]);
  else if (kind < 0.7) r.vs = text(40);
  else if (kind < 0.8) r.vb = rand() < 0.5;
  else if (kind < 0.9) r.vd = Uint8Array.from({ length: Math.floor(rand() * 8) }, () => Math.floor(rand() * 256));
  else r.s = rand() * 10;
  return r;
};
const alarmRecords = (): SenmlRecord[] => {
  const id = pick(['leak-1', 'door', 'x'.repeat(70), 'bad id!']);
  const records: SenmlRecord[] = [{ bn: `${id}/`, bt: 1767225600 + Math.floor(rand() * 1000), n: 'state', vs: pick(['raised', 'cleared', 'exploded']) }];
  if (rand() < 0.8) records.push({ n: 'code', vs: pick(['LEAK', '', text(10)]) });
  if (rand() < 0.8) records.push({ n: 'severity', vs: pick(['critical', 'major', 'minor', 'warning', 'loud']) });
  if (rand() < 0.4) records.push({ n: 'message', vs: text(300) });
  if (rand() < 0.3) records.push({ n: 'path', vs: pick(['/3303/0/5700', '/3303', 'nope']) });
  if (rand() < 0.1) records.push({ n: 'color', vs: 'red' });
  return records;
};

const encodeOrGarbage = (records: SenmlRecord[]): Uint8Array => {
  let bytes: Uint8Array;
  try {
    bytes = encodeSenmlCbor(records, { profile: 'lwm2m' });
  } catch {
    // The encoder refuses some of the generated records: send bytes no decoder accepts instead.
    return Uint8Array.from({ length: 1 + Math.floor(rand() * 16) }, () => Math.floor(rand() * 256));
  }
  if (rand() < 0.15) {
    bytes = Uint8Array.from(bytes);
    bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
  }
  return bytes;
};

const randomMessage = (i: number): DeviceMessage => {
  const thing = `meter-${i % 7}`;
  const channel = rand() < 0.6 ? 'state' : 'alarms';
  const records = channel === 'state' ? Array.from({ length: Math.floor(rand() * 4) }, stateRecord) : alarmRecords();
  const topic = `dt/lwm2m/${thing}/${channel}`;
  return { thingName: thing, channel, topic, payload: encodeOrGarbage(records), receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)), deliveryKey: `${thing}:${i}` };
};

/** What a stored event says, without where the store put it. */
const fact = (e: StoredEvent) => ({ streamId: e.streamId, type: e.type, typeVersion: e.typeVersion, actor: e.actor, correlationId: e.correlationId, data: e.data });

const storedByEventId = async (store: ReturnType<typeof createSqliteEventStore>) =>
  new Map((await store.readAll({ limit: 100_000 })).events.map((e) => [e.eventId, fact(e)]));

const newStore = () => createSqliteEventStore(openSqlite({ file: ':memory:' }), manualClock());

/** The bus's delivery of an entry, as JSON, the way the validating handler receives it. */
const delivered = (entry: ReturnType<typeof decodeDeviceMessage>[number]): EventBridgeEnvelope =>
  JSON.parse(
    JSON.stringify({
      version: '0',
      id: 'x',
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: '000000000000',
      time: '2026-01-01T00:00:00Z',
      region: 'local',
      resources: [],
      detail: entry.Detail,
    }),
  ) as EventBridgeEnvelope;

describe('embedded fast path for facts the decode step validated', () => {
  it('stores exactly what the validating handler stores, for 600 random valid and invalid packs', async () => {
    const messages = Array.from({ length: 600 }, (_, i) => randomMessage(i));

    const fastStore = newStore();
    const bus = createInProcessBus({ retry: { maxAttempts: 1 } });
    const pipeline = createIngestionPipeline({ bus, events: withGroupCommit(fastStore), ackTimeoutMs: 5000 });
    await Promise.all(messages.map((m) => pipeline.ingest(m)));
    await bus.drain();
    pipeline.stop();

    const checkedStore = newStore();
    const handler = appendIngestedEvent({ events: checkedStore });
    for (const m of messages) {
      for (const entry of decodeDeviceMessage(m)) await handler(delivered(entry) as never, {} as Context);
    }

    const fast = await storedByEventId(fastStore);
    const checked = await storedByEventId(checkedStore);
    const types = [...fast.values()].map((f) => f.type);
    // The generator must reach every branch, or the comparison proves little.
    for (const t of ['DeviceStateReported', 'AlarmRaised', 'AlarmCleared', 'MessageRejected']) expect(types).toContain(t);
    expect(types.filter((t) => t === 'MessageRejected').length).toBeGreaterThan(50);
    expect(types.filter((t) => t !== 'MessageRejected').length).toBeGreaterThan(150);
    expect(bus.deadLetters()).toEqual([]);
    expect(fast.size).toBe(checked.size);
    expect(Object.fromEntries(fast)).toEqual(Object.fromEntries(checked));
    // Nothing the fast path stored fails the catalog's own schema on the way back.
    for (const e of (await fastStore.readAll({ limit: 100_000 })).events) expect(() => upcast(e)).not.toThrow();
  });

  it('validates an event on the rule that the pipeline did not decode, even while a message with its ids waits', async () => {
    const store = newStore();
    const bus = createInProcessBus({ retry: { maxAttempts: 1 } });
    const pipeline = createIngestionPipeline({ bus, events: withGroupCommit(store), ackTimeoutMs: 5000 });
    const good = randomMessageOf('meter-1', [{ bn: '/3303/0/', bt: 1767225600, n: '5700', v: 21.5 }]);
    const [entry] = decodeDeviceMessage(good);
    const detail = entry!.Detail as { eventId: string; messageId: string };
    // Another module puts an AlarmRaised with the waiting message's ids and data the catalog refuses.
    const forged = bus.put([{ Source: INGEST_SOURCE, DetailType: 'AlarmRaised', Detail: { ...detail, thingName: 'meter-1', data: { thingName: 'meter-1', alarmId: 'x', severity: 'loud' } } }]);
    await Promise.all([pipeline.ingest(good), forged]);
    await bus.drain();
    pipeline.stop();

    const stored = (await store.readAll()).events;
    expect(stored.map((e) => e.type)).toEqual(['DeviceStateReported']);
    expect(bus.deadLetters('ingest-append')).toHaveLength(1);
    expect(bus.deadLetters('ingest-append')[0]!.errorMessage).toMatch(/Invalid ingest bus event/);
  });
});

function randomMessageOf(thing: string, records: SenmlRecord[]): DeviceMessage {
  return { thingName: thing, channel: 'state', topic: `dt/lwm2m/${thing}/state`, payload: encodeSenmlCbor(records, { profile: 'lwm2m' }), receivedAt: new Date('2026-01-01T00:00:00Z'), deliveryKey: `${thing}:1` };
}
