/**
 * Geography for the device directory, on a sphere. A sphere is off the WGS-84 ellipsoid by at most
 * about 0.5 %, which is far below what "devices within 2 km" needs, and it keeps every formula
 * closed-form and symmetric. All angles are degrees at the edges and radians inside.
 */

/** IUGG mean Earth radius R1 = (2a + b) / 3 for WGS-84, in metres. */
export const EARTH_MEAN_RADIUS_METERS = 6_371_008.8;

export interface LatLon {
  readonly lat: number;
  readonly lon: number;
}

/**
 * A latitude/longitude box, edges included. `minLon > maxLon` means the box crosses the
 * antimeridian: it holds longitudes from minLon east to 180 and from -180 east to maxLon.
 */
export interface BoundingBox {
  readonly minLat: number;
  readonly minLon: number;
  readonly maxLat: number;
  readonly maxLon: number;
}

export const WHOLE_EARTH: BoundingBox = Object.freeze({ minLat: -90, minLon: -180, maxLat: 90, maxLon: 180 });

const RAD = Math.PI / 180;
const DEG = 180 / Math.PI;

/** Great-circle distance by the haversine formula, stable for tiny and antipodal distances alike. */
export const haversineMeters = (a: LatLon, b: LatLon): number => {
  const φ1 = a.lat * RAD;
  const φ2 = b.lat * RAD;
  const sinΔφ = Math.sin(((b.lat - a.lat) * RAD) / 2);
  const sinΔλ = Math.sin(((b.lon - a.lon) * RAD) / 2);
  const h = sinΔφ * sinΔφ + Math.cos(φ1) * Math.cos(φ2) * sinΔλ * sinΔλ;
  // Rounding can push h a hair above 1 for antipodal points; asin would then return NaN.
  return 2 * EARTH_MEAN_RADIUS_METERS * Math.asin(Math.min(1, Math.sqrt(h)));
};

export const crossesAntimeridian = (box: BoundingBox): boolean => box.minLon > box.maxLon;

/** Whether a longitude lies in the box's longitude span (which may wrap at the antimeridian). */
export const lonInBox = (lon: number, box: BoundingBox): boolean =>
  crossesAntimeridian(box) ? lon >= box.minLon || lon <= box.maxLon : lon >= box.minLon && lon <= box.maxLon;

export const boxContains = (box: BoundingBox, p: LatLon): boolean => p.lat >= box.minLat && p.lat <= box.maxLat && lonInBox(p.lon, box);

/**
 * Slack added to a radius before it becomes a box, so rounding in the box's trigonometry can never
 * drop a point that the exact distance check would keep: one millimetre plus one part in a billion.
 */
const boxSlack = (radiusMeters: number): number => 0.001 + radiusMeters * 1e-9;

/**
 * The smallest latitude/longitude box holding every point within `radiusMeters` of `center`
 * (slightly inflated, see boxSlack). Latitude spreads by the angular radius; longitude by
 * asin(sin r / cos φ), which is where the circle touches its bounding meridians. A circle that
 * reaches a pole holds every longitude; one that spills over ±180° gives a box that crosses the
 * antimeridian (minLon > maxLon).
 */
export const boundingBoxOfRadius = (center: LatLon, radiusMeters: number): BoundingBox => {
  if (!(radiusMeters >= 0) || !Number.isFinite(radiusMeters)) {
    throw new RangeError(`radius ${radiusMeters} m is not a finite, non-negative number of metres.`);
  }
  const r = (radiusMeters + boxSlack(radiusMeters)) / EARTH_MEAN_RADIUS_METERS;
  const minLat = center.lat - r * DEG;
  const maxLat = center.lat + r * DEG;
  if (minLat <= -90 || maxLat >= 90) {
    return { minLat: Math.max(minLat, -90), minLon: -180, maxLat: Math.min(maxLat, 90), maxLon: 180 };
  }
  const ratio = Math.sin(r) / Math.cos(center.lat * RAD);
  if (r >= Math.PI / 2 || ratio >= 1) return { minLat, minLon: -180, maxLat, maxLon: 180 };
  const Δλ = Math.asin(ratio) * DEG;
  if (Δλ >= 180) return { minLat, minLon: -180, maxLat, maxLon: 180 };
  let minLon = center.lon - Δλ;
  let maxLon = center.lon + Δλ;
  if (minLon < -180) minLon += 360;
  // With Δλ < 180 at most one edge wraps, and a wrapped edge always lands past the other one,
  // so the result reads as an antimeridian-crossing box.
  if (maxLon > 180) maxLon -= 360;
  return { minLat, minLon, maxLat, maxLon };
};
