import type { NewEvent } from '../../../events/envelope.ts';
import type { DeviceRow } from '../../../events/projections/devices.ts';
import type { SearchQuery } from '../../../schemas/directory/searchQuery.ts';
import { newEvent, provisioned } from '../../support/events.ts';

/** Small, fast, seeded PRNG (mulberry32): the same seed gives the same fleet and queries on every run. */
export const seededRandom = (seed: number) => {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
    chance: (p: number) => next() < p,
  };
};
export type Random = ReturnType<typeof seededRandom>;

const R = 6_371_008.8;
const RAD = Math.PI / 180;

/** The point `meters` away from (lat, lon) on initial bearing `bearingDeg`, longitude wrapped into [-180, 180]. */
export const destination = (lat: number, lon: number, meters: number, bearingDeg: number) => {
  const δ = meters / R;
  const θ = bearingDeg * RAD;
  const φ1 = lat * RAD;
  const φ2 = Math.asin(Math.sin(φ1) * Math.cos(δ) + Math.cos(φ1) * Math.sin(δ) * Math.cos(θ));
  const λ2 = lon * RAD + Math.atan2(Math.sin(θ) * Math.sin(δ) * Math.cos(φ1), Math.cos(δ) - Math.sin(φ1) * Math.sin(φ2));
  const wrapped = ((((λ2 / RAD + 180) % 360) + 360) % 360) - 180;
  return { lat: φ2 / RAD, lon: wrapped };
};

export interface City {
  readonly name: string;
  readonly lat: number;
  readonly lon: number;
  readonly spreadMeters: number;
  readonly tenants: readonly string[];
}

/** Clusters chosen for their edge cases as much as their size: two close cities, the antimeridian, a pole. */
export const CITIES: readonly City[] = [
  { name: 'lund', lat: 55.7047, lon: 13.191, spreadMeters: 8_000, tenants: ['city-of-lund', 'lund-energy'] },
  { name: 'malmo', lat: 55.605, lon: 13.0038, spreadMeters: 12_000, tenants: ['malmo-stad', 'lund-energy'] },
  { name: 'stockholm', lat: 59.3293, lon: 18.0686, spreadMeters: 25_000, tenants: ['stockholm-vatten'] },
  { name: 'taveuni', lat: -16.8, lon: 179.95, spreadMeters: 60_000, tenants: ['fiji-water'] },
  { name: 'pole', lat: 89.97, lon: 0, spreadMeters: 20_000, tenants: ['polar-research'] },
  { name: 'quito', lat: -0.1807, lon: -78.4678, spreadMeters: 15_000, tenants: ['quito-agua'] },
];

export const KINDS = ['water-meter', 'heat-meter', 'air-quality', 'parking-sensor'] as const;
export const FIRMWARE = ['1.0', '1.1', '2.0'] as const;
export const DEVICE_TYPES = ['nrf9160-meter', 'nrf9161-sensor'] as const;

export interface FleetDevice {
  readonly thingName: string;
  readonly city: City;
  readonly events: NewEvent[];
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

/** A position in a city's disk; some devices share a position exactly, so distance ties happen. */
const position = (rnd: Random, city: City, previous: readonly { latitude: number; longitude: number }[]) => {
  const shared = previous.length > 0 && rnd.chance(0.03) ? previous[rnd.int(0, previous.length - 1)] : undefined;
  if (shared) return shared;
  const p = destination(city.lat, city.lon, city.spreadMeters * Math.sqrt(rnd.next()), rnd.next() * 360);
  return { latitude: Math.min(90, round(p.lat, 5)), longitude: round(p.lon, 5) };
};

/**
 * Events for `count` devices: provisioning with attributes (including names with "." and "-"),
 * then for some a bootstrap, an attribute change (which may move it or change its group), or a
 * deprovisioning, so the directory sees every status and every kind of row change.
 */
export const generateFleet = (count: number, seed: number, namePrefix = 'dev'): FleetDevice[] => {
  const rnd = seededRandom(seed);
  const placed: { latitude: number; longitude: number }[] = [];
  const devices: FleetDevice[] = [];
  for (let i = 0; i < count; i++) {
    const city = rnd.pick(CITIES);
    // Names in random order relative to cities, so name order and geography are unrelated.
    const thingName = `${namePrefix}-${city.name.slice(0, 2)}-${String(rnd.int(0, 99_999_999)).padStart(8, '0')}-${i}`;
    const location = position(rnd, city, placed);
    placed.push(location);
    const attributes: Record<string, string> = { kind: rnd.pick(KINDS) };
    if (rnd.chance(0.7)) attributes['fw.version'] = rnd.pick(FIRMWARE);
    if (rnd.chance(0.5)) attributes['zone-id'] = `zone-${rnd.int(1, 12)}`;
    const events: NewEvent[] = [
      provisioned(thingName, {
        tenant: rnd.pick(city.tenants),
        location,
        attributes,
        ...(rnd.chance(0.4) ? { thingGroup: `${city.name}-${rnd.pick(['north', 'south', 'east', 'west'])}` } : {}),
        ...(rnd.chance(0.6) ? { deviceType: rnd.pick(DEVICE_TYPES) } : {}),
      }),
    ];
    if (rnd.chance(0.3)) {
      events.push(newEvent('DeviceBootstrapped', { thingName, endpoint: `urn:imei:${i}`, bridgeId: 'bridge-1', brokerUri: 'mqtts://127.0.0.1:8883' }));
    }
    if (rnd.chance(0.1)) {
      const moved = rnd.chance(0.5) ? position(rnd, city, placed) : undefined;
      events.push(
        newEvent('DeviceAttributesChanged', {
          thingName,
          set: { kind: rnd.pick(KINDS) },
          removed: rnd.chance(0.5) ? ['zone-id'] : [],
          ...(moved ? { location: moved } : {}),
          ...(rnd.chance(0.3) ? { thingGroup: null } : {}),
        }),
      );
    }
    if (rnd.chance(0.06)) events.push(newEvent('DeviceDeprovisioned', { thingName, reason: 'removed from site' }));
    devices.push({ thingName, city, events });
  }
  return devices;
};

/**
 * Haversine written out again for the reference. Its arithmetic runs in the same order as geo.ts's,
 * so both give the same double and a device exactly on a radius, or tied in distance, is judged alike.
 */
export const haversineReference = (lat1: number, lon1: number, lat2: number, lon2: number): number => {
  const sinDLat = Math.sin(((lat2 - lat1) * RAD) / 2);
  const sinDLon = Math.sin(((lon2 - lon1) * RAD) / 2);
  const a = sinDLat * sinDLat + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * sinDLon * sinDLon;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(a)));
};

/** The reference semantics of a search, written out plainly and independently of the SQL. */
export const bruteForce = (rows: readonly DeviceRow[], q: SearchQuery): { row: DeviceRow; distance?: number }[] => {
  const hits: { row: DeviceRow; distance?: number }[] = [];
  for (const row of rows) {
    const { latitude: lat, longitude: lon } = row.location;
    if (q.tenant !== undefined && row.tenant !== q.tenant) continue;
    if (q.thingGroup !== undefined && row.thingGroup !== q.thingGroup) continue;
    if (q.deviceType !== undefined && row.deviceType !== q.deviceType) continue;
    if (!q.status.includes(row.status)) continue;
    if (!Object.entries(q.attributes ?? {}).every(([k, v]) => Object.hasOwn(row.attributes, k) && row.attributes[k] === v)) continue;
    if (q.bbox) {
      const b = q.bbox;
      const lonOk = b.minLon <= b.maxLon ? lon >= b.minLon && lon <= b.maxLon : lon >= b.minLon || lon <= b.maxLon;
      if (lat < b.minLat || lat > b.maxLat || !lonOk) continue;
    }
    if (q.near) {
      const distance = haversineReference(lat, lon, q.near.lat, q.near.lon);
      if (distance > q.near.radiusMeters) continue;
      hits.push({ row, distance });
    } else hits.push({ row });
  }
  const byName = (a: { row: DeviceRow }, b: { row: DeviceRow }) => (a.row.thingName < b.row.thingName ? -1 : a.row.thingName > b.row.thingName ? 1 : 0);
  return hits.sort((a, b) => (q.near ? (a.distance ?? 0) - (b.distance ?? 0) || byName(a, b) : byName(a, b)));
};
