import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../events/envelope.ts';
import { alarmKey, alarmsProjection, deviceStateProjection, rejectionsProjection, type RejectionRow } from '../../events/projections/index.ts';
import { readHistory, type HistoryRequest } from '../../functions/deviceViews/deviceHistory.ts';
import type { RejectionPageRequest } from '../../functions/deviceViews/deviceReadModel.ts';
import { replayRowAsOf } from '../../functions/deviceViews/replayAsOf.ts';
import { createSqliteDeviceReadModel, REJECTION_INDEX } from '../../functions/deviceViews/sqliteDeviceReadModel.ts';
import { openSqlite, type SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import type { ReadStreamOptions } from '../../functions/eventStore/eventStore.ts';
import { createSqliteEventStore, type SqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { createProjectionEngine } from '../../functions/projections/projectionEngine.ts';
import { createSqliteProjectionStore } from '../../functions/projections/sqliteProjectionStore.ts';
import type { ProjectionStore } from '../../functions/projections/projectionStore.ts';
import { manualClock } from '../../functions/shared/clock.ts';
import { testDeviceReadModel } from '../suites/deviceReadModel.suite.ts';
import { bruteForceRowAsOf, deviceLife, rejectedMessage, seeded, wholeStream, type Step } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'device-views-'));
const clock = manualClock('2026-03-01T00:00:00.000Z');
let db: SqliteDatabase;
let store: SqliteEventStore;
let projections: ProjectionStore;
let stream: StoredEvent[];
/** Every readStream call the views made: proof that each read is a bounded page. */
const calls: ReadStreamOptions[] = [];
const recording = () => ({
  readStream: (s: string, o?: ReadStreamOptions) => {
    calls.push(o ?? {});
    return store.readStream(s, o);
  },
  streamVersion: (s: string) => store.streamVersion(s),
});

const play = async (streamId: string, steps: readonly Step[]) => {
  for (const step of steps) {
    clock.advance(step.advanceMs);
    await store.append({ streamId, expectedVersion: 'any', events: step.events });
  }
};

beforeAll(async () => {
  db = openSqlite({ file: join(dir, 'fleet.db') });
  store = createSqliteEventStore(db, clock);
  projections = createSqliteProjectionStore(db);
  const engine = createProjectionEngine({ events: store, store: projections, projections: [deviceStateProjection, alarmsProjection, rejectionsProjection] });
  // Two devices whose names share a prefix ("meter-1/..." and "meter-10/..." alarm keys), interleaved.
  const one = deviceLife('meter-1', 160, 7, clock.now().getTime());
  const ten = deviceLife('meter-10', 40, 8, clock.now().getTime());
  for (let i = 0; i < one.length; i++) {
    await play('device-meter-1', [one[i]!]);
    if (ten[i]) await play('device-meter-10', [ten[i]!]);
  }
  for (let i = 0; i < 30; i++) {
    clock.advance(i % 4 === 0 ? 0 : 500);
    await store.append({ streamId: 'rejected-unattributed', expectedVersion: 'any', events: [rejectedMessage(undefined, i % 2 ? 'topic' : 'unknown-device', clock.now(), 10 + i)] });
  }
  await engine.settled();
  await engine.stop();
  stream = await wholeStream(store, 'device-meter-1');
});
let suiteDb: { db: SqliteDatabase; engine: ReturnType<typeof createProjectionEngine> } | undefined;
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('state as of an instant, by replay', () => {
  it('equals the live projection row at the present, reading the stream one bounded page at a time', async () => {
    expect(stream.length).toBeGreaterThan(1500);
    calls.length = 0;
    const replayed = await replayRowAsOf(recording(), 'device-meter-1', deviceStateProjection, 'meter-1', clock.now().getTime());
    expect(replayed.row).toEqual(projections.getRow('device-state', 'meter-1'));
    expect(replayed.position).toBe(stream.length);
    expect(replayed.unreadable).toBe(1);
    expect(calls.length).toBe(Math.ceil((stream.length + 1) / 500));
    expect(calls.every((c) => c.limit === 500)).toBe(true);
    // The same fold serves any projection: an alarm row replays to its live value too.
    const alarm = await replayRowAsOf(store, 'device-meter-1', alarmsProjection, alarmKey('meter-1', 'a1'), clock.now().getTime());
    expect(alarm.row).toEqual(projections.getRow('alarms', alarmKey('meter-1', 'a1')));
  });

  it('equals a brute-force fold of the events recorded by then, at instants on, between and around events', async () => {
    const r = seeded(99);
    const times = [...new Set(stream.map((e) => Date.parse(e.recordedAt)))];
    const instants = [times[0]! - 1, times[0]!, ...Array.from({ length: 25 }, () => r.pick(times) + r.pick([-1, 0, 1, 700])), times.at(-1)!, times.at(-1)! + 86_400_000];
    for (const at of instants) {
      const pageSize = r.pick([1, 7, 64, 500]);
      const replayed = await replayRowAsOf(store, 'device-meter-1', deviceStateProjection, 'meter-1', at, pageSize);
      expect(replayed.row ?? null, `as of ${new Date(at).toISOString()} in pages of ${pageSize}`).toEqual(bruteForceRowAsOf(deviceStateProjection, stream, 'meter-1', at));
      expect(replayed.position).toBe(stream.filter((e) => Date.parse(e.recordedAt) <= at).length);
    }
  });
});

describe('history', () => {
  const pages = async (request: Omit<HistoryRequest, 'start'>, options: Parameters<typeof readHistory>[2] = {}) => {
    const seen: StoredEvent[] = [];
    const sizes: number[] = [];
    let start: number | undefined;
    for (let guard = 0; guard < 10_000; guard++) {
      const page = await readHistory(recording(), { ...request, start }, options);
      if (!page) throw new Error('no such device');
      seen.push(...page.items);
      sizes.push(page.items.length);
      if (page.next === undefined) return { seen, sizes };
      start = page.next;
    }
    throw new Error('the history never ended');
  };
  const ids = (events: readonly StoredEvent[]) => events.map((e) => e.eventId);

  it('pages forwards and backwards over every event exactly once, in stream order', async () => {
    for (const limit of [1, 37, 500]) {
      calls.length = 0;
      const forwards = await pages({ thingName: 'meter-1', limit, direction: 'forwards' });
      expect(ids(forwards.seen)).toEqual(ids(stream));
      expect(calls.every((c) => (c.limit ?? Infinity) <= limit)).toBe(true);
      const backwards = await pages({ thingName: 'meter-1', limit, direction: 'backwards' });
      expect(ids(backwards.seen)).toEqual(ids(stream).reverse());
      expect(forwards.sizes.slice(0, -1).every((n) => n === limit)).toBe(true);
    }
  });

  it('filters by type within a scan budget: short pages keep a cursor, and together they hold every match once', async () => {
    const types = ['AlarmAcknowledged', 'MessageRejected'];
    const expected = ids(stream.filter((e) => types.includes(e.type)));
    expect(expected.length).toBeGreaterThan(50);
    calls.length = 0;
    const { seen, sizes } = await pages({ thingName: 'meter-1', limit: 10, direction: 'forwards', types }, { scanBudget: 40, chunkSize: 16 });
    expect(ids(seen)).toEqual(expected);
    expect(sizes.some((n) => n < 10)).toBe(true);
    expect(calls.every((c) => (c.limit ?? Infinity) <= 16)).toBe(true);
    const back = await pages({ thingName: 'meter-1', limit: 10, direction: 'backwards', types }, { scanBudget: 40, chunkSize: 16 });
    expect(ids(back.seen)).toEqual([...expected].reverse());
  });

  it('keeps the events recorded in [from, to), found by binary search, in both directions', async () => {
    const r = seeded(5);
    const times = stream.map((e) => Date.parse(e.recordedAt));
    for (let i = 0; i < 12; i++) {
      const a = r.pick(times) + r.pick([0, 1, -1]);
      const b = r.pick(times) + r.pick([0, 1, -1]);
      const [fromMs, toMs] = a < b ? [a, b] : [b, a + 1];
      const expected = stream.filter((e) => Date.parse(e.recordedAt) >= fromMs && Date.parse(e.recordedAt) < toMs);
      const forwards = await pages({ thingName: 'meter-1', limit: 23, direction: 'forwards', fromMs, toMs });
      expect(ids(forwards.seen)).toEqual(ids(expected));
      const backwards = await pages({ thingName: 'meter-1', limit: 23, direction: 'backwards', fromMs, toMs, types: ['DeviceStateReported'] });
      expect(ids(backwards.seen)).toEqual(ids(expected.filter((e) => e.type === 'DeviceStateReported')).reverse());
    }
    expect((await pages({ thingName: 'meter-1', limit: 5, direction: 'forwards', fromMs: times.at(-1)! + 1 })).seen).toEqual([]);
    expect((await pages({ thingName: 'meter-1', limit: 5, direction: 'backwards', toMs: times[0]! })).seen).toEqual([]);
  });

  it('shows events upcast, old versions marked, and unreadable ones as stored', async () => {
    const all = (await pages({ thingName: 'meter-1', limit: 500, direction: 'forwards', types: ['AlarmRaised', 'DeviceStateReported'] })).seen;
    const legacy = all.find((e) => (e.data as { alarmId?: string }).alarmId === 'a-legacy');
    expect(legacy).toMatchObject({ type: 'AlarmRaised', typeVersion: 2, upcastFrom: 1, data: { severity: 'major', code: 'LEGACY' } });
    const future = all.filter((e) => 'unreadable' in e);
    expect(future).toEqual([expect.objectContaining({ type: 'DeviceStateReported', typeVersion: 99, unreadable: expect.stringContaining('newer version') as unknown })]);
    expect(all.filter((e) => 'upcastFrom' in e)).toHaveLength(1);
  });

  it('knows no history for a device without events', async () => {
    expect(await readHistory(store, { thingName: 'meter-2', limit: 5, direction: 'forwards' })).toBeUndefined();
  });
});

describe('the SQLite read model', () => {
  const model = () => createSqliteDeviceReadModel(db);

  it('walks each rejection filter on its own index, in page order', () => {
    const rows = ([...projections.allRows('rejections').values()] as RejectionRow[]).sort((a, b) =>
      a.receivedAt === b.receivedAt ? (a.eventId < b.eventId ? 1 : -1) : a.receivedAt < b.receivedAt ? 1 : -1,
    );
    const filters: { request: Omit<RejectionPageRequest, 'limit'>; index: string }[] = [
      { request: {}, index: REJECTION_INDEX.byTime },
      { request: { thingName: 'meter-10' }, index: REJECTION_INDEX.byThing },
      { request: { stage: 'unknown-device' }, index: REJECTION_INDEX.byStage },
      { request: { thingName: 'meter-1', stage: 'decode' }, index: REJECTION_INDEX.byThing },
    ];
    for (const { request, index } of filters) {
      const plan = model().explainRejections({ ...request, limit: 3, after: { receivedAt: rows[5]!.receivedAt, eventId: rows[5]!.eventId } }).join(' | ');
      expect(plan).toContain(index);
      expect(plan).not.toContain('TEMP B-TREE');
    }
  });
});

// A fresh SQLite file per run of the suite: the event store, and the real projection engine folding it.
testDeviceReadModel('SQLite', {
  create() {
    const file = openSqlite({ file: join(dir, 'read-model-suite.db') });
    const events = createSqliteEventStore(file);
    const engine = createProjectionEngine({ events, store: createSqliteProjectionStore(file), projections: [deviceStateProjection, alarmsProjection, rejectionsProjection] });
    suiteDb = { db: file, engine };
    return Promise.resolve({
      model: createSqliteDeviceReadModel(file),
      async append(streamId, batch) {
        const result = await events.append({ streamId, expectedVersion: 'any', events: batch });
        await engine.settled();
        return result.events;
      },
    });
  },
  async dispose() {
    await suiteDb?.engine.stop();
    suiteDb?.db.close();
  },
});
