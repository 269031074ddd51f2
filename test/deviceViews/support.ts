import { randomUUID } from 'node:crypto';
import type { DomainEvent } from '../../events/catalog/index.ts';
import type { NewEvent, StoredEvent } from '../../events/envelope.ts';
import { foldProjection, type Projection } from '../../events/projections/projection.ts';
import type { EventType } from '../../events/catalog/index.ts';
import { upcast, UnknownEventError } from '../../events/upcasting.ts';
import type { EventStore } from '../../functions/eventStore/eventStore.ts';
import { newEvent, provisioned } from '../support/events.ts';

/** A small seeded generator (mulberry32): the same device life on every run. */
export const seeded = (seed: number) => {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)), pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]! };
};

/** One append: how far the clock moves first (0: the same millisecond as the previous one), then the events. */
export interface Step {
  readonly advanceMs: number;
  readonly events: readonly NewEvent[];
}

const PATHS = ['/3303/0/5700', '/3304/0/5700', '/3/0/9', '/3/0/7'] as const;
const ALARMS = ['a1', 'a2', 'a3', 'a4', 'a5'] as const;

/**
 * A busy device's life: provisioning, then state reports (some with device times older than what
 * was already reported, which the projection must not let win), alarms raised, cleared and
 * acknowledged, one stored AlarmRaised v1 (upcast on reading), one event of a version the catalog
 * does not know (skipped by projections, shown as unreadable in the history) and a few rejected
 * messages. Appends of 1-20 events, the clock moving 0-4 s between them.
 */
export const deviceLife = (thingName: string, appends: number, seed: number, startMs: number): Step[] => {
  const r = seeded(seed);
  let deviceMs = startMs;
  const steps: Step[] = [{ advanceMs: 1, events: [provisioned(thingName)] }];
  for (let i = 0; i < appends; i++) {
    const events: NewEvent[] = [];
    for (let n = r.int(1, 20); n > 0; n--) {
      deviceMs += r.int(0, 3000);
      const roll = r.next();
      const lateBy = r.next() < 0.2 ? r.int(1, 60_000) : 0;
      if (roll < 0.7) {
        const values = Array.from({ length: r.int(1, 3) }, () => {
          const path = r.pick(PATHS);
          return { name: path, path, time: new Date(deviceMs - lateBy).toISOString(), value: { kind: 'number' as const, v: r.int(-40, 90) }, unit: 'Cel' };
        });
        events.push(newEvent('DeviceStateReported', { thingName, messageId: randomUUID(), topic: `dt/lwm2m/${thingName}/state`, values }));
      } else if (roll < 0.8) {
        events.push(newEvent('AlarmRaised', { thingName, alarmId: r.pick(ALARMS), code: 'HIGH', severity: r.pick(['critical', 'major', 'minor', 'warning'] as const), raisedAt: new Date(deviceMs).toISOString() }));
      } else if (roll < 0.87) {
        events.push(newEvent('AlarmCleared', { thingName, alarmId: r.pick(ALARMS), clearedAt: new Date(deviceMs).toISOString() }));
      } else if (roll < 0.92) {
        events.push(newEvent('AlarmAcknowledged', { thingName, alarmId: r.pick(ALARMS), commandId: randomUUID() }, { actor: { kind: 'user', id: 'ada@example.com', role: 'operator' } }));
      } else {
        events.push(rejectedMessage(thingName, r.pick(['decode', 'validate'] as const), new Date(deviceMs), r.int(1, 40)));
      }
    }
    if (i === Math.floor(appends / 3)) events.push(alarmRaisedV1(thingName, 'a-legacy', new Date(deviceMs).toISOString()));
    if (i === Math.floor(appends / 2)) events.push(unreadableReport(thingName));
    steps.push({ advanceMs: r.next() < 0.15 ? 0 : r.int(1, 4000), events });
  }
  // Re-raising drops an acknowledgement, so a long life ends with one that stays, and a clear.
  const operator = { actor: { kind: 'user' as const, id: 'ada@example.com', role: 'operator' as const } };
  steps.push({
    advanceMs: 1000,
    events: [
      newEvent('AlarmRaised', { thingName, alarmId: 'a1', code: 'HIGH', severity: 'major', raisedAt: new Date(deviceMs + 1000).toISOString() }),
      newEvent('AlarmAcknowledged', { thingName, alarmId: 'a1', commandId: randomUUID(), note: 'on it' }, operator),
      newEvent('AlarmRaised', { thingName, alarmId: 'a2', code: 'LOW', severity: 'minor', raisedAt: new Date(deviceMs + 1000).toISOString() }),
      newEvent('AlarmCleared', { thingName, alarmId: 'a2', clearedAt: new Date(deviceMs + 2000).toISOString() }),
    ],
  });
  return steps;
};

export const rejectedMessage = (thingName: string | undefined, stage: 'topic' | 'decode' | 'validate' | 'unknown-device', at: Date, size: number) => {
  const bytes = Buffer.from(Array.from({ length: size }, (_, i) => (i * 37 + size) % 256));
  return newEvent('MessageRejected', {
    ...(thingName === undefined ? {} : { thingName }),
    topic: thingName === undefined ? 'dt/lwm2m/unknown/state' : `dt/lwm2m/${thingName}/state`,
    messageId: randomUUID(),
    stage,
    reason: `not valid at ${stage}`,
    payloadBase64: bytes.toString('base64'),
    payloadBytes: size,
    truncated: false,
    receivedAt: at.toISOString(),
  });
};

/** AlarmRaised as version 1 stored it: numeric severity (2 = major). */
export const alarmRaisedV1 = (thingName: string, alarmId: string, raisedAt: string): NewEvent => ({
  eventId: randomUUID(),
  type: 'AlarmRaised',
  typeVersion: 1,
  data: { thingName, alarmId, code: 'LEGACY', severity: 2, raisedAt },
  actor: { kind: 'device', id: thingName },
});

/** A DeviceStateReported of a version this build does not know: no projection can read it. */
export const unreadableReport = (thingName: string): NewEvent => ({
  eventId: randomUUID(),
  type: 'DeviceStateReported',
  typeVersion: 99,
  data: { thingName, from: 'the future' },
  actor: { kind: 'device', id: thingName },
});

/** Every event of a stream, read in pages (tests only: the brute-force side). */
export const wholeStream = async (events: Pick<EventStore, 'readStream'>, streamId: string): Promise<StoredEvent[]> => {
  const all: StoredEvent[] = [];
  for (;;) {
    const page = await events.readStream(streamId, { from: all.length + 1, limit: 1000 });
    all.push(...page);
    if (page.length < 1000) return all;
  }
};

export const readableEvents = (stored: readonly StoredEvent[]): DomainEvent[] =>
  stored.flatMap((e) => {
    try {
      return [upcast(e)];
    } catch (err) {
      if (err instanceof UnknownEventError) return [];
      throw err;
    }
  });

/** The row a brute-force fold of the events recorded at or before `atMs` gives, as JSON would carry it. */
export const bruteForceRowAsOf = <Row, T extends EventType>(projection: Projection<Row, T>, stored: readonly StoredEvent[], key: string, atMs: number): unknown => {
  const row = foldProjection(projection, readableEvents(stored.filter((e) => Date.parse(e.recordedAt) <= atMs))).get(key);
  return row === undefined ? null : (JSON.parse(JSON.stringify(row)) as unknown);
};
