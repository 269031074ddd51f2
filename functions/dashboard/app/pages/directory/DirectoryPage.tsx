import { useMemo } from 'react';
import { ProblemMessage } from '../../components/ProblemMessage.tsx';
import { href, useLocation } from '../../router.ts';
import { useApp } from '../../session.tsx';
import { useLoad } from '../../useLoad.ts';
import { DeviceMap } from './DeviceMap.tsx';
import { DeviceTable, type DirectoryDevice } from './DeviceTable.tsx';
import { DirectoryFilters } from './DirectoryFilters.tsx';
import { apiQueryOf, queryString } from './directoryQuery.ts';
import type { SearchArea } from './mapProjection.ts';
import './directory.css';

interface DirectoryResult {
  readonly items: readonly DirectoryDevice[];
  readonly nextCursor?: string;
  readonly total?: number;
}

const numbers = (text: string | undefined, count: number): number[] | undefined => {
  const parts = text?.split(',').map(Number);
  return parts && parts.length === count && parts.every(Number.isFinite) ? parts : undefined;
};

/** The search area the URL names, for the map to outline; the radius wins when both are given. */
const areaOf = (query: Record<string, string>): SearchArea | undefined => {
  const near = numbers(query.near, 3);
  if (near) return { kind: 'circle', lat: near[0] ?? 0, lon: near[1] ?? 0, radiusMeters: near[2] ?? 0 };
  const box = numbers(query.bbox, 4);
  if (box) return { kind: 'box', minLat: box[0] ?? 0, minLon: box[1] ?? 0, maxLat: box[2] ?? 0, maxLon: box[3] ?? 0 };
  return undefined;
};

const plural = (n: number, one: string, many: string) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

/**
 * The device directory (`/devices`, the console's home): filters, the matching devices a page at a
 * time (the API's keyset cursor, carried in the URL), and a map of the page's devices.
 */
export const DirectoryPage = (_props: Record<string, unknown>) => {
  const { api } = useApp();
  const location = useLocation();
  const query = useMemo(() => apiQueryOf(location.query), [location.query]);
  const search = queryString(query);
  const { cursor: _cursor, ...filters } = query;
  const filterKey = queryString(filters);
  const result = useLoad(search, () => api.get<DirectoryResult>(`/devices${search}`));
  const area = useMemo(() => areaOf(query), [query]);
  // Answers of an earlier search are not shown beside this search's error.
  const page = result.error ? undefined : result.data;
  const firstPage = query.cursor === undefined;

  const summary = result.loading
    ? 'Loading devices…'
    : page === undefined
      ? ''
      : page.items.length === 0
        ? firstPage
          ? 'No devices match these filters.'
          : 'No more devices on this page.'
        : page.total !== undefined
          ? `${plural(page.total, 'device matches', 'devices match')}; showing ${page.items.length.toLocaleString()}.`
          : `Showing ${plural(page.items.length, 'more device', 'more devices')}.`;

  return (
    <section className="directory-page" aria-labelledby="directory-title">
      <h1 id="directory-title">Devices</h1>
      <DirectoryFilters key={filterKey} query={filters} />
      <p className="result-summary" role="status" aria-live="polite" data-testid="directory-summary">
        {summary}
      </p>
      <ProblemMessage error={result.error} />
      {page && page.items.length > 0 ? (
        <div className="directory-results" aria-busy={result.loading}>
          <div className="directory-list">
            <DeviceTable devices={page.items} caption={firstPage ? 'Matching devices' : 'Matching devices, a later page'} />
            <nav className="pager" aria-label="Pages of devices">
              {firstPage ? null : <a href={href('/devices', filters)}>First page</a>}
              {page.nextCursor ? (
                <a href={href('/devices', { ...filters, cursor: page.nextCursor })} rel="next">
                  Next page
                </a>
              ) : (
                <span>Last page</span>
              )}
            </nav>
          </div>
          <DeviceMap devices={page.items} area={area} />
        </div>
      ) : page ? (
        <DeviceMap devices={[]} area={area} />
      ) : null}
    </section>
  );
};
