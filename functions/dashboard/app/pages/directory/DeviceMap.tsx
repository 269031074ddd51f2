import { useMemo } from 'react';
import { href } from '../../router.ts';
import { LAND_POLYGONS } from './landOutlines.ts';
import { areaPath, areaPoints, fitView, graticule, polygonsPath, project, scaleBar, formatLatitude, formatLongitude, type SearchArea } from './mapProjection.ts';

export interface MapDevice {
  readonly thingName: string;
  readonly tenant: string;
  readonly status?: string;
  readonly location: { readonly latitude: number; readonly longitude: number };
}

/** The SVG's own coordinate system; CSS scales it to the width it gets. */
const SIZE = { width: 960, height: 480 } as const;
const LABEL_INSET = 6;
/** Labels closer than this to the right or top edge would be cut off or overlap the other axis's labels. */
const LABEL_ROOM = 80;

/**
 * Device locations over bundled land outlines: no tile server, works offline. Each point is a link
 * to its device (keyboard focusable, named for screen readers); the view fits the devices shown,
 * or the search area when none are, or the world.
 */
export const DeviceMap = ({ devices, area }: { devices: readonly MapDevice[]; area?: SearchArea | undefined }) => {
  const view = useMemo(() => {
    const points = devices.map((d) => ({ lat: d.location.latitude, lon: d.location.longitude }));
    return fitView(points.length > 0 ? points : area ? areaPoints(area) : [], SIZE);
  }, [devices, area]);
  const land = useMemo(() => polygonsPath(LAND_POLYGONS, view), [view]);
  const grid = useMemo(() => graticule(view), [view]);
  const bar = scaleBar(view);

  return (
    <figure className="device-map">
      <svg viewBox={`0 0 ${SIZE.width} ${SIZE.height}`} role="group" aria-labelledby="device-map-caption" data-testid="device-map">
        <rect className="sea" width={SIZE.width} height={SIZE.height} aria-hidden="true" />
        <path className="land" d={land} fillRule="evenodd" aria-hidden="true" />
        <g className="graticule" aria-hidden="true">
          {grid.meridians.map((m) => (
            <g key={`m${m.at}`}>
              <line x1={m.at} x2={m.at} y1={0} y2={SIZE.height} />
              {m.at < SIZE.width - LABEL_ROOM ? (
                <text x={m.at + LABEL_INSET} y={LABEL_INSET + 20}>
                  {m.label}
                </text>
              ) : null}
            </g>
          ))}
          {grid.parallels.map((p) => (
            <g key={`p${p.at}`}>
              <line x1={0} x2={SIZE.width} y1={p.at} y2={p.at} />
              {p.at > 2 * LABEL_ROOM / 3 ? (
                <text x={LABEL_INSET} y={p.at - LABEL_INSET}>
                  {p.label}
                </text>
              ) : null}
            </g>
          ))}
        </g>
        {area ? <path className="search-area" d={areaPath(area, view)} aria-hidden="true" /> : null}
        <g className="points">
          {devices.map((d) => {
            const { x, y } = project(view, { lat: d.location.latitude, lon: d.location.longitude });
            const where = `${formatLatitude(d.location.latitude, 4)} ${formatLongitude(d.location.longitude, 4)}`;
            return (
              <a key={d.thingName} href={href(`/devices/${encodeURIComponent(d.thingName)}`)} aria-label={`${d.thingName}, ${d.tenant}, at ${where}`} data-testid="map-point">
                <title>{`${d.thingName} (${d.tenant}) ${where}`}</title>
                <circle cx={x} cy={y} r={9} className={`point status-${d.status ?? 'unknown'}`} />
              </a>
            );
          })}
        </g>
        <g className="scale-bar" aria-hidden="true" transform={`translate(${SIZE.width - bar.pixels - 20}, ${SIZE.height - 36})`}>
          <rect x={-10} y={-26} width={bar.pixels + 20} height={42} rx={4} />
          <path d={`M0,0V8H${bar.pixels}V0`} />
          <text x={bar.pixels / 2} y={-6} textAnchor="middle">
            {bar.label}
          </text>
        </g>
      </svg>
      <figcaption id="device-map-caption">
        {devices.length === 0
          ? 'Map: no devices to show.'
          : `Map of the ${devices.length === 1 ? 'device' : `${devices.length} devices`} on this page; each point links to its device.`}{' '}
        Scale true at {formatLatitude(bar.latitude, 1)}. Land outlines: Natural Earth 1:110m.
      </figcaption>
    </figure>
  );
};
