import { readFileSync } from 'node:fs';
import { feature } from 'topojson-client';
import type { Topology } from 'topojson-specification';
import { describe, expect, it } from 'vitest';
import {
  areaPath,
  areaPoints,
  fitView,
  formatLatitude,
  formatLongitude,
  graticule,
  gridStep,
  longitudeWindow,
  normaliseLongitude,
  polygonsOf,
  polygonsPath,
  project,
  scaleBar,
  unwrapLongitude,
  worldView,
  type GeoPoint,
  type MapView,
} from '../../../functions/dashboard/app/pages/directory/mapProjection.ts';

const SIZE = { width: 960, height: 480 };
const inside = (view: MapView, p: GeoPoint) => {
  const { x, y } = project(view, p);
  return x >= 0 && x <= view.width && y >= 0 && y <= view.height;
};

describe('fitting the view', () => {
  it('shows the whole world, centred, when there are no devices', () => {
    const view = fitView([], SIZE);
    expect(view).toEqual(worldView(SIZE));
    expect(view).toMatchObject({ west: -180, east: 180, south: -90, north: 90 });
    expect(view.scale).toBeCloseTo(960 / 360, 12);
    expect(project(view, { lat: 0, lon: 0 })).toEqual({ x: 480, y: 240 });
    expect(project(view, { lat: 90, lon: -180 })).toEqual({ x: 0, y: 0 });
  });

  it('ignores positions that are not coordinates', () => {
    expect(fitView([{ lat: Number.NaN, lon: 13 }, { lat: 95, lon: 0 }], SIZE)).toEqual(worldView(SIZE));
  });

  it('fits the devices with a margin on every side, one scale for both axes', () => {
    const points = [
      { lat: 55.0, lon: 12.0 },
      { lat: 56.0, lon: 14.0 },
      { lat: 55.6, lon: 13.0 },
    ];
    const view = fitView(points, SIZE, { margin: 0.1 });
    // 2° wide and 1° high with 10 % each side: 2.4° × 1.2°, which is exactly 2:1 like the map.
    expect(view.scale).toBeCloseTo(960 / 2.4, 9);
    expect(view.east - view.west).toBeCloseTo(2.4, 9);
    expect(view.north - view.south).toBeCloseTo(1.2, 9);
    const corner = project(view, { lat: 56, lon: 12 });
    expect(corner.x).toBeCloseTo(0.2 * view.scale, 6);
    expect(corner.y).toBeCloseTo(0.1 * view.scale, 6);
    for (const p of points) expect(inside(view, p)).toBe(true);
  });

  it('keeps the tight axis tight and centres the other one', () => {
    // A north-south line of devices: latitude decides the scale, longitude is centred.
    const view = fitView([{ lat: 50, lon: 10 }, { lat: 60, lon: 10 }], SIZE, { margin: 0 });
    expect(view.scale).toBeCloseTo(480 / 10, 9);
    expect(project(view, { lat: 60, lon: 10 })).toEqual({ x: 480, y: 0 });
    expect(project(view, { lat: 50, lon: 10 }).y).toBeCloseTo(480, 9);
  });

  it('does not blow one device up to fill the map', () => {
    const view = fitView([{ lat: 55.6, lon: 13.0 }], SIZE, { margin: 0.15, minSpanDegrees: 0.5 });
    expect(view.north - view.south).toBeCloseTo(0.5 * 1.3, 9);
    expect(project(view, { lat: 55.6, lon: 13.0 }).x).toBeCloseTo(480, 6);
    expect(project(view, { lat: 55.6, lon: 13.0 }).y).toBeCloseTo(240, 6);
  });

  it('never zooms out past the whole world', () => {
    const view = fitView([{ lat: -80, lon: -179 }, { lat: 80, lon: 179 }, { lat: 0, lon: 0 }, { lat: 0, lon: 90 }, { lat: 0, lon: -90 }], SIZE);
    expect(view.scale).toBeCloseTo(960 / 360, 12);
    expect(view.north).toBe(90);
    expect(view.south).toBe(-90);
  });

  it('stays inside the poles when the devices are near one', () => {
    const view = fitView([{ lat: 89.9, lon: 0 }, { lat: 88, lon: 3 }], SIZE);
    expect(view.north).toBe(90);
    expect(view.north - view.south).toBeLessThan(180);
    expect(inside(view, { lat: 89.9, lon: 0 })).toBe(true);
  });

  it('keeps a fleet on both sides of the antimeridian together', () => {
    const points = [
      { lat: -17, lon: 179 },
      { lat: -18, lon: -179 },
    ];
    const view = fitView(points, SIZE);
    expect(view.east - view.west).toBeLessThan(10);
    for (const p of points) expect(inside(view, p)).toBe(true);
    const a = project(view, points[0]!);
    const b = project(view, points[1]!);
    expect(b.x - a.x).toBeCloseTo(2 * view.scale, 6);
  });
});

describe('longitudes', () => {
  it('finds the shortest stretch that holds them all', () => {
    expect(longitudeWindow([170, -170])).toEqual({ west: 170, east: 190 });
    expect(longitudeWindow([-100, 0, 100])).toEqual({ west: -100, east: 100 });
    expect(longitudeWindow([13])).toEqual({ west: 13, east: 13 });
    expect(longitudeWindow([])).toEqual({ west: -180, east: 180 });
  });

  it('unwraps into the window and names unwrapped ones again', () => {
    expect(unwrapLongitude(-170, 170)).toBe(190);
    expect(unwrapLongitude(175, 170)).toBe(175);
    expect(unwrapLongitude(10, -190)).toBe(10);
    expect(normaliseLongitude(190)).toBe(-170);
    expect(normaliseLongitude(-180)).toBe(180);
    expect(normaliseLongitude(540)).toBe(180);
  });
});

describe('graticule, labels and scale', () => {
  it('picks round steps', () => {
    expect(gridStep(360)).toBe(45);
    expect(gridStep(2.4)).toBe(0.5);
    expect(gridStep(0.05)).toBe(0.01);
  });

  it('places labelled meridians and parallels at multiples of the step', () => {
    const view = fitView([{ lat: 55, lon: 12 }, { lat: 56, lon: 14 }], SIZE, { margin: 0.1 });
    const grid = graticule(view);
    expect(grid.step).toBe(0.5);
    expect(grid.meridians.map((m) => m.label)).toEqual(['12.0°E', '12.5°E', '13.0°E', '13.5°E', '14.0°E']);
    expect(grid.parallels.map((p) => p.label)).toEqual(['55.0°N', '55.5°N', '56.0°N']);
    const m12 = grid.meridians[0]!;
    expect(m12.at).toBeCloseTo(project(view, { lat: 55.5, lon: 12 }).x, 9);
  });

  it('labels the world grid with hemispheres and the antimeridian without one', () => {
    const grid = graticule(worldView(SIZE));
    expect(grid.meridians.map((m) => m.label)).toEqual(['180°', '135°W', '90°W', '45°W', '0°', '45°E', '90°E', '135°E', '180°']);
    expect(grid.parallels.map((p) => p.label)).toEqual(['90°S', '45°S', '0°', '45°N', '90°N']);
  });

  it('formats coordinates', () => {
    expect(formatLatitude(-33.8688, 2)).toBe('33.87°S');
    expect(formatLatitude(0.00001, 2)).toBe('0.00°');
    expect(formatLongitude(-0.5, 1)).toBe('0.5°W');
    expect(formatLongitude(190, 0)).toBe('170°W');
  });

  it('draws a round distance no wider than a quarter of the map, true at the centre latitude', () => {
    const world = scaleBar(worldView(SIZE));
    // 1° of longitude at the equator is 111.195 km; the world view has 960/360 px per degree.
    const kmPerPixel = ((Math.PI / 180) * 6371.0088) / (960 / 360);
    // A quarter of the map is 10,007 km there: the bar is the round 10,000 km just under it.
    expect(world.label).toBe('10,000 km');
    expect(world.pixels).toBeCloseTo(10_000 / kmPerPixel, 6);
    expect(world.pixels).toBeLessThanOrEqual(240);
    expect(world.latitude).toBe(0);

    const view = fitView([{ lat: 60, lon: 10 }], SIZE, { minSpanDegrees: 0.01, margin: 0 });
    const city = scaleBar(view);
    expect(city.latitude).toBeCloseTo(60, 9);
    // A 0.01° high view on a 2:1 map is 0.02° wide; at 60°N a degree of longitude is half of
    // 111.195 km, so the map spans 1.112 km and a quarter of it 278 m: the bar is 200 m.
    expect(view.east - view.west).toBeCloseTo(0.02, 9);
    expect(city.label).toBe('200 m');
    expect(city.pixels).toBeCloseTo(0.2 / (((Math.PI / 180) * 6371.0088 * Math.cos(Math.PI / 3)) / view.scale), 6);
  });
});

describe('outlines', () => {
  const square = [
    [
      [0, 0],
      [10, 0],
      [10, 10],
      [0, 10],
      [0, 0],
    ],
  ];

  it('collects polygons from features, collections and multipolygons, and nothing else', () => {
    const polygons = polygonsOf({
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', geometry: { type: 'Polygon', coordinates: square } },
        { type: 'Feature', geometry: { type: 'MultiPolygon', coordinates: [square, square] } },
        { type: 'Feature', geometry: { type: 'LineString', coordinates: [[0, 0], [1, 1]] } },
        { type: 'Feature', geometry: { type: 'GeometryCollection', geometries: [{ type: 'Polygon', coordinates: square }] } },
      ],
    });
    expect(polygons).toHaveLength(4);
    expect(polygonsOf(null)).toEqual([]);
    expect(polygonsOf({ type: 'Polygon', coordinates: 'nonsense' })).toEqual([]);
  });

  it('draws a polygon in pixels of the view and leaves out what the view does not touch', () => {
    const world = worldView(SIZE);
    expect(polygonsPath([square], world)).toBe('M480,240L506.7,240L506.7,213.3L480,213.3L480,240Z');
    const europe = fitView([{ lat: 55, lon: 12 }], SIZE);
    expect(polygonsPath([square], europe)).toBe('');
  });

  it('draws land across the antimeridian from its copy on the other side', () => {
    const view = fitView([{ lat: -17, lon: 179 }, { lat: -18, lon: -179 }], SIZE);
    const fiji = [
      [
        [-179.9, -16.5],
        [-179.5, -16.5],
        [-179.5, -16.9],
        [-179.9, -16.5],
      ],
    ];
    const path = polygonsPath([fiji], view);
    expect(path).not.toBe('');
    const xs = [...path.matchAll(/[ML](-?[\d.]+),/g)].map((m) => Number(m[1]));
    for (const x of xs) {
      expect(x).toBeGreaterThan(0);
      expect(x).toBeLessThan(960);
    }
  });

  it('turns the bundled Natural Earth land into polygons that cover known land and not the sea', () => {
    const topology = JSON.parse(readFileSync(new URL('../../../node_modules/world-atlas/land-110m.json', import.meta.url), 'utf8')) as Topology;
    const land = polygonsOf(feature(topology, topology.objects.land!));
    expect(land.length).toBeGreaterThan(100);
    const containing = (lon: number, lat: number) =>
      land.some((polygon) => {
        // Even-odd ray casting over the outer ring: enough to tell a continent from an ocean.
        const ring = polygon[0]!;
        let odd = false;
        for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
          const [xi = 0, yi = 0] = ring[i]!;
          const [xj = 0, yj = 0] = ring[j]!;
          if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) odd = !odd;
        }
        return odd;
      });
    expect(containing(10, 51)).toBe(true); // Germany
    expect(containing(-100, 40)).toBe(true); // the United States
    expect(containing(-30, 30)).toBe(false); // the Atlantic
    expect(polygonsPath(land, worldView(SIZE)).length).toBeGreaterThan(10_000);
  });
});

describe('search areas', () => {
  it('draws a radius as the ellipse a circle becomes in plate carrée', () => {
    const world = worldView(SIZE);
    // 111.195 km is one degree of latitude: 960/360 px; at the equator the same across.
    const path = areaPath({ kind: 'circle', lat: 0, lon: 0, radiusMeters: 111_195.08 }, world);
    expect(path).toBe('M477.3,240a2.7,2.7 0 1,0 5.3,0a2.7,2.7 0 1,0 -5.3,0Z');
    const north = areaPath({ kind: 'circle', lat: 60, lon: 0, radiusMeters: 111_195.08 }, world);
    // At 60°N the ellipse is twice as wide as high.
    expect(north).toContain('a5.3,2.7');
  });

  it('outlines a box, also one across the antimeridian', () => {
    const world = worldView(SIZE);
    expect(areaPath({ kind: 'box', minLat: 0, minLon: 0, maxLat: 10, maxLon: 10 }, world)).toBe('M480,213.3H506.7V240H480Z');
    const box = { kind: 'box', minLat: -20, minLon: 170, maxLat: -10, maxLon: -170 } as const;
    const view = fitView(areaPoints(box), SIZE);
    expect(view.east - view.west).toBeLessThan(40);
    expect(inside(view, { lat: -15, lon: 180 })).toBe(true);
    const [x0, x1] = [...areaPath(box, view).matchAll(/[MH](-?[\d.]+)/g)].map((m) => Number(m[1]));
    expect(x1! - x0!).toBeCloseTo(20 * view.scale, 0);
  });

  it('fits a wide box the right way round the world', () => {
    const view = fitView(areaPoints({ kind: 'box', minLat: -10, minLon: -100, maxLat: 10, maxLon: 100 }), SIZE);
    expect(inside(view, { lat: 0, lon: 0 })).toBe(true);
    expect(inside(view, { lat: 0, lon: -100 })).toBe(true);
    expect(inside(view, { lat: 0, lon: 100 })).toBe(true);
  });
});
