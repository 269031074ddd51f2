import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../events/envelope.ts';
import type { Bus, BusEntry, PutResult } from '../../functions/bus/bus.ts';
import type { EventBridgeEnvelope } from '../../functions/bus/envelope.ts';
import { createInProcessBus, type InProcessBus } from '../../functions/bus/inProcessBus.ts';
import { openSqlite } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore, type SqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { createOutbox } from '../../functions/outbox/outbox.ts';
import { createEnvelopeIdSlot, publishedEventId } from '../../functions/outbox/publishedEventId.ts';
import { createSqliteOutboxCheckpoints, type OutboxCheckpoints } from '../../functions/outbox/sqliteOutboxCheckpoints.ts';
import { provisioned, reported } from '../support/events.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const dbFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'outbox-'));
  dirs.push(dir);
  return join(dir, 'fleet.db');
};

const open = (file: string) => {
  const db = openSqlite({ file });
  return { db, events: createSqliteEventStore(db), checkpoints: createSqliteOutboxCheckpoints(db) };
};

/** Appends `n` events spread over five devices, a few per commit. */
const appendMany = async (events: SqliteEventStore, n: number, from = 0) => {
  for (let i = from; i < from + n; i += 3) {
    const requests = Array.from({ length: Math.min(3, from + n - i) }, (_, k) => {
      const j = i + k;
      return { streamId: `device-m${j % 5}`, expectedVersion: 'any' as const, events: [reported(`m${j % 5}`, '/3303/0/5700', j, new Date(Date.UTC(2026, 0, 1, 0, 0, j)).toISOString())] };
    });
    await events.appendBatch(requests);
  }
};

const allStored = async (events: SqliteEventStore): Promise<StoredEvent[]> => (await events.readAll({ limit: 100_000 })).events.slice();

/** A bus with a rule that records every published envelope. */
const recordingBus = () => {
  const ids = createEnvelopeIdSlot();
  const bus = createInProcessBus({ ids: ids.next });
  const got: EventBridgeEnvelope[] = [];
  bus.subscribe({ name: 'record', pattern: { source: ['lwm2m.fleet'] }, target: (e) => Promise.resolve(void got.push(e)) });
  return { bus, ids, got };
};

const eventIdsOf = (envelopes: readonly EventBridgeEnvelope[]) => envelopes.map((e) => e.detail.eventId as string);

describe('outbox: every stored event on the bus', () => {
  it('publishes every event once, in store order, with envelope ids derived from the event ids, and checkpoints the last', async () => {
    const { db, events, checkpoints } = open(dbFile());
    await events.append({ streamId: 'device-m9', expectedVersion: 0, events: [provisioned('m9')] });
    await appendMany(events, 24);
    const { bus, ids, got } = recordingBus();
    // Pages of 7 and PutEvents chunks of 10 do not line up: both boundaries get crossed.
    const outbox = createOutbox({ events, bus, checkpoints, ids, batchSize: 7 });
    await outbox.settled();
    await bus.drain();

    const stored = await allStored(events);
    expect(stored).toHaveLength(25);
    expect(eventIdsOf(got)).toEqual(stored.map((e) => e.eventId));
    expect(got.map((e) => e.id)).toEqual(stored.map((e) => publishedEventId(e.eventId)));
    expect(got[0]).toMatchObject({ 'detail-type': 'DeviceProvisioned', resources: ['device-m9'], detail: { streamId: 'device-m9', streamPosition: 1, globalPosition: 1 } });
    expect(checkpoints.get('bus')).toBe(events.headPosition());
    expect(outbox.position()).toBe(events.headPosition());

    // Live: appends after start are published once woken, and nothing earlier again.
    await appendMany(events, 4, 100);
    await outbox.settled();
    await bus.drain();
    expect(got).toHaveLength(29);
    expect(new Set(eventIdsOf(got)).size).toBe(29);
    await outbox.stop();
    db.close();
  });

  it('after a restart resumes at the persisted checkpoint: nothing is published twice or left out', async () => {
    const file = dbFile();
    const first = open(file);
    await appendMany(first.events, 12);
    const one = recordingBus();
    const outboxOne = createOutbox({ events: first.events, bus: one.bus, checkpoints: first.checkpoints, ids: one.ids });
    await outboxOne.settled();
    await outboxOne.stop();
    // Appended while no outbox runs (e.g. by a migration, or between a crash and the restart).
    await appendMany(first.events, 5, 50);
    first.db.close();

    const second = open(file);
    const two = recordingBus();
    const outboxTwo = createOutbox({ events: second.events, bus: two.bus, checkpoints: second.checkpoints, ids: two.ids });
    await outboxTwo.settled();
    await two.bus.drain();
    await one.bus.drain();
    const stored = await allStored(second.events);
    expect(one.got).toHaveLength(12);
    expect(eventIdsOf(two.got)).toEqual(stored.slice(12).map((e) => e.eventId));
    await outboxTwo.stop();
    second.db.close();
  });

  it('when the bus refuses an entry, checkpoints what it accepted and publishes again from the refused one', async () => {
    const { db, events, checkpoints } = open(dbFile());
    await appendMany(events, 15);
    const { bus: inner, ids, got } = recordingBus();
    let calls = 0;
    // PutEvents semantics: one entry fails (throttled), the others of the request are accepted.
    const flaky: Pick<Bus, 'put'> = {
      async put(entries: BusEntry[]): Promise<PutResult> {
        calls++;
        const result = await inner.put(entries);
        if (calls !== 1) return result;
        return { FailedEntryCount: 1, Entries: result.Entries.map((r, i) => (i === 3 ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' } : r)) };
      },
    };
    const errors: string[] = [];
    const outbox = createOutbox({ events, bus: flaky, checkpoints, ids, retry: { baseDelayMs: 1, maxDelayMs: 1 }, onError: (e) => errors.push(e.message) });
    await outbox.settled();
    await inner.drain();

    const stored = await allStored(events);
    const storedIds = stored.map((e) => e.eventId);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(stored[3]!.eventId);
    // The recording rule saw the whole first request (the wrapper only reported entry 3 as failed);
    // the retry starts at the refused entry, so entries 3..9 were published twice, and nothing was skipped.
    expect(eventIdsOf(got)).toEqual([...storedIds.slice(0, 10), ...storedIds.slice(3)]);
    const byEvent = new Map<string, Set<string>>();
    for (const e of got) byEvent.set(e.detail.eventId as string, (byEvent.get(e.detail.eventId as string) ?? new Set()).add(e.id));
    // A re-publication is recognisable: the same event always has the same envelope id.
    expect([...byEvent.values()].every((s) => s.size === 1)).toBe(true);
    expect(checkpoints.get('bus')).toBe(events.headPosition());
    await outbox.stop();
    db.close();
  });

  it('a crash between put and checkpoint loses nothing: the next start publishes those events again, with the same ids', async () => {
    const file = dbFile();
    const first = open(file);
    await appendMany(first.events, 9);
    const one = recordingBus();
    // The process "dies" as it writes its first checkpoint: the events are on the bus, the checkpoint is not on disk.
    const dying: OutboxCheckpoints = {
      get: (name) => first.checkpoints.get(name),
      set: () => {
        throw new Error('killed before the checkpoint was written');
      },
    };
    const errors: Error[] = [];
    let died!: () => void;
    const death = new Promise<void>((resolve) => (died = resolve));
    const outboxOne = createOutbox({
      events: first.events,
      bus: one.bus,
      checkpoints: dying,
      ids: one.ids,
      retry: { baseDelayMs: 60_000 },
      onError: (e) => {
        errors.push(e);
        died();
      },
    });
    outboxOne.notify();
    await death;
    await one.bus.drain();
    await outboxOne.stop();
    expect(errors.map((e) => e.message)).toEqual(['killed before the checkpoint was written']);
    expect(one.got).toHaveLength(9);
    expect(first.checkpoints.get('bus')).toBe(0);
    first.db.close();

    const second = open(file);
    const two = recordingBus();
    const outboxTwo = createOutbox({ events: second.events, bus: two.bus, checkpoints: second.checkpoints, ids: two.ids });
    await outboxTwo.settled();
    await two.bus.drain();
    expect(eventIdsOf(two.got)).toEqual(eventIdsOf(one.got));
    expect(two.got.map((e) => e.id)).toEqual(one.got.map((e) => e.id));
    expect(second.checkpoints.get('bus')).toBe(9);
    await outboxTwo.stop();
    second.db.close();
  });

  it('keeps trying while the bus is down, and catches up once it is back', async () => {
    const { db, events, checkpoints } = open(dbFile());
    await appendMany(events, 6);
    const closed: InProcessBus = createInProcessBus();
    await closed.close();
    const { bus: healthy, got } = recordingBus();
    let current: Pick<Bus, 'put'> = closed;
    const failures: number[] = [];
    let recovered!: () => void;
    const thirdFailure = new Promise<void>((resolve) => (recovered = resolve));
    const outbox = createOutbox({
      events,
      bus: { put: (entries) => current.put(entries) },
      checkpoints,
      retry: { baseDelayMs: 1, maxDelayMs: 4 },
      onError: (_e, n) => {
        failures.push(n);
        if (n === 3) recovered();
      },
    });
    outbox.notify();
    await thirdFailure;
    expect(checkpoints.get('bus')).toBe(0);
    current = healthy;
    await outbox.settled();
    await healthy.drain();
    expect(failures.slice(0, 3)).toEqual([1, 2, 3]);
    expect(got).toHaveLength(6);
    await outbox.stop();
    db.close();
  });
});
