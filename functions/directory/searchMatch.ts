import type { DeviceRow } from '../../events/projections/devices.ts';
import type { SearchQuery } from '../../schemas/directory/searchQuery.ts';
import { boundingBoxOfRadius, boxContains, haversineMeters, type BoundingBox } from './geo.ts';

/**
 * A search's filters as a test on one device row, for adapters whose store cannot evaluate them
 * (the DynamoDB directory keeps each row as opaque JSON). Same meaning as the SQLite adapter's
 * SQL: every filter must hold, attributes compare exactly, box edges are included and a box whose
 * minLon > maxLon crosses the antimeridian, and the distance is geo.ts's haversine with the device
 * first, so both adapters compute the same double for the same device.
 */
export type SearchMatcher = (row: DeviceRow) => { readonly distanceMeters?: number } | undefined;

const MATCH_WITHOUT_DISTANCE = Object.freeze({});

export const searchMatcher = (query: SearchQuery): SearchMatcher => {
  const statuses = new Set<string>(query.status);
  const attributes = Object.entries(query.attributes ?? {});
  const { bbox, near } = query;
  return (row) => {
    if (query.tenant !== undefined && row.tenant !== query.tenant) return undefined;
    if (query.thingGroup !== undefined && row.thingGroup !== query.thingGroup) return undefined;
    if (query.deviceType !== undefined && row.deviceType !== query.deviceType) return undefined;
    if (!statuses.has(row.status)) return undefined;
    for (const [name, value] of attributes) {
      // Own properties only: a filter on "constructor" must not match every row.
      if (!Object.hasOwn(row.attributes, name) || row.attributes[name] !== value) return undefined;
    }
    const at = { lat: row.location.latitude, lon: row.location.longitude };
    if (bbox && !boxContains(bbox, at)) return undefined;
    if (!near) return MATCH_WITHOUT_DISTANCE;
    const distanceMeters = haversineMeters(at, { lat: near.lat, lon: near.lon });
    return distanceMeters <= near.radiusMeters ? { distanceMeters } : undefined;
  };
};

/**
 * Whether a search can match nothing whatever the rows: a box and a radius whose latitude bands
 * do not overlap. Lets an adapter that would read every candidate skip the read.
 */
export const matchesNothing = (query: SearchQuery): boolean => {
  const boxes: BoundingBox[] = [];
  if (query.bbox) boxes.push(query.bbox);
  if (query.near) boxes.push(boundingBoxOfRadius(query.near, query.near.radiusMeters));
  const minLat = Math.max(-90, ...boxes.map((b) => b.minLat));
  const maxLat = Math.min(90, ...boxes.map((b) => b.maxLat));
  return minLat > maxLat;
};
