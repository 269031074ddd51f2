import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceRow } from '../../events/projections/devices.ts';
import { createSqliteDeviceDirectory, type SqliteDeviceDirectory } from '../../functions/directory/sqliteDeviceDirectory.ts';
import { attributeIndexName, INDEX } from '../../functions/directory/sqliteDirectoryIndexes.ts';
import { SearchQuery, type SearchQueryInput } from '../../schemas/directory/searchQuery.ts';
import { expectSameAsBruteForce, testDeviceDirectory } from '../suites/deviceDirectory.suite.ts';
import { bruteForce, generateFleet } from './support/fleet.ts';
import { openFleetDatabase, seedFleet, type FleetDatabase } from './support/seed.ts';

const dir = mkdtempSync(join(tmpdir(), 'directory-'));
const opened: FleetDatabase[] = [];
afterAll(() => {
  for (const f of opened) f.db.close();
  rmSync(dir, { recursive: true, force: true });
});

const open = (name: string) => {
  const fleet = openFleetDatabase(dir, name);
  opened.push(fleet);
  return fleet;
};

// The events appended to the SQLite event store, the rows folded by the real projection engine.
testDeviceDirectory('SQLite', {
  fleetSize: 10_000,
  randomSearches: 50,
  async create(name, devices) {
    const fleet = open(name);
    await seedFleet(fleet, devices);
    return {
      directory: createSqliteDeviceDirectory(fleet.db),
      rows: () => Promise.resolve(fleet.devices()),
      async append(batches) {
        const outcomes = await fleet.events.appendBatch(batches.map((b) => ({ streamId: b.streamId, expectedVersion: 'any' as const, events: b.events })));
        for (const o of outcomes) if (!o.ok) throw o.error;
        await fleet.engine.settled();
      },
    };
  },
});

/** Whether a query plan reads through the named index (covering or not). */
const uses = (index: string) => new RegExp(`USING (COVERING )?INDEX ${index}\\b`);

describe('SQLite device directory: its plans, indexes and rebuilds over 10,000 devices', () => {
  let fleet: FleetDatabase;
  let directory: SqliteDeviceDirectory;
  let rows: DeviceRow[];

  beforeAll(async () => {
    fleet = open('plans');
    const started = performance.now();
    await seedFleet(fleet, generateFleet(10_000, 20_260_501));
    const seeded = performance.now() - started;
    directory = createSqliteDeviceDirectory(fleet.db);
    rows = fleet.devices();
    console.info(`seeded ${rows.length} devices through the projection engine in ${Math.round(seeded)} ms`);
    expect(rows.length).toBe(10_000);
    expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['provisioned', 'bootstrapped', 'deprovisioned']));
  });

  it('uses its expression indexes, not a scan, and picks the index that selects fewest rows', () => {
    const plan = (input: SearchQueryInput) => directory.explain(SearchQuery.parse(input)).join(' | ');
    // A walk over every device row: a table scan, or the primary key by projection alone. (The
    // plans also show "SCAN c", the short list of page keys, and a lookup by (projection, key).)
    const walksEveryRow = /SCAN projection_rows|USING PRIMARY KEY \(projection=\?\)/;
    expect(plan({})).toMatch(walksEveryRow); // no filter but status: the honest answer is a walk
    const stockholm = rows.find((r) => r.tenant === 'stockholm-vatten')?.location ?? { latitude: 0, longitude: 0 };

    const tenant = plan({ tenant: 'stockholm-vatten' });
    expect(tenant).toMatch(uses(INDEX.tenant));
    expect(tenant).not.toMatch(walksEveryRow);
    expect(tenant).not.toContain('TEMP B-TREE'); // walks the index in page order

    const box = plan({ bbox: { minLat: 55.6, minLon: 13.1, maxLat: 55.8, maxLon: 13.3 } });
    expect(box).toContain(`USING COVERING INDEX ${INDEX.position}`); // coordinates and status from the index alone
    expect(box).not.toMatch(walksEveryRow);

    const near = plan({ near: { lat: 55.7, lon: 13.19, radiusMeters: 2000 } });
    expect(near).toMatch(uses(INDEX.position));
    expect(near).not.toMatch(walksEveryRow);

    // A tenant of ~1,700 devices and a box around one of them: the box is narrower.
    const small = { minLat: stockholm.latitude - 0.01, minLon: stockholm.longitude - 0.01, maxLat: stockholm.latitude + 0.01, maxLon: stockholm.longitude + 0.01 };
    expect(plan({ tenant: 'stockholm-vatten', bbox: small })).toMatch(uses(INDEX.position));
    // A small tenant and a box over all of southern Sweden: the tenant is narrower.
    expect(plan({ tenant: 'polar-research', bbox: { minLat: 55, minLon: 12, maxLat: 60, maxLon: 19 } })).toMatch(uses(INDEX.tenant));
    expect(plan({ thingGroup: 'lund-north' })).toMatch(uses(INDEX.thingGroup));
    expect(plan({ deviceType: 'nrf9161-sensor', tenant: 'city-of-lund' })).toMatch(/USING INDEX directory_devices_(tenant|device_type)/);
    expect(plan({ status: ['deprovisioned'] })).toMatch(uses(INDEX.status));
  });

  it('indexes configured attributes (names with "." included) and still answers exactly', async () => {
    const withAttributes = createSqliteDeviceDirectory(fleet.db, { indexedAttributes: ['kind', 'fw.version'] });
    const query = SearchQuery.parse({ attributes: { 'fw.version': '2.0' }, limit: 500 });
    expect(withAttributes.explain(query).join(' | ')).toMatch(uses(attributeIndexName('fw.version')));
    const { matches } = await expectSameAsBruteForce(withAttributes, rows, query);
    expect(matches).toBeGreaterThan(500);
    const both = SearchQuery.parse({ attributes: { kind: 'water-meter', 'zone-id': 'zone-3' }, tenant: 'malmo-stad', limit: 25 });
    await expectSameAsBruteForce(withAttributes, rows, both);
    // A dotted name is one key, not a path into a nested object.
    expect(bruteForce(rows, SearchQuery.parse({ attributes: { fw: '2.0' }, limit: 10 }))).toEqual([]);
    expect((await withAttributes.search(SearchQuery.parse({ attributes: { fw: '2.0' }, limit: 10 }))).items).toEqual([]);
  });

  it('keeps answering exactly after the projection is rebuilt and replaced', async () => {
    const rebuilt = await fleet.engine.rebuild('devices', { replace: true });
    expect(rebuilt.differences).toEqual([]);
    await expectSameAsBruteForce(directory, rows, SearchQuery.parse({ tenant: 'lund-energy', near: { lat: 55.65, lon: 13.1, radiusMeters: 20_000 }, limit: 200 }));
  });
});
