import { describe, expect, it } from 'vitest';
import {
  boundingBoxOfRadius,
  boxContains,
  crossesAntimeridian,
  EARTH_MEAN_RADIUS_METERS as R,
  haversineMeters,
  lonInBox,
  type LatLon,
} from '../../functions/directory/geo.ts';
import { destination, seededRandom } from './support/fleet.ts';

const RAD = Math.PI / 180;
const lund: LatLon = { lat: 55.7043, lon: 13.1935 }; // the cathedral
const malmo: LatLon = { lat: 55.6093, lon: 13.0007 }; // the central station

/** The equirectangular approximation: a different formula, good to 0.1 % over tens of kilometres. */
const flatEarth = (a: LatLon, b: LatLon) => {
  const x = (b.lon - a.lon) * RAD * Math.cos(((a.lat + b.lat) / 2) * RAD);
  const y = (b.lat - a.lat) * RAD;
  return Math.hypot(x, y) * R;
};

describe('haversine distance', () => {
  it('gives known city distances', () => {
    const d = haversineMeters(lund, malmo);
    expect(d).toBeGreaterThan(15_000); // Lund lies some 16 km north-east of Malmö
    expect(d).toBeLessThan(17_000);
    expect(Math.abs(d - flatEarth(lund, malmo))).toBeLessThan(20);
    // London (Charing Cross) to Paris (Notre-Dame): 343.5 km on the sphere, as commonly quoted.
    expect(haversineMeters({ lat: 51.5074, lon: -0.1278 }, { lat: 48.8566, lon: 2.3522 }) / 1000).toBeCloseTo(343.5, 0);
  });

  it('measures arcs of the sphere exactly: a degree on the equator, pole to pole, pole to equator', () => {
    expect(haversineMeters({ lat: 0, lon: 0 }, { lat: 0, lon: 1 })).toBeCloseTo((Math.PI * R) / 180, 6);
    expect(haversineMeters({ lat: 90, lon: 0 }, { lat: -90, lon: 0 })).toBeCloseTo(Math.PI * R, 4);
    expect(haversineMeters({ lat: 90, lon: 0 }, { lat: 0, lon: 123 })).toBeCloseTo((Math.PI * R) / 2, 4);
  });

  it('at a pole, ignores longitude: every meridian meets there', () => {
    const oneDegree = (Math.PI * R) / 180;
    for (const lon of [-180, -97.5, 0, 45, 179.99]) {
      expect(haversineMeters({ lat: 90, lon: 0 }, { lat: 89, lon })).toBeCloseTo(oneDegree, 4);
      expect(haversineMeters({ lat: -90, lon: 77 }, { lat: -89, lon })).toBeCloseTo(oneDegree, 4);
    }
    expect(haversineMeters({ lat: 90, lon: -180 }, { lat: 90, lon: 180 })).toBeCloseTo(0, 6);
  });

  it('goes the short way across the antimeridian, and stays finite for antipodes', () => {
    expect(haversineMeters({ lat: 0, lon: 179.9 }, { lat: 0, lon: -179.9 })).toBeCloseTo((0.2 * Math.PI * R) / 180, 4);
    // Near antipodes haversine is ill-conditioned (asin at 1) and good to a few decimetres only:
    // irrelevant for searches of at most 1000 km, but it must not turn into NaN.
    expect(Math.abs(haversineMeters({ lat: 10, lon: 20 }, { lat: -10, lon: -160 }) - Math.PI * R)).toBeLessThan(1);
    expect(Math.abs(haversineMeters({ lat: 0, lon: 0 }, { lat: 0, lon: 180 }) - Math.PI * R)).toBeLessThan(1);
  });

  it('is symmetric, zero on the diagonal, and obeys the triangle inequality', () => {
    const rnd = seededRandom(3);
    const point = () => ({ lat: rnd.next() * 180 - 90, lon: rnd.next() * 360 - 180 });
    for (let i = 0; i < 1000; i++) {
      const [a, b, c] = [point(), point(), point()];
      expect(haversineMeters(a, a)).toBe(0);
      expect(haversineMeters(a, b)).toBe(haversineMeters(b, a));
      expect(haversineMeters(a, c)).toBeLessThanOrEqual(haversineMeters(a, b) + haversineMeters(b, c) + 1e-6);
    }
  });
});

describe('bounding box of a radius', () => {
  it('is tight: the circle reaches each edge to within a metre', () => {
    const r = 2000;
    const box = boundingBoxOfRadius(lund, r);
    expect(crossesAntimeridian(box)).toBe(false);
    const rim = Array.from({ length: 3600 }, (_, i) => destination(lund.lat, lund.lon, r, i / 10));
    const metres = (deg: number, lat = 0) => deg * RAD * R * Math.cos(lat * RAD);
    expect(metres(box.maxLat - Math.max(...rim.map((p) => p.lat)))).toBeGreaterThanOrEqual(0);
    expect(metres(box.maxLat - Math.max(...rim.map((p) => p.lat)))).toBeLessThan(1);
    expect(metres(Math.min(...rim.map((p) => p.lat)) - box.minLat)).toBeLessThan(1);
    expect(metres(box.maxLon - Math.max(...rim.map((p) => p.lon)), lund.lat)).toBeLessThan(1);
    expect(metres(Math.min(...rim.map((p) => p.lon)) - box.minLon, lund.lat)).toBeLessThan(1);
    expect(rim.every((p) => boxContains(box, p))).toBe(true);
  });

  it('never leaves out a point within the radius, near poles and the antimeridian too', () => {
    const rnd = seededRandom(11);
    const centres = () => {
      const kind = rnd.int(0, 3);
      if (kind === 0) return { lat: (rnd.chance(0.5) ? 1 : -1) * (85 + rnd.next() * 5), lon: rnd.next() * 360 - 180 };
      if (kind === 1) return { lat: rnd.next() * 160 - 80, lon: (rnd.chance(0.5) ? 1 : -1) * (175 + rnd.next() * 5) };
      return { lat: rnd.next() * 180 - 90, lon: rnd.next() * 360 - 180 };
    };
    let crossing = 0;
    let wholeLongitude = 0;
    for (let i = 0; i < 3000; i++) {
      const c = centres();
      const r = 10 ** (1 + rnd.next() * 5); // 10 m .. 1000 km
      const box = boundingBoxOfRadius(c, r);
      if (crossesAntimeridian(box)) crossing++;
      if (box.minLon === -180 && box.maxLon === 180) wholeLongitude++;
      for (let k = 0; k < 20; k++) {
        // On the rim (the hardest case) or inside it.
        const p = destination(c.lat, c.lon, k < 10 ? r : r * rnd.next(), rnd.next() * 360);
        if (haversineMeters(c, p) <= r) expect(boxContains(box, p)).toBe(true);
      }
    }
    expect(crossing).toBeGreaterThan(100);
    expect(wholeLongitude).toBeGreaterThan(50);
  });

  it('holds every longitude when the circle reaches a pole', () => {
    const box = boundingBoxOfRadius({ lat: 89.5, lon: 10 }, 100_000);
    expect(box).toMatchObject({ minLon: -180, maxLon: 180, maxLat: 90 });
    expect(box.minLat).toBeCloseTo(89.5 - 100_000 / ((Math.PI * R) / 180), 6);
    expect(boundingBoxOfRadius({ lat: -90, lon: 0 }, 1000)).toMatchObject({ minLat: -90, minLon: -180, maxLon: 180 });
  });

  it('wraps at the antimeridian into a box with minLon > maxLon', () => {
    const box = boundingBoxOfRadius({ lat: -16.8, lon: 179.95 }, 25_000);
    expect(crossesAntimeridian(box)).toBe(true);
    expect(boxContains(box, { lat: -16.8, lon: -179.9 })).toBe(true);
    expect(boxContains(box, { lat: -16.8, lon: 179.8 })).toBe(true);
    expect(boxContains(box, { lat: -16.8, lon: 0 })).toBe(false);
    expect(boxContains(box, { lat: -16.8, lon: -179.5 })).toBe(false);
    const west = boundingBoxOfRadius({ lat: 65, lon: -179.99 }, 50_000);
    expect(west.minLon).toBeGreaterThan(west.maxLon);
  });

  it('refuses a negative or infinite radius', () => {
    expect(() => boundingBoxOfRadius(lund, -1)).toThrow(/radius/);
    expect(() => boundingBoxOfRadius(lund, Number.POSITIVE_INFINITY)).toThrow(/radius/);
  });

  it('reads a crossing box as two longitude spans, edges included', () => {
    const box = { minLat: -20, minLon: 170, maxLat: -10, maxLon: -170 };
    expect([170, 180, -180, -170].map((lon) => lonInBox(lon, box))).toEqual([true, true, true, true]);
    expect([169.9, 0, -169.9].map((lon) => lonInBox(lon, box))).toEqual([false, false, false]);
    expect(lonInBox(0, { minLat: 0, minLon: -1, maxLat: 1, maxLon: 1 })).toBe(true);
  });
});
