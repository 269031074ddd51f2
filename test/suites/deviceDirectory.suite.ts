import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../events/envelope.ts';
import type { DeviceRow } from '../../events/projections/devices.ts';
import { DirectoryQueryError, type DeviceDirectory, type DirectoryItem } from '../../functions/directory/deviceDirectory.ts';
import { SearchQuery, type SearchQueryInput } from '../../schemas/directory/searchQuery.ts';
import { bruteForce, generateFleet, KINDS, seededRandom, type FleetDevice, type Random } from '../directory/support/fleet.ts';
import { newEvent, provisioned } from '../support/events.ts';

/** One directory with devices in it, as an adapter's test file builds it. */
export interface DeviceDirectoryFixture {
  readonly directory: DeviceDirectory;
  /** Every device row as the adapter's store holds it now: what the brute-force reference filters. */
  rows(): Promise<DeviceRow[]>;
  /** Appends each batch to its stream (at any version) and resolves once the directory shows them. */
  append(batches: readonly { readonly streamId: string; readonly events: readonly NewEvent[] }[]): Promise<void>;
}

export interface DeviceDirectoryFactory {
  /** A fresh, independent directory holding these devices: their events appended and projected. */
  create(name: string, devices: readonly FleetDevice[]): Promise<DeviceDirectoryFixture>;
  /** Called once after all cases. */
  dispose?(): Promise<void>;
  /** Devices in the fleet the searches run over (a few thousand at least: the cases expect matches in every city). */
  readonly fleetSize: number;
  /** How many random searches to compare with the brute-force filter. */
  readonly randomSearches: number;
}

/** Pages through a search with its cursor, checking each page's shape; returns every item in order. */
export const collect = async (directory: DeviceDirectory, query: SearchQuery) => {
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

const withoutDistance = ({ distanceMeters: _d, ...row }: DirectoryItem): DeviceRow => row;

/** Every page of the search, together, equals the plain filter over the rows: same devices, same order, same distances, same total. */
export const expectSameAsBruteForce = async (directory: DeviceDirectory, rows: readonly DeviceRow[], query: SearchQuery) => {
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

const ANY_STATUS = ['provisioned', 'bootstrapped', 'deprovisioned'] as const;

/**
 * The one device directory conformance suite (STYLE.md 9): every adapter runs exactly these
 * cases, each compared with a plain filter over the rows the adapter's store holds
 * (test/directory/support/fleet.ts `bruteForce`).
 */
export const testDeviceDirectory = (adapter: string, factory: DeviceDirectoryFactory) => {
  describe(`DeviceDirectory conformance: ${adapter}`, () => {
    afterAll(async () => {
      await factory.dispose?.();
    });

    describe(`over ${factory.fleetSize} devices`, () => {
      let fleet: DeviceDirectoryFixture;
      let directory: DeviceDirectory;
      let rows: DeviceRow[];

      beforeAll(async () => {
        fleet = await factory.create('fleet', generateFleet(factory.fleetSize, 20_260_501));
        directory = fleet.directory;
        rows = await fleet.rows();
        expect(rows.length).toBe(factory.fleetSize);
        expect(new Set(rows.map((r) => r.status))).toEqual(new Set(ANY_STATUS));
      }, 120_000);

      it('narrows by each filter alone exactly as the plain filter does: tenant, attribute, thing group, device type, status, box, radius', async () => {
        const lund = { lat: 55.7047, lon: 13.191 };
        const queries: SearchQueryInput[] = [
          { tenant: 'city-of-lund', limit: 100 },
          { attributes: { kind: 'heat-meter' }, limit: 100 },
          { attributes: { 'fw.version': '2.0', 'zone-id': 'zone-3' }, limit: 100 },
          { thingGroup: 'malmo-north', limit: 100 },
          { deviceType: 'nrf9161-sensor', limit: 100 },
          { status: ['deprovisioned'], limit: 100 },
          { bbox: { minLat: 55.65, minLon: 13.1, maxLat: 55.75, maxLon: 13.25 }, limit: 100 },
          { near: { ...lund, radiusMeters: 3000 }, limit: 100 },
        ];
        for (const input of queries) {
          const { matches } = await expectSameAsBruteForce(directory, rows, SearchQuery.parse(input));
          // Each filter finds something, and not everything.
          expect(matches, JSON.stringify(input)).toBeGreaterThan(0);
          expect(matches, JSON.stringify(input)).toBeLessThan(rows.length / 2);
        }
        // A dotted attribute name is one key ("fw.version"), not a path into a nested object.
        expect(bruteForce(rows, SearchQuery.parse({ attributes: { fw: '2.0' }, limit: 10 }))).toEqual([]);
        expect(await directory.search(SearchQuery.parse({ attributes: { fw: '2.0' }, limit: 10 }))).toEqual({ items: [], total: 0 });
      });

      it('answers random tenant/attribute/group/type/status/box/radius searches exactly as the plain filter, page by page', async () => {
        const rnd = seededRandom(7);
        const n = factory.randomSearches;
        const stats = { nonEmpty: 0, multiPage: 0, near: 0, bbox: 0, crossing: 0, matches: 0, pages: 0 };
        for (let i = 0; i < n; i++) {
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
        console.info(`${adapter}: ${n} searches: ${JSON.stringify(stats)}`);
        // The random searches must exercise what they claim to: mostly non-empty, paged, geographic.
        expect(stats.nonEmpty).toBeGreaterThanOrEqual(Math.floor(0.7 * n));
        expect(stats.multiPage).toBeGreaterThanOrEqual(Math.floor(0.2 * n));
        expect(stats.near).toBeGreaterThanOrEqual(Math.floor(0.2 * n));
        expect(stats.bbox).toBeGreaterThanOrEqual(Math.floor(0.2 * n));
      }, 120_000);

      it('finds devices on both sides of the antimeridian with a box whose minLon > maxLon, and with a radius', async () => {
        const box = SearchQuery.parse({ bbox: { minLat: -18, minLon: 179.7, maxLat: -15.5, maxLon: -179.7 }, status: [...ANY_STATUS], limit: 100 });
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
        const query = SearchQuery.parse({ near: { lat: 90, lon: 0, radiusMeters: 15_000 }, status: [...ANY_STATUS], limit: 500 });
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

      it('returns any device by name, deprovisioned ones too, and nothing for an unknown name; searches leave deprovisioned devices out by default', async () => {
        const gone = rows.find((r) => r.status === 'deprovisioned');
        expect(gone).toBeDefined();
        expect(await directory.get(gone?.thingName ?? '')).toEqual(gone);
        const live = rows.find((r) => r.status === 'bootstrapped');
        expect(await directory.get(live?.thingName ?? '')).toEqual(live);
        expect(await directory.get('no-such-device')).toBeUndefined();
        const page = await directory.search(SearchQuery.parse({ tenant: gone?.tenant, limit: 500 }));
        expect(page.total).toBe(rows.filter((r) => r.tenant === gone?.tenant && r.status !== 'deprovisioned').length);
        expect(page.items.some((i) => i.status === 'deprovisioned')).toBe(false);
      });

      it('refuses a cursor from another search, and one it never handed out, as DirectoryQueryError', async () => {
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

      it('answers a box and a radius that cannot overlap with nothing', async () => {
        const query = SearchQuery.parse({ bbox: { minLat: 10, minLon: 10, maxLat: 11, maxLon: 11 }, near: { lat: 55.7, lon: 13.19, radiusMeters: 5000 }, limit: 10 });
        expect(await directory.search(query)).toEqual({ items: [], total: 0 });
      });
    });

    describe('paging while devices are added, changed and removed', () => {
      it.each([
        ['name order', { tenant: 'city-of-lund', limit: 40 }],
        ['name order over the whole fleet', { attributes: { kind: 'water-meter' }, limit: 40 }],
        ['distance order', { near: { lat: 55.7047, lon: 13.191, radiusMeters: 6000 }, limit: 40 }],
      ] as const)(
        'returns every device that matched throughout exactly once (%s)',
        async (label, input) => {
          const fleet = await factory.create(`concurrent-${label.replaceAll(' ', '-')}`, generateFleet(2000, 99));
          const { directory } = fleet;
          const query = SearchQuery.parse(input);
          const before = bruteForce(await fleet.rows(), query);
          expect(before.length).toBeGreaterThan(3 * query.limit);

          const seen: DirectoryItem[] = [];
          let page = await directory.search(query);
          seen.push(...page.items);
          const lastDistance = page.items.at(-1)?.distanceMeters ?? 0;

          // Between pages: a new matching device sorting before the cursor, one after it (about 5 km
          // out, beyond the first page's radius), a matching device further on deprovisioned, and
          // one further on moved out of the tenant / the radius / changed to another kind.
          const later = before.slice(2 * query.limit).map((e) => e.row);
          const gone = later[0]?.thingName ?? '';
          const movedAway = later[1]?.thingName ?? '';
          const atCenter = { latitude: 55.7047, longitude: 13.191 };
          const matching = { tenant: 'city-of-lund', attributes: { kind: 'water-meter' } };
          await fleet.append([
            { streamId: 'device-aaa-new', events: [provisioned('aaa-new', { ...matching, location: atCenter })] },
            { streamId: 'device-zzz-new', events: [provisioned('zzz-new', { ...matching, location: { latitude: 55.7497, longitude: 13.191 } })] },
            { streamId: `device-${gone}`, events: [newEvent('DeviceDeprovisioned', { thingName: gone })] },
            {
              streamId: `device-${movedAway}`,
              events: [newEvent('DeviceAttributesChanged', { thingName: movedAway, tenant: 'elsewhere', location: { latitude: 10, longitude: 10 }, set: { kind: 'air-quality' }, removed: [] })],
            },
          ]);

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
          if (query.near) expect(seen.find((i) => i.thingName === 'zzz-new')?.distanceMeters).toBeGreaterThan(lastDistance);
        },
        120_000,
      );
    });

    describe('ties in distance', () => {
      it('breaks them by thing name, also across a page boundary, whatever order the store holds them in', async () => {
        // Mirror images around the centre are exactly equally far; west ones (smaller longitude)
        // come first by position, while their names sort after the east ones.
        const at = (thingName: string, longitude: number, latitude = 0): FleetDevice => ({
          thingName,
          city: { name: 'equator', lat: 0, lon: 0, spreadMeters: 0, tenants: ['equator'] },
          events: [provisioned(thingName, { tenant: 'equator', location: { latitude, longitude } })],
        });
        const fleet = await factory.create('ties', [at('a-east', 0.01), at('b-west', -0.01), at('c-east', 0.02), at('d-west', -0.02), at('e-north', 0, 0.01), at('f-centre', 0)]);
        const query = SearchQuery.parse({ near: { lat: 0, lon: 0, radiusMeters: 5000 }, limit: 1 });
        const { items } = await expectSameAsBruteForce(fleet.directory, await fleet.rows(), query);
        expect(items.map((i) => i.thingName)).toEqual(['f-centre', 'a-east', 'b-west', 'e-north', 'c-east', 'd-west']);
      });
    });
  });
};
