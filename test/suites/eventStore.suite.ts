import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent, StoredEvent } from '../../events/envelope.ts';
import {
  InvalidAppendError,
  PartialDuplicateError,
  WrongExpectedVersionError,
  EventIdInOtherStreamError,
  type EventStore,
} from '../../functions/eventStore/eventStore.ts';

/** What an adapter's test file provides: a fresh, empty store per call, and its cleanup. */
export interface EventStoreFactory {
  create(): Promise<EventStore>;
  /** Called once after all cases. */
  dispose?(): Promise<void>;
}

const ev = (n: number, extra: Partial<NewEvent> = {}): NewEvent => ({
  eventId: randomUUID(),
  type: 'DeviceStateReported',
  typeVersion: 1,
  data: { n, nested: { list: [1, 'two', true, null] }, text: 'ünïcødé ✓' },
  actor: { kind: 'device', id: 'dev-1' },
  ...extra,
});

const positions = (events: readonly StoredEvent[]) => events.map((e) => e.streamPosition);
const ns = (events: readonly StoredEvent[]) => events.map((e) => (e.data as { n: number }).n);

const readEverything = async (store: EventStore, pageSize = 7) => {
  const all: StoredEvent[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await store.readAll({ after: cursor, limit: pageSize });
    all.push(...page.events);
    if (page.events.length === 0) return { all, cursor: page.cursor };
    cursor = page.cursor;
  }
};

/**
 * The one event store conformance suite (STYLE.md 9). Every adapter runs exactly these cases.
 */
export const testEventStore = (adapter: string, factory: EventStoreFactory) => {
  describe(`EventStore conformance: ${adapter}`, () => {
    let store: EventStore;
    let s = 0;
    const stream = () => `device-${adapter.toLowerCase().replace(/[^a-z0-9]+/g, '')}-${++s}-${randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      store = await factory.create();
    });
    afterAll(async () => {
      await store.close();
      await factory.dispose?.();
    });

    it('appends to a new stream and reads it back with positions, envelope and data intact', async () => {
      const id = stream();
      const input = [ev(1, { correlationId: 'corr-1', causationId: 'cause-1' }), ev(2), ev(3)];
      const result = await store.append({ streamId: id, expectedVersion: 0, events: input });
      expect(result.status).toBe('appended');
      expect(result.nextExpectedVersion).toBe(3);
      const read = await store.readStream(id);
      expect(positions(read)).toEqual([1, 2, 3]);
      expect(read.map((e) => e.eventId)).toEqual(input.map((e) => e.eventId));
      expect(read[0]).toMatchObject({
        streamId: id,
        type: 'DeviceStateReported',
        typeVersion: 1,
        actor: { kind: 'device', id: 'dev-1' },
        correlationId: 'corr-1',
        causationId: 'cause-1',
        data: input[0]!.data,
      });
      expect(read[1]!.correlationId).toBeUndefined();
      expect(Number.isNaN(Date.parse(read[0]!.recordedAt))).toBe(false);
      expect(await store.streamVersion(id)).toBe(3);
    });

    it('reports a missing stream as empty with version 0', async () => {
      expect(await store.readStream(stream())).toEqual([]);
      expect(await store.streamVersion(stream())).toBe(0);
    });

    it('rejects a wrong expected version with an error naming stream, expected and actual', async () => {
      const id = stream();
      await store.append({ streamId: id, expectedVersion: 0, events: [ev(1), ev(2)] });
      const attempt = store.append({ streamId: id, expectedVersion: 1, events: [ev(3)] });
      await expect(attempt).rejects.toBeInstanceOf(WrongExpectedVersionError);
      await expect(store.append({ streamId: id, expectedVersion: 0, events: [ev(3)] })).rejects.toMatchObject({
        streamId: id,
        expected: 0,
        actual: 2,
        message: expect.stringContaining(id) as string,
      });
      expect(positions(await store.readStream(id))).toEqual([1, 2]);
    });

    it('appends with expected version "any" at the end of the stream', async () => {
      const id = stream();
      await store.append({ streamId: id, expectedVersion: 'any', events: [ev(1)] });
      const r = await store.append({ streamId: id, expectedVersion: 'any', events: [ev(2), ev(3)] });
      expect(r.nextExpectedVersion).toBe(3);
      expect(ns(await store.readStream(id))).toEqual([1, 2, 3]);
    });

    it('stores a redelivered event once and tells the caller it was a duplicate', async () => {
      const id = stream();
      const first = [ev(1), ev(2)];
      await store.append({ streamId: id, expectedVersion: 0, events: first });
      await store.append({ streamId: id, expectedVersion: 2, events: [ev(3)] });
      // Redelivery with a now-stale expected version is still recognised as a duplicate, not a conflict.
      const again = await store.append({ streamId: id, expectedVersion: 0, events: first });
      expect(again.status).toBe('duplicate');
      expect(positions(again.events)).toEqual([1, 2]);
      const anyAgain = await store.append({ streamId: id, expectedVersion: 'any', events: [first[1]!] });
      expect(anyAgain.status).toBe('duplicate');
      expect(positions(await store.readStream(id))).toEqual([1, 2, 3]);
    });

    it('refuses an append that mixes stored and new event ids, and one reusing an id from another stream', async () => {
      const id = stream();
      const stored = ev(1);
      await store.append({ streamId: id, expectedVersion: 'any', events: [stored] });
      await expect(store.append({ streamId: id, expectedVersion: 'any', events: [stored, ev(2)] })).rejects.toBeInstanceOf(
        PartialDuplicateError,
      );
      await expect(store.append({ streamId: stream(), expectedVersion: 'any', events: [stored] })).rejects.toBeInstanceOf(
        EventIdInOtherStreamError,
      );
      expect(await store.streamVersion(id)).toBe(1);
    });

    it('validates appends before touching storage', async () => {
      const id = stream();
      await expect(store.append({ streamId: id, expectedVersion: 'any', events: [] })).rejects.toBeInstanceOf(InvalidAppendError);
      await expect(store.append({ streamId: 'no category', expectedVersion: 'any', events: [ev(1)] })).rejects.toBeInstanceOf(
        InvalidAppendError,
      );
      const twin = ev(1);
      await expect(store.append({ streamId: id, expectedVersion: 'any', events: [twin, twin] })).rejects.toBeInstanceOf(
        InvalidAppendError,
      );
      await expect(store.append({ streamId: id, expectedVersion: -1, events: [ev(1)] })).rejects.toBeInstanceOf(InvalidAppendError);
      expect(await store.streamVersion(id)).toBe(0);
    });

    it('reads a stream forwards and backwards from a position, with a limit', async () => {
      const id = stream();
      await store.append({ streamId: id, expectedVersion: 0, events: [1, 2, 3, 4, 5, 6].map((n) => ev(n)) });
      expect(ns(await store.readStream(id, { from: 3 }))).toEqual([3, 4, 5, 6]);
      expect(ns(await store.readStream(id, { from: 2, limit: 2 }))).toEqual([2, 3]);
      expect(ns(await store.readStream(id, { direction: 'backwards' }))).toEqual([6, 5, 4, 3, 2, 1]);
      expect(ns(await store.readStream(id, { direction: 'backwards', from: 4, limit: 3 }))).toEqual([4, 3, 2]);
      expect(ns(await store.readStream(id, { from: 7 }))).toEqual([]);
    });

    it('appends a batch to many streams, each request on its own', async () => {
      const [a, b, c] = [stream(), stream(), stream()];
      await store.append({ streamId: b, expectedVersion: 'any', events: [ev(0)] });
      const dup = ev(9);
      await store.append({ streamId: c, expectedVersion: 'any', events: [dup] });
      const outcomes = await store.appendBatch([
        { streamId: a, expectedVersion: 0, events: [ev(1), ev(2)] },
        { streamId: b, expectedVersion: 0, events: [ev(3)] }, // conflict: b is at 1
        { streamId: c, expectedVersion: 'any', events: [dup] }, // duplicate
        { streamId: a, expectedVersion: 2, events: [ev(4)] }, // sees the first request of this batch
      ]);
      expect(outcomes.map((o) => (o.ok ? o.result.status : o.error.name))).toEqual([
        'appended',
        'WrongExpectedVersionError',
        'duplicate',
        'appended',
      ]);
      expect(ns(await store.readStream(a))).toEqual([1, 2, 4]);
      expect(ns(await store.readStream(b))).toEqual([0]);
      expect(ns(await store.readStream(c))).toEqual([9]);
    });

    it('reads everything in an order that keeps every stream in order, page by page, and resumes from a cursor', async () => {
      const before = await readEverything(store);
      const [a, b] = [stream(), stream()];
      for (let i = 1; i <= 5; i++) {
        await store.append({ streamId: a, expectedVersion: 'any', events: [ev(i)] });
        await store.append({ streamId: b, expectedVersion: 'any', events: [ev(100 + i), ev(200 + i)] });
      }
      const after = await store.readAll({ after: before.cursor, limit: 1000 });
      const mine = after.events.filter((e) => e.streamId === a || e.streamId === b);
      expect(mine).toHaveLength(15);
      expect(ns(mine.filter((e) => e.streamId === a))).toEqual([1, 2, 3, 4, 5]);
      expect(positions(mine.filter((e) => e.streamId === b))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      const whole = await readEverything(store, 4);
      expect(new Set(whole.all.map((e) => e.eventId)).size).toBe(whole.all.length);
      expect(whole.all.length).toBe(before.all.length + 15);
      const nothingNew = await store.readAll({ after: whole.cursor });
      expect(nothingNew.events).toEqual([]);
      expect(nothingNew.cursor).toBe(whole.cursor);
    });

    it('lets exactly one of 10 concurrent writers win each position: nothing lost, nothing duplicated', async () => {
      const id = stream();
      const writers = 10;
      const perWriter = 5;
      const won: string[] = [];
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let i = 0; i < perWriter; i++) {
            const e = ev(w * 100 + i);
            // Each writer reads the version, then appends expecting it: a classic optimistic loop.
            for (;;) {
              const version = await store.streamVersion(id);
              try {
                await store.append({ streamId: id, expectedVersion: version, events: [e] });
                won.push(e.eventId);
                break;
              } catch (err) {
                if (!(err instanceof WrongExpectedVersionError)) throw err;
              }
            }
          }
        }),
      );
      const read = await store.readStream(id);
      expect(positions(read)).toEqual(Array.from({ length: writers * perWriter }, (_, i) => i + 1));
      expect(new Set(read.map((e) => e.eventId))).toEqual(new Set(won));
      expect(won).toHaveLength(writers * perWriter);
    });

    it('lets 10 concurrent writers with expected version "any" all land, each once', async () => {
      const id = stream();
      const events = Array.from({ length: 30 }, (_, i) => ev(i));
      // Every event is delivered twice, concurrently, as an at-least-once transport would.
      const results = await Promise.all(
        [...events, ...events].map((e, i) =>
          new Promise((r) => setImmediate(r, i)).then(() => store.append({ streamId: id, expectedVersion: 'any', events: [e] })),
        ),
      );
      const read = await store.readStream(id);
      expect(positions(read)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(new Set(read.map((e) => e.eventId)).size).toBe(30);
      expect(results.filter((r) => r.status === 'duplicate')).toHaveLength(30);
    });
  });
};
