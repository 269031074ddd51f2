import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { devicesProjection, deviceStateProjection, foldProjection, defineProjection } from '../../events/projections/index.ts';
import { upcast } from '../../events/upcasting.ts';
import { openSqlite } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { createProjectionEngine } from '../../functions/projections/projectionEngine.ts';
import { createSqliteProjectionStore } from '../../functions/projections/sqliteProjectionStore.ts';
import { newEvent, provisioned, reported } from '../support/events.ts';

const dir = mkdtempSync(join(tmpdir(), 'projections-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const open = () => {
  const file = join(dir, `p-${++n}.db`);
  const db = openSqlite({ file });
  const events = createSqliteEventStore(db);
  const rows = createSqliteProjectionStore(db);
  return { file, db, events, rows };
};

const seed = async (events: ReturnType<typeof open>['events'], devices: number, readings: number) => {
  for (let d = 0; d < devices; d++) {
    const thing = `meter-${d}`;
    await events.append({ streamId: `device-${thing}`, expectedVersion: 'any', events: [provisioned(thing)] });
    for (let r = 0; r < readings; r++) {
      const time = new Date(Date.UTC(2026, 0, 1, 0, 0, r)).toISOString();
      await events.append({ streamId: `device-${thing}`, expectedVersion: 'any', events: [reported(thing, '/3303/0/5700', d * 100 + r, time)] });
    }
  }
};

describe('projection engine on SQLite', () => {
  it('runs live as events are appended, and a rebuild from zero equals the live rows, row for row', async () => {
    const { events, rows } = open();
    const engine = createProjectionEngine({ events, store: rows, projections: [devicesProjection, deviceStateProjection], batchSize: 16 });
    events.onAppended(() => engine.notify());
    await seed(events, 20, 10);
    await events.append({
      streamId: 'device-meter-3',
      expectedVersion: 'any',
      events: [newEvent('DeviceDeprovisioned', { thingName: 'meter-3', reason: 'removed from site' })],
    });
    await engine.settled();

    expect(engine.status().map((s) => s.position)).toEqual([events.headPosition(), events.headPosition()]);
    const state = rows.getRow('device-state', 'meter-7') as { resources: Record<string, { value: { v: number } }>; messages: number };
    expect(state.resources['/3303/0/5700']!.value.v).toBe(709);
    expect(state.messages).toBe(10);
    expect(rows.getRow('device-state', 'meter-3')).toBeUndefined();
    expect(rows.getRow('devices', 'meter-3')).toMatchObject({ status: 'deprovisioned' });
    expect(rows.allRows('devices').size).toBe(20);

    for (const name of ['devices', 'device-state']) {
      const rebuilt = await engine.rebuild(name);
      expect(rebuilt.differences).toEqual([]);
      expect(rebuilt.rows).toBe(rows.allRows(name).size);
      expect(rebuilt.position).toBe(events.headPosition());
    }

    // The engine's rows equal the in-memory reference fold of the whole store.
    const all = (await events.readAll({ limit: 10_000 })).events.map(upcast);
    const reference = foldProjection(deviceStateProjection, all);
    expect(JSON.parse(JSON.stringify(Object.fromEntries(reference)))).toEqual(Object.fromEntries(rows.allRows('device-state')));
    await engine.stop();
  });

  it('with coalesceMs, folds a burst of appends into one batch and still ends at the head', async () => {
    const { events, rows } = open();
    const batches: number[] = [];
    const engine = createProjectionEngine({
      events,
      store: rows,
      projections: [devicesProjection, deviceStateProjection],
      coalesceMs: 20,
      onCommitted: (page) => batches.push(page.length),
    });
    events.onAppended(() => engine.notify());
    // 30 appends, each its own commit and its own wake-up, all within one turn of the timers.
    await Promise.all(Array.from({ length: 30 }, (_, i) => events.append({ streamId: `device-m-${i}`, expectedVersion: 'any', events: [provisioned(`m-${i}`)] })));
    await engine.settled();
    expect(batches).toEqual([30]);
    expect(rows.allRows('devices').size).toBe(30);
    expect(engine.status().map((s) => s.position)).toEqual([events.headPosition(), events.headPosition()]);
    await engine.stop();
  });

  it('reports a difference when live rows were tampered with, and repairs them with replace', async () => {
    const { events, rows } = open();
    const engine = createProjectionEngine({ events, store: rows, projections: [devicesProjection] });
    await seed(events, 3, 0);
    await engine.settled();
    rows.commit([{ projection: 'devices', rows: new Map([['meter-1', { thingName: 'meter-1', tenant: 'forged' }]]), checkpoint: { version: 1, position: events.headPosition() } }]);
    const check = await engine.rebuild('devices');
    expect(check.differences.map((d) => d.key)).toEqual(['meter-1']);
    const repaired = await engine.rebuild('devices', { replace: true });
    expect(repaired.replaced).toBe(true);
    expect((await engine.rebuild('devices')).differences).toEqual([]);
    expect(rows.getRow('devices', 'meter-1')).toMatchObject({ tenant: 'city-of-lund' });
  });

  it('resumes after a restart from its checkpoint without applying an event twice', async () => {
    const first = open();
    const counting = defineProjection({
      name: 'count',
      version: 1,
      handles: ['DeviceStateReported'],
      keys: (e) => [e.data.thingName],
      apply: (row: { n: number } | undefined) => ({ n: (row?.n ?? 0) + 1 }),
    });
    const engine = createProjectionEngine({ events: first.events, store: first.rows, projections: [counting], batchSize: 7 });
    await seed(first.events, 2, 5);
    await engine.settled();
    await engine.stop();
    await seed(first.events, 4, 5); // meter-0 and meter-1 get 5 more each, meter-2/3 are new
    first.db.close();

    const db = openSqlite({ file: first.file });
    const events = createSqliteEventStore(db);
    const rows = createSqliteProjectionStore(db);
    const again = createProjectionEngine({ events, store: rows, projections: [counting], batchSize: 7 });
    await again.settled();
    expect(Object.fromEntries(rows.allRows('count'))).toEqual({ 'meter-0': { n: 10 }, 'meter-1': { n: 10 }, 'meter-2': { n: 5 }, 'meter-3': { n: 5 } });
    db.close();
  });

  it('rebuilds from zero when a projection version changes', async () => {
    const { events, rows } = open();
    await seed(events, 2, 1);
    const v1 = defineProjection({ name: 'shape', version: 1, handles: ['DeviceProvisioned'], keys: (e) => [e.data.thingName], apply: () => ({ v: 1 }) });
    await createProjectionEngine({ events, store: rows, projections: [v1] }).settled();
    expect(rows.getRow('shape', 'meter-0')).toEqual({ v: 1 });
    const v2 = { ...v1, version: 2, apply: () => ({ v: 2 }) };
    await createProjectionEngine({ events, store: rows, projections: [v2] }).settled();
    expect(Object.fromEntries(rows.allRows('shape'))).toEqual({ 'meter-0': { v: 2 }, 'meter-1': { v: 2 } });
  });

  it('skips and reports events no projection can read, and keeps going', async () => {
    const { events, rows } = open();
    const seen: string[] = [];
    const engine = createProjectionEngine({ events, store: rows, projections: [devicesProjection], onUnreadable: (e) => seen.push(e.eventId) });
    const broken = { ...provisioned('meter-x'), data: { thingName: 'meter-x' } }; // fails the schema
    await events.append({ streamId: 'device-meter-x', expectedVersion: 0, events: [broken] });
    await seed(events, 1, 0);
    await engine.settled();
    expect(seen).toEqual([broken.eventId]);
    expect(engine.unreadableEvents()).toBe(1);
    expect([...rows.allRows('devices').keys()]).toEqual(['meter-0']);
  });
});
