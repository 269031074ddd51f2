import { feature } from 'topojson-client';
import type { Topology } from 'topojson-specification';
import land from 'world-atlas/land-110m.json';
import { polygonsOf, type Polygon } from './mapProjection.ts';

/**
 * Natural Earth's land at 1:110m (world-atlas), bundled into the app so the map needs no tile
 * server and works offline. Converted from TopoJSON once, when the module loads (about 55 kB).
 */
const topology = land as unknown as Topology;
const landObject = topology.objects.land;

export const LAND_POLYGONS: readonly Polygon[] = landObject ? polygonsOf(feature(topology, landObject)) : [];
