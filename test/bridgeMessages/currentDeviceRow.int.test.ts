import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devicesProjection } from '../../events/projections/devices.ts';
import { currentDeviceRow } from '../../functions/bridgeMessages/currentDeviceRow.ts';
import { openSqlite, type SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore, type SqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { createProjectionEngine, type ProjectionEngine } from '../../functions/projections/projectionEngine.ts';
import type { ProjectionStore } from '../../functions/projections/projectionStore.ts';
import { createSqliteProjectionStore } from '../../functions/projections/sqliteProjectionStore.ts';
import { newEvent, provisioned, reported } from '../support/events.ts';

/**
 * The exact device status the bridge-message handler decides a registration on, read without
 * waiting for the projection: a SQLite file with the real store, projection store and engine,
 * where the engine is woken only when the test says so, so the projection is as far behind as the
 * test makes it.
 */

const dir = mkdtempSync(join(tmpdir(), 'current-device-row-'));
let db: SqliteDatabase;
let events: SqliteEventStore;
let rows: ProjectionStore;
let engine: ProjectionEngine;

beforeAll(() => {
  db = openSqlite({ file: join(dir, 'fleet.db') });
  events = createSqliteEventStore(db);
  rows = createSqliteProjectionStore(db);
  engine = createProjectionEngine({ events, store: rows, projections: [devicesProjection] });
});
afterAll(async () => {
  await engine.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const append = (thingName: string, ...batch: ReturnType<typeof newEvent>[]) => events.append({ streamId: `device-${thingName}`, expectedVersion: 'any', events: batch });
const projected = (thingName: string) => rows.getRow(devicesProjection.name, thingName) as { status: string } | undefined;

describe('currentDeviceRow: the projected row plus what the device stream holds past its checkpoint', () => {
  it('sees a deprovisioning the projection has not folded yet', async () => {
    await append('lamp-1', provisioned('lamp-1'));
    await engine.settled();
    await append('lamp-1', newEvent('DeviceDeprovisioned', { thingName: 'lamp-1', reason: 'retired' }));
    expect(projected('lamp-1')?.status).toBe('provisioned');
    expect((await currentDeviceRow(events, rows, 'lamp-1'))?.status).toBe('deprovisioned');
  });

  it('knows a device provisioned after the checkpoint, and nothing of a name never provisioned', async () => {
    await append('lamp-2', provisioned('lamp-2'));
    expect(projected('lamp-2')).toBeUndefined();
    expect(await currentDeviceRow(events, rows, 'lamp-2')).toMatchObject({ thingName: 'lamp-2', status: 'provisioned', tenant: 'city-of-lund' });
    expect(await currentDeviceRow(events, rows, 'stranger-1')).toBeUndefined();
  });

  it('reads back past many events the projection does not handle to find the one it does', async () => {
    await append('lamp-3', provisioned('lamp-3'));
    await engine.settled();
    await append('lamp-3', newEvent('DeviceBootstrapped', { thingName: 'lamp-3', endpoint: 'lamp-3', bridgeId: 'b1', brokerUri: 'mqtts://127.0.0.1:8883' }));
    // More than two pages of state after it, all newer than the checkpoint.
    for (let i = 0; i < 40; i++) await append('lamp-3', reported('lamp-3', '/3303/0/5700', 20 + i, new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString()));
    expect(projected('lamp-3')?.status).toBe('provisioned');
    expect((await currentDeviceRow(events, rows, 'lamp-3'))?.status).toBe('bootstrapped');
  });

  it('equals the projected row once the projection has caught up', async () => {
    await engine.settled();
    for (const thing of ['lamp-1', 'lamp-2', 'lamp-3']) expect(await currentDeviceRow(events, rows, thing)).toEqual(projected(thing));
  });
});
