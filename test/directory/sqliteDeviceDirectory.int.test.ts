import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceRow } from '../../events/projections/devices.ts';
import { DirectoryQueryError, type DeviceDirectory, type DirectoryItem } from '../../functions/directory/deviceDirectory.ts';
import { createSqliteDeviceDirectory, type SqliteDeviceDirectory } from '../../functions/directory/sqliteDeviceDirectory.ts';
import { attributeIndexName, INDEX } from '../../functions/directory/sqliteDirectoryIndexes.ts';
import { SearchQuery, type SearchQueryInput } from '../../schemas/directory/searchQuery.ts';
import { newEvent, provisioned } from '../support/events.ts';
import { bruteForce, generateFleet, seededRandom, KINDS, type Random } from './support/fleet.ts';
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

/** Pages through a search with its cursor, checking each page's shape; returns every item in order. */
const collect = async (directory: DeviceDirectory, query: SearchQuery) => {
  const items: DirectoryItem[] = [];
  let cursor: string | undefined;
  let total: number | undefined;
  let pages = 0;
  do {
    const page = await directory.search(cursor === undefined ? query : { ...query, cursor });
    if (pages === 0) total = page.total;
    else expect(page.total).toBeUndefined();
    expect(page.items.length).toBeLessThanOrEqual(query.limit);
    // Only the last page may be short, and a full last page carries no cursor.
    if (page.nextCursor !== undefined) expect(page.items.length).toBe(query.limit);
    items.push(...page.items);
    cursor = page.nextCursor;
    pages++;
    if (pages > 20_000) throw new Error('paging did not end');
  } while (cursor !== undefined);
  return { items, total, pages };
};

/** Whether a query plan reads through the named index (covering or not). */
const uses = (index: string) => new RegExp(`USING (COVERING )?INDEX ${index}\\b`);

const withoutDistance = ({ distanceMeters: _d, ...row }: DirectoryItem): DeviceRow => row;

const expectSameAsBruteForce = async (directory: DeviceDirectory, rows: readonly DeviceRow[], query: SearchQuery) => {
  const expected = bruteForce(rows, query);
  const { items, total, pages } = await collect(directory, query);
  expect(items.map((i) => i.thingName)).toEqual(expected.map((e) => e.row.thingName));
  expect(items.map(withoutDistance)).toEqual(expected.map((e) => e.row));
  if (query.near) expect(items.map((i) => i.distanceMeters)).toEqual(expected.map((e) => e.distance));
  else expect(items.every((i) => i.distanceMeters === undefined)).toBe(true);
  expect(total).toBe(expected.length);
  return { matches: expected.length, pages, items };
};

/** A random search anchored on a real device, so most searches find something. */
const randomQuery = (rnd: Random, rows: readonly DeviceRow[]): SearchQueryInput => {
  const anchor = rnd.pick(rows);
  const q: Record<string, unknown> = { limit: rnd.pick([7, 25, 50, 133, 500]) };
  if (rnd.chance(0.45)) q.tenant = rnd.chance(0.9) ? anchor.tenant : 'no-such-tenant';
  if (rnd.chance(0.4)) {
    const names = Object.keys(anchor.attributes);
    const chosen = names.filter(() => rnd.chance(0.6));
    q.attributes = Object.fromEntries(chosen.map((n) => [n, anchor.attributes[n] ?? '']));
    if (chosen.length === 0) q.attributes = { kind: rnd.pick(KINDS) };
  }
  if (rnd.chance(0.15) && anchor.thingGroup) q.thingGroup = anchor.thingGroup;
  if (rnd.chance(0.15) && anchor.deviceType) q.deviceType = anchor.deviceType;
  if (rnd.chance(0.3)) q.status = rnd.pick([['provisioned'], ['bootstrapped'], ['deprovisioned'], ['provisioned', 'deprovisioned'], ['provisioned', 'bootstrapped', 'deprovisioned']]);
  const { latitude: lat, longitude: lon } = anchor.location;
  const geo = rnd.next();
  if (geo < 0.45) {
    const dLat = 0.005 + rnd.next() * 0.8;
    const dLon = 0.005 + rnd.next() * 1.5;
    const wrap = (x: number) => (x < -180 ? x + 360 : x > 180 ? x - 360 : x);
    // Sometimes an edge runs exactly through the anchor: edges are inclusive.
    q.bbox = {
      minLat: rnd.chance(0.3) ? lat : Math.max(-90, lat - dLat),
      minLon: wrap(lon - dLon),
      maxLat: Math.min(90, lat + dLat),
      maxLon: rnd.chance(0.2) ? lon : wrap(lon + dLon),
    };
  }
  if (geo > 0.35 && geo < 0.85) {
    q.near = { lat, lon, radiusMeters: Math.round(10 ** (2 + rnd.next() * 3.5)) };
  }
  return q;
};

describe('SQLite device directory over 10,000 devices from the real projection engine', () => {
  let fleet: FleetDatabase;
  let directory: SqliteDeviceDirectory;
  let rows: DeviceRow[];

  beforeAll(async () => {
    fleet = open('fleet');
    const started = performance.now();
    await seedFleet(fleet, generateFleet(10_000, 20_260_501));
    const seeded = performance.now() - started;
    directory = createSqliteDeviceDirectory(fleet.db);
    rows = fleet.devices();
    console.info(`seeded ${rows.length} devices through the projection engine in ${Math.round(seeded)} ms`);
    expect(rows.length).toBe(10_000);
    expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['provisioned', 'bootstrapped', 'deprovisioned']));
  });

  it('answers 50 random tenant/attribute/group/type/status/box/radius searches exactly as a brute-force filter, page by page', async () => {
    const rnd = seededRandom(7);
    const stats = { nonEmpty: 0, multiPage: 0, near: 0, bbox: 0, crossing: 0, matches: 0, pages: 0 };
    const started = performance.now();
    for (let i = 0; i < 50; i++) {
      const query = SearchQuery.parse(randomQuery(rnd, rows));
      const { matches, pages } = await expectSameAsBruteForce(directory, rows, query);
      stats.matches += matches;
      stats.pages += pages;
      if (matches > 0) stats.nonEmpty++;
      if (pages > 1) stats.multiPage++;
      if (query.near) stats.near++;
      if (query.bbox) stats.bbox++;
      if (query.bbox && query.bbox.minLon > query.bbox.maxLon) stats.crossing++;
    }
    const perPage = (performance.now() - started) / stats.pages;
    console.info(`50 searches: ${JSON.stringify(stats)}; ${perPage.toFixed(2)} ms per page including the brute-force reference`);
    // The random searches must exercise what they claim to: mostly non-empty, paged, geographic.
    expect(stats.nonEmpty).toBeGreaterThanOrEqual(35);
    expect(stats.multiPage).toBeGreaterThanOrEqual(10);
    expect(stats.near).toBeGreaterThanOrEqual(10);
    expect(stats.bbox).toBeGreaterThanOrEqual(10);
  });

  it('finds devices on both sides of the antimeridian with a box whose minLon > maxLon, and with a radius', async () => {
    const box = SearchQuery.parse({ bbox: { minLat: -18, minLon: 179.7, maxLat: -15.5, maxLon: -179.7 }, status: ['provisioned', 'bootstrapped', 'deprovisioned'], limit: 100 });
    const { items, matches } = await expectSameAsBruteForce(directory, rows, box);
    expect(items.some((i) => i.location.longitude > 179.7)).toBe(true);
    expect(items.some((i) => i.location.longitude < -179.7)).toBe(true);
    expect(items.every((i) => Math.abs(i.location.longitude) >= 179.7)).toBe(true);
    expect(matches).toBeGreaterThan(20);

    const near = SearchQuery.parse({ near: { lat: -16.8, lon: 180, radiusMeters: 25_000 }, limit: 50 });
    const radius = await expectSameAsBruteForce(directory, rows, near);
    expect(radius.items.some((i) => i.location.longitude > 0)).toBe(true);
    expect(radius.items.some((i) => i.location.longitude < 0)).toBe(true);
    expect(radius.items.every((i, k) => k === 0 || (i.distanceMeters ?? 0) >= (radius.items[k - 1]?.distanceMeters ?? 0))).toBe(true);
  });

  it('finds every device near the north pole, whatever its longitude', async () => {
    const query = SearchQuery.parse({ near: { lat: 90, lon: 0, radiusMeters: 15_000 }, status: ['provisioned', 'bootstrapped', 'deprovisioned'], limit: 500 });
    const { items, matches } = await expectSameAsBruteForce(directory, rows, query);
    expect(matches).toBeGreaterThan(100);
    const lons = items.map((i) => i.location.longitude);
    expect(Math.min(...lons)).toBeLessThan(-150);
    expect(Math.max(...lons)).toBeGreaterThan(150);
  });

  it('orders radius results by distance and then thing name when devices share a position', async () => {
    const counts = new Map<string, DeviceRow[]>();
    for (const r of rows.filter((x) => x.status !== 'deprovisioned')) {
      const k = `${r.location.latitude},${r.location.longitude}`;
      counts.set(k, [...(counts.get(k) ?? []), r]);
    }
    const shared = [...counts.values()].find((g) => g.length >= 2);
    expect(shared).toBeDefined();
    const at = shared?.[0]?.location ?? { latitude: 0, longitude: 0 };
    const query = SearchQuery.parse({ near: { lat: at.latitude, lon: at.longitude, radiusMeters: 1 }, limit: 1 });
    const { items } = await expectSameAsBruteForce(directory, rows, query);
    expect(items.map((i) => i.thingName)).toEqual((shared ?? []).map((r) => r.thingName).sort());
    expect(items.every((i) => i.distanceMeters === 0)).toBe(true);
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

  it('returns any device by name, deprovisioned ones too, and nothing for an unknown name', async () => {
    const gone = rows.find((r) => r.status === 'deprovisioned');
    expect(gone).toBeDefined();
    expect(await directory.get(gone?.thingName ?? '')).toEqual(gone);
    expect(await directory.get('no-such-device')).toBeUndefined();
    // Default searches leave deprovisioned devices out.
    const page = await directory.search(SearchQuery.parse({ tenant: gone?.tenant, limit: 500 }));
    expect(page.total).toBe(rows.filter((r) => r.tenant === gone?.tenant && r.status !== 'deprovisioned').length);
  });

  it('refuses a cursor from another search, and one it never handed out', async () => {
    const first = await directory.search(SearchQuery.parse({ tenant: 'city-of-lund', limit: 5 }));
    expect(first.nextCursor).toBeDefined();
    const cursor = first.nextCursor ?? '';
    // Changing only the limit keeps the cursor valid.
    const next = await directory.search(SearchQuery.parse({ tenant: 'city-of-lund', limit: 7, cursor }));
    expect((next.items[0]?.thingName ?? '') > (first.items.at(-1)?.thingName ?? '')).toBe(true);

    const refused = (input: SearchQueryInput) =>
      directory.search(SearchQuery.parse(input)).then(
        () => undefined,
        (err: unknown) => (err instanceof DirectoryQueryError ? err.errors : [{ field: 'unexpected', rule: String(err), message: '', hint: '' }]),
      );
    expect(await refused({ tenant: 'malmo-stad', limit: 5, cursor })).toMatchObject([{ field: 'cursor', rule: 'other-search' }]);
    expect(await refused({ tenant: 'city-of-lund', limit: 5, cursor: 'bm90LWEtY3Vyc29y' })).toMatchObject([{ field: 'cursor', rule: 'malformed' }]);
    // A name-ordered cursor is not a distance-ordered one.
    expect(await refused({ tenant: 'city-of-lund', near: { lat: 55.7, lon: 13.2, radiusMeters: 5000 }, cursor })).toMatchObject([{ field: 'cursor' }]);
  });

  it('keeps answering exactly after the projection is rebuilt and replaced', async () => {
    const rebuilt = await fleet.engine.rebuild('devices', { replace: true });
    expect(rebuilt.differences).toEqual([]);
    await expectSameAsBruteForce(directory, rows, SearchQuery.parse({ tenant: 'lund-energy', near: { lat: 55.65, lon: 13.1, radiusMeters: 20_000 }, limit: 200 }));
  });
});

describe('paging while devices are added, changed and removed', () => {
  it.each([
    ['name order', { tenant: 'city-of-lund', limit: 40 }],
    ['distance order', { near: { lat: 55.7047, lon: 13.191, radiusMeters: 6000 }, limit: 40 }],
  ] as const)('returns every device that matched throughout exactly once (%s)', async (_label, input) => {
    const fleet = open(`concurrent-${input.limit}-${'near' in input ? 'near' : 'name'}`);
    await seedFleet(fleet, generateFleet(2000, 99));
    const directory = createSqliteDeviceDirectory(fleet.db);
    const query = SearchQuery.parse(input);
    const before = bruteForce(fleet.devices(), query);
    expect(before.length).toBeGreaterThan(3 * query.limit);

    const seen: DirectoryItem[] = [];
    let page = await directory.search(query);
    seen.push(...page.items);
    const last = page.items.at(-1);
    const lastDistance = last?.distanceMeters ?? 0;

    // Between pages: a new matching device sorting before the cursor, one after it (about 5 km
    // out, beyond the first page's radius), a matching
    // device further on deprovisioned, and one further on moved out of the tenant / the radius.
    const later = before.slice(2 * query.limit).map((e) => e.row);
    const gone = later[0]?.thingName ?? '';
    const movedAway = later[1]?.thingName ?? '';
    const atCenter = { latitude: 55.7047, longitude: 13.191 };
    const farAway = { latitude: 10, longitude: 10 };
    await fleet.events.appendBatch([
      { streamId: 'device-aaa-new', expectedVersion: 0, events: [provisioned('aaa-new', { tenant: 'city-of-lund', location: atCenter })] },
      { streamId: 'device-zzz-new', expectedVersion: 0, events: [provisioned('zzz-new', { tenant: 'city-of-lund', location: { latitude: 55.7497, longitude: 13.191 } })] },
      { streamId: `device-${gone}`, expectedVersion: 'any', events: [newEvent('DeviceDeprovisioned', { thingName: gone })] },
      {
        streamId: `device-${movedAway}`,
        expectedVersion: 'any',
        events: [newEvent('DeviceAttributesChanged', { thingName: movedAway, tenant: 'elsewhere', location: farAway, set: {}, removed: [] })],
      },
    ]);
    await fleet.engine.settled();

    while (page.nextCursor !== undefined) {
      page = await directory.search({ ...query, cursor: page.nextCursor });
      seen.push(...page.items);
    }
    const names = seen.map((i) => i.thingName);
    expect(new Set(names).size).toBe(names.length);
    const stillMatching = before.map((e) => e.row.thingName).filter((n) => n !== gone && n !== movedAway);
    for (const n of stillMatching) expect(names).toContain(n);
    expect(names).not.toContain(gone);
    expect(names).not.toContain(movedAway);
    // aaa-new sorts before the first page's end (by name, or at distance 0), so paging never reaches it.
    expect(names).not.toContain('aaa-new');
    expect(names).toContain('zzz-new');
    expect(seen.length).toBe(stillMatching.length + 1);
    if (query.near) {
      const zzz = seen.find((i) => i.thingName === 'zzz-new');
      expect(zzz?.distanceMeters).toBeGreaterThan(lastDistance);
    }
  });
});

describe('ties in distance', () => {
  it('breaks them by thing name, also across a page boundary, whatever order the index holds them in', async () => {
    const fleet = open('ties');
    // Mirror images around the centre are exactly equally far; the position index holds the west
    // ones (smaller longitude) first, while their names sort after the east ones.
    const at = (thingName: string, longitude: number, latitude = 0) => ({
      thingName,
      city: { name: 'equator', lat: 0, lon: 0, spreadMeters: 0, tenants: ['equator'] },
      events: [provisioned(thingName, { tenant: 'equator', location: { latitude, longitude } })],
    });
    await seedFleet(fleet, [at('a-east', 0.01), at('b-west', -0.01), at('c-east', 0.02), at('d-west', -0.02), at('e-north', 0, 0.01), at('f-centre', 0)]);
    const directory = createSqliteDeviceDirectory(fleet.db);
    const query = SearchQuery.parse({ near: { lat: 0, lon: 0, radiusMeters: 5000 }, limit: 1 });
    const { items } = await expectSameAsBruteForce(directory, fleet.devices(), query);
    expect(items.map((i) => i.thingName)).toEqual(['f-centre', 'a-east', 'b-west', 'e-north', 'c-east', 'd-west']);
  });
});
