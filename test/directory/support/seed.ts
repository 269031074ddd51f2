import { join } from 'node:path';
import { devicesProjection, type DeviceRow } from '../../../events/projections/devices.ts';
import { streamIdFor } from '../../../events/envelope.ts';
import { openSqlite } from '../../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore } from '../../../functions/eventStore/sqliteEventStore.ts';
import { createProjectionEngine } from '../../../functions/projections/projectionEngine.ts';
import { createSqliteProjectionStore } from '../../../functions/projections/sqliteProjectionStore.ts';
import type { FleetDevice } from './fleet.ts';

/** The embedded stack the directory reads from: one SQLite file, the event store, the real projection engine. */
export const openFleetDatabase = (dir: string, name: string) => {
  // NORMAL: these files are throwaway; FULL would fsync every commit and only slow the seeding.
  const db = openSqlite({ file: join(dir, `${name}.db`), synchronous: 'NORMAL' });
  const events = createSqliteEventStore(db);
  const rows = createSqliteProjectionStore(db);
  const engine = createProjectionEngine({ events, store: rows, projections: [devicesProjection], batchSize: 2000 });
  events.onAppended(() => engine.notify());
  const devices = (): DeviceRow[] => [...rows.allRows('devices').values()] as DeviceRow[];
  return { db, events, rows, engine, devices };
};
export type FleetDatabase = ReturnType<typeof openFleetDatabase>;

/** Appends every device's events (one stream per device, many streams per transaction) and waits for the projection. */
export const seedFleet = async (fleet: FleetDatabase, devices: readonly FleetDevice[]): Promise<void> => {
  for (let i = 0; i < devices.length; i += 500) {
    const outcomes = await fleet.events.appendBatch(
      devices.slice(i, i + 500).map((d) => ({ streamId: streamIdFor.device(d.thingName), expectedVersion: 'any' as const, events: d.events })),
    );
    const failed = outcomes.find((o) => !o.ok);
    if (failed && !failed.ok) throw failed.error;
  }
  await fleet.engine.settled();
};
