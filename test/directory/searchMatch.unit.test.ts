import { describe, expect, it } from 'vitest';
import { foldProjection } from '../../events/projections/projection.ts';
import { devicesProjection, type DeviceRow } from '../../events/projections/devices.ts';
import type { DomainEvent } from '../../events/catalog/index.ts';
import { matchesNothing, searchMatcher } from '../../functions/directory/searchMatch.ts';
import { SearchQuery, type SearchQueryInput } from '../../schemas/directory/searchQuery.ts';
import { bruteForce, generateFleet } from './support/fleet.ts';

// Rows folded in memory from a generated fleet (recordedAt stamped here: the matcher never reads it).
const rows: DeviceRow[] = [
  ...foldProjection(
    devicesProjection,
    generateFleet(3000, 11).flatMap((d) => d.events.map((e, i) => ({ ...e, streamId: `device-${d.thingName}`, streamPosition: i + 1, recordedAt: '2026-03-01T00:00:00.000Z' }) as DomainEvent)),
  ).values(),
];

const matching = (input: SearchQueryInput) => {
  const query = SearchQuery.parse(input);
  const match = searchMatcher(query);
  return rows.flatMap((row) => {
    const m = match(row);
    return m ? [{ name: row.thingName, distance: m.distanceMeters }] : [];
  });
};

const reference = (input: SearchQueryInput) =>
  bruteForce(rows, SearchQuery.parse(input))
    .map((e) => ({ name: e.row.thingName, distance: e.distance }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));

describe('searchMatcher', () => {
  it.each<[string, SearchQueryInput]>([
    ['a tenant', { tenant: 'malmo-stad' }],
    ['two attributes, one with a dot', { attributes: { kind: 'water-meter', 'fw.version': '1.1' } }],
    ['a thing group and a device type', { thingGroup: 'lund-south', deviceType: 'nrf9160-meter' }],
    ['every status', { status: ['provisioned', 'bootstrapped', 'deprovisioned'] }],
    ['a box across the antimeridian', { bbox: { minLat: -18, minLon: 179.8, maxLat: -15, maxLon: -179.9 } }],
    ['a radius around the pole', { near: { lat: 90, lon: 0, radiusMeters: 12_000 } }],
    ['a box and a radius together', { bbox: { minLat: 55.6, minLon: 13.0, maxLat: 55.72, maxLon: 13.2 }, near: { lat: 55.7, lon: 13.19, radiusMeters: 4000 } }],
  ])('keeps exactly the rows the plain filter keeps, with the same distances: %s', (_label, input) => {
    const expected = reference(input);
    expect(expected.length).toBeGreaterThan(0);
    expect(matching(input).sort((a, b) => (a.name < b.name ? -1 : 1))).toEqual(expected);
  });

  it('knows when a box and a radius cannot overlap, and only then', () => {
    expect(matchesNothing(SearchQuery.parse({ bbox: { minLat: 10, minLon: 10, maxLat: 11, maxLon: 11 }, near: { lat: 55.7, lon: 13.19, radiusMeters: 5000 } }))).toBe(true);
    expect(matchesNothing(SearchQuery.parse({ bbox: { minLat: 55, minLon: 10, maxLat: 56, maxLon: 11 }, near: { lat: 55.7, lon: 13.19, radiusMeters: 5000 } }))).toBe(false);
    expect(matchesNothing(SearchQuery.parse({ tenant: 'x' }))).toBe(false);
  });
});
