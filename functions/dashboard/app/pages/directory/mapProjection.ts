/**
 * The device map's geometry, pure: an equirectangular (plate carrée) projection fitted to the
 * devices shown, the graticule, coordinate labels, a scale bar and SVG paths for land outlines.
 * No DOM, no clock: the map component only renders what these return, and unit tests check them.
 *
 * Plate carrée keeps the arithmetic plain (x from longitude, y from latitude, one scale for both),
 * which is what an offline overview of device positions needs; distances are only true along the
 * central parallel, which is why the scale bar names the latitude it holds at.
 */

export interface GeoPoint {
  readonly lat: number;
  readonly lon: number;
}

export interface MapSize {
  readonly width: number;
  readonly height: number;
}

/**
 * The visible window. `west` may lie below -180 and `east` above 180 when the window crosses the
 * antimeridian: longitudes are shown "unwrapped" so that a fleet on both sides of ±180 stays together.
 */
export interface MapView extends MapSize {
  readonly west: number;
  readonly east: number;
  readonly south: number;
  readonly north: number;
  /** Pixels per degree, the same along both axes. */
  readonly scale: number;
}

export interface FitOptions {
  /** Space around the devices, as a fraction of their extent on each side. */
  readonly margin?: number;
  /** The smallest extent shown, in degrees: a single device (or a street of them) is not blown up to fill the map. */
  readonly minSpanDegrees?: number;
}

const DEFAULT_MARGIN = 0.15;
const DEFAULT_MIN_SPAN = 0.5;
/** IUGG mean Earth radius, as the directory's own distance maths uses (functions/directory/geo.ts). */
const EARTH_RADIUS_KM = 6371.0088;

const isCoordinate = (p: GeoPoint): boolean => Number.isFinite(p.lat) && Number.isFinite(p.lon) && Math.abs(p.lat) <= 90 && Math.abs(p.lon) <= 180;

/** The lowest scale: the whole world fits. */
const worldScale = (size: MapSize): number => Math.min(size.width / 360, size.height / 180);

/** A window of `scale` centred on (centreLon, centreLat), moved back inside the poles where it fits. */
const windowAt = (size: MapSize, scale: number, centreLon: number, centreLat: number): MapView => {
  const halfW = size.width / scale / 2;
  const halfH = size.height / scale / 2;
  let north = centreLat + halfH;
  let south = centreLat - halfH;
  if (north - south <= 180) {
    if (north > 90) [north, south] = [90, 90 - 2 * halfH];
    if (south < -90) [north, south] = [-90 + 2 * halfH, -90];
  }
  return { width: size.width, height: size.height, scale, west: centreLon - halfW, east: centreLon + halfW, south, north };
};

/** The whole world, centred on the prime meridian and the equator. */
export const worldView = (size: MapSize): MapView => windowAt(size, worldScale(size), 0, 0);

/**
 * The shortest stretch of longitude that holds every given longitude: the complement of the largest
 * gap between neighbours around the circle. `east` may exceed 180 when the stretch crosses the
 * antimeridian (170 and -170 give west 170, east 190, not west -170, east 170).
 */
export const longitudeWindow = (lons: readonly number[]): { readonly west: number; readonly east: number } => {
  const sorted = [...lons].sort((a, b) => a - b);
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (first === undefined || last === undefined) return { west: -180, east: 180 };
  // The gap that wraps from the last longitude round to the first is the default to leave out.
  let gap = first + 360 - last;
  let west = first;
  let east = last;
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1] as number;
    const b = sorted[i] as number;
    if (b - a > gap) {
      gap = b - a;
      west = b;
      east = a + 360;
    }
  }
  return { west, east };
};

/** `lon` moved by whole turns into [west, west + 360), so a point and the window agree on which copy of the world it is in. */
export const unwrapLongitude = (lon: number, west: number): number => {
  const turns = Math.floor((lon - west) / 360);
  return lon - turns * 360;
};

/**
 * The window that shows every point with a margin, at one scale for both axes; the world when
 * there are no points (or none with valid coordinates). Never zooms out beyond the whole world.
 */
export const fitView = (points: readonly GeoPoint[], size: MapSize, options: FitOptions = {}): MapView => {
  const valid = points.filter(isCoordinate);
  if (valid.length === 0) return worldView(size);
  const margin = options.margin ?? DEFAULT_MARGIN;
  const minSpan = options.minSpanDegrees ?? DEFAULT_MIN_SPAN;
  const { west, east } = longitudeWindow(valid.map((p) => p.lon));
  const south = Math.min(...valid.map((p) => p.lat));
  const north = Math.max(...valid.map((p) => p.lat));
  const lonSpan = Math.max(east - west, minSpan) * (1 + 2 * margin);
  const latSpan = Math.max(north - south, minSpan) * (1 + 2 * margin);
  const scale = Math.max(worldScale(size), Math.min(size.width / lonSpan, size.height / latSpan));
  let centreLon = (west + east) / 2;
  if (centreLon > 180) centreLon -= 360;
  return windowAt(size, scale, centreLon, (south + north) / 2);
};

/** Pixel position of a point in the view (y grows downwards, as in SVG). */
export const project = (view: MapView, point: GeoPoint): { readonly x: number; readonly y: number } => ({
  x: (unwrapLongitude(point.lon, view.west) - view.west) * view.scale,
  y: (view.north - point.lat) * view.scale,
});

const NICE_STEPS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 45, 90];
/** Meridians across the map at most; parallels follow at the same step. */
const MAX_GRID_LINES = 8;

/** The smallest "round" step of degrees that cuts `span` into at most `maxLines` parts. */
export const gridStep = (span: number, maxLines = MAX_GRID_LINES): number => NICE_STEPS.find((s) => span / s <= maxLines) ?? 90;

/** Decimal places that show every multiple of `step` exactly (0.25 → 2, 0.5 → 1, 5 → 0). */
const decimalsOf = (step: number): number => {
  for (let d = 0; d <= 6; d++) if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-9) return d;
  return 6;
};

const multiplesIn = (from: number, to: number, step: number): number[] => {
  const out: number[] = [];
  // Integer multiples, so that 0.1 steps do not drift into 0.30000000000000004.
  for (let k = Math.ceil(from / step - 1e-9); k * step <= to + 1e-9; k++) out.push(Number((k * step).toFixed(decimalsOf(step))));
  return out;
};

/** A longitude in (-180, 180]: the name of an unwrapped one (190 → -170). */
export const normaliseLongitude = (lon: number): number => {
  const wrapped = ((((lon + 180) % 360) + 360) % 360) - 180;
  return wrapped === -180 ? 180 : wrapped;
};

export const formatLatitude = (lat: number, decimals: number): string => {
  const text = Math.abs(lat).toFixed(decimals);
  return Number(text) === 0 ? `${text}°` : `${text}°${lat > 0 ? 'N' : 'S'}`;
};

export const formatLongitude = (lon: number, decimals: number): string => {
  const n = normaliseLongitude(lon);
  const text = Math.abs(n).toFixed(decimals);
  return Number(text) === 0 || Number(text) === 180 ? `${text}°` : `${text}°${n > 0 ? 'E' : 'W'}`;
};

export interface GridLine {
  /** Pixel position along its axis: x for a meridian, y for a parallel. */
  readonly at: number;
  readonly label: string;
}

export interface Graticule {
  readonly step: number;
  readonly meridians: readonly GridLine[];
  readonly parallels: readonly GridLine[];
}

/**
 * Meridians and parallels at one round step for the view, each with its label. The step follows
 * the width (the longer side of this map), so the squares of the grid stay squares.
 */
export const graticule = (view: MapView, maxLines = MAX_GRID_LINES): Graticule => {
  const step = gridStep(view.east - view.west, maxLines);
  const decimals = decimalsOf(step);
  const meridians = multiplesIn(view.west, view.east, step).map((lon) => ({ at: (lon - view.west) * view.scale, label: formatLongitude(lon, decimals) }));
  const parallels = multiplesIn(Math.max(view.south, -90), Math.min(view.north, 90), step).map((lat) => ({
    at: (view.north - lat) * view.scale,
    label: formatLatitude(lat, decimals),
  }));
  return { step, meridians, parallels };
};

export interface ScaleBar {
  /** Length of the bar in pixels. */
  readonly pixels: number;
  readonly label: string;
  /** The parallel along which the bar is true (the centre of the view). */
  readonly latitude: number;
}

/**
 * A bar of a round distance (1, 2 or 5 × 10ⁿ metres) at most `maxFraction` of the map wide, true
 * along the view's central parallel (plate carrée stretches east-west distances away from it).
 */
export const scaleBar = (view: MapView, maxFraction = 0.25): ScaleBar => {
  const latitude = Math.max(-89, Math.min(89, (view.north + view.south) / 2));
  const kmPerDegree = (Math.PI / 180) * EARTH_RADIUS_KM * Math.cos((latitude * Math.PI) / 180);
  const kmPerPixel = kmPerDegree / view.scale;
  const maxKm = kmPerPixel * view.width * maxFraction;
  let km = 10 ** Math.floor(Math.log10(maxKm));
  for (const factor of [5, 2, 1]) {
    if (factor * km <= maxKm) {
      km *= factor;
      break;
    }
  }
  const label = km >= 1 ? `${Number(km.toPrecision(6)).toLocaleString('en')} km` : `${Number((km * 1000).toPrecision(6))} m`;
  return { pixels: km / kmPerPixel, label, latitude };
};

/** A polygon as GeoJSON holds it: rings of [lon, lat], the first the outer edge, others holes. */
export type Polygon = readonly (readonly (readonly number[])[])[];

/** Polygons of any GeoJSON geometry, feature or collection; lines and points are not land. */
export const polygonsOf = (geo: unknown): Polygon[] => {
  if (!geo || typeof geo !== 'object') return [];
  const g = geo as { type?: unknown; features?: unknown; geometry?: unknown; geometries?: unknown; coordinates?: unknown };
  switch (g.type) {
    case 'FeatureCollection':
      return Array.isArray(g.features) ? g.features.flatMap(polygonsOf) : [];
    case 'Feature':
      return polygonsOf(g.geometry);
    case 'GeometryCollection':
      return Array.isArray(g.geometries) ? g.geometries.flatMap(polygonsOf) : [];
    case 'Polygon':
      return Array.isArray(g.coordinates) ? [g.coordinates as Polygon] : [];
    case 'MultiPolygon':
      return Array.isArray(g.coordinates) ? (g.coordinates as Polygon[]) : [];
    default:
      return [];
  }
};

const round1 = (n: number): string => (Math.round(n * 10) / 10).toString();

/**
 * One SVG path (`M…Z` per ring, even-odd holes) of the polygons in the view. Each polygon is drawn
 * once for every copy of the world (shifted by 360°) that the window touches, so land shows on both
 * sides of the antimeridian; polygons wholly outside the window are left out.
 */
export const polygonsPath = (polygons: readonly Polygon[], view: MapView): string => {
  const parts: string[] = [];
  const firstTurn = Math.floor((view.west + 180) / 360);
  const lastTurn = Math.floor((view.east + 180) / 360);
  for (const polygon of polygons) {
    const outer = polygon[0];
    if (!outer || outer.length < 3) continue;
    let minLon = Infinity;
    let maxLon = -Infinity;
    let minLat = Infinity;
    let maxLat = -Infinity;
    for (const [lon = 0, lat = 0] of outer) {
      minLon = Math.min(minLon, lon);
      maxLon = Math.max(maxLon, lon);
      minLat = Math.min(minLat, lat);
      maxLat = Math.max(maxLat, lat);
    }
    if (maxLat < view.south || minLat > view.north) continue;
    for (let turn = firstTurn; turn <= lastTurn; turn++) {
      const shift = turn * 360;
      if (maxLon + shift < view.west || minLon + shift > view.east) continue;
      for (const ring of polygon) {
        if (ring.length < 3) continue;
        const points = ring.map(([lon = 0, lat = 0]) => `${round1((lon + shift - view.west) * view.scale)},${round1((view.north - lat) * view.scale)}`);
        parts.push(`M${points.join('L')}Z`);
      }
    }
  }
  return parts.join('');
};

/** A search area the map outlines: the filter's bounding box or radius. */
export type SearchArea =
  | { readonly kind: 'box'; readonly minLat: number; readonly minLon: number; readonly maxLat: number; readonly maxLon: number }
  | { readonly kind: 'circle'; readonly lat: number; readonly lon: number; readonly radiusMeters: number };

const KM_PER_DEGREE_LAT = (Math.PI / 180) * EARTH_RADIUS_KM;

/** Corners of the area (the circle's north, south, east and west extremes), for fitting a view to it. */
export const areaPoints = (area: SearchArea): GeoPoint[] => {
  if (area.kind === 'box') {
    // A box with minLon > maxLon crosses the antimeridian (the directory's rule): its east edge is maxLon + 360.
    // Points along the edge, not just corners: the shortest arc through two corners could be the
    // wrong way round the world for a box wider than 180°.
    const east = area.maxLon < area.minLon ? area.maxLon + 360 : area.maxLon;
    return [0, 1, 2, 3, 4].map((k) => ({ lat: k % 2 === 0 ? area.minLat : area.maxLat, lon: normaliseLongitude(area.minLon + ((east - area.minLon) * k) / 4) }));
  }
  const dLat = area.radiusMeters / 1000 / KM_PER_DEGREE_LAT;
  const cos = Math.cos((area.lat * Math.PI) / 180);
  const dLon = cos > 1e-6 ? Math.min(180, dLat / cos) : 180;
  return [
    { lat: Math.min(90, area.lat + dLat), lon: area.lon },
    { lat: Math.max(-90, area.lat - dLat), lon: area.lon },
    { lat: area.lat, lon: normaliseLongitude(area.lon + dLon) },
    { lat: area.lat, lon: normaliseLongitude(area.lon - dLon) },
  ];
};

/** The area as an SVG path in the view: a rectangle, or the ellipse a circle becomes in plate carrée. */
export const areaPath = (area: SearchArea, view: MapView): string => {
  if (area.kind === 'box') {
    const west = unwrapLongitude(area.minLon, view.west);
    let east = unwrapLongitude(area.maxLon, west);
    if (east < west) east += 360;
    const x0 = (west - view.west) * view.scale;
    const x1 = (east - view.west) * view.scale;
    const y0 = (view.north - area.maxLat) * view.scale;
    const y1 = (view.north - area.minLat) * view.scale;
    return `M${round1(x0)},${round1(y0)}H${round1(x1)}V${round1(y1)}H${round1(x0)}Z`;
  }
  const { x, y } = project(view, area);
  const ry = (area.radiusMeters / 1000 / KM_PER_DEGREE_LAT) * view.scale;
  const cos = Math.max(1e-6, Math.cos((area.lat * Math.PI) / 180));
  const rx = ry / cos;
  // Two half arcs: SVG's arc command cannot draw a full ellipse in one.
  return `M${round1(x - rx)},${round1(y)}a${round1(rx)},${round1(ry)} 0 1,0 ${round1(2 * rx)},0a${round1(rx)},${round1(ry)} 0 1,0 ${round1(-2 * rx)},0Z`;
};
