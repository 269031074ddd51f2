import type { Statement } from 'better-sqlite3';
import type { DeviceRow } from '../../events/projections/devices.ts';
import { DEVICE_STATUSES, type SearchQuery } from '../../schemas/directory/searchQuery.ts';
import type { SqliteDatabase } from '../eventStore/sqliteDatabase.ts';
import { decodeCursor, encodeCursor, searchFingerprint, type CursorPosition } from './cursor.ts';
import { DirectoryQueryError, type DeviceDirectory, type DirectoryItem, type DirectoryPage } from './deviceDirectory.ts';
import { boundingBoxOfRadius, haversineMeters, type BoundingBox } from './geo.ts';
import {
  attributeExpression,
  attributeIndexName,
  attributePath,
  DEVICES_PROJECTION,
  ensureDirectoryIndexes,
  FIELD,
  IN_DEVICES,
  INDEX,
  isSafeAttributeName,
} from './sqliteDirectoryIndexes.ts';

export interface SqliteDeviceDirectoryOptions {
  /** Attributes that get an index of their own (e.g. "kind"); others are filters only. */
  readonly indexedAttributes?: readonly string[];
  /**
   * Index entries counted, at most, when probing which index narrows a search most. Probes read
   * index entries only, so a few thousand cost well under a millisecond.
   */
  readonly probeCap?: number;
}

export interface SqliteDeviceDirectory extends DeviceDirectory {
  /** SQLite's plan for the page query of a search (EXPLAIN QUERY PLAN details), for tests and operators. */
  explain(query: SearchQuery): string[];
}

/** Registered on the connection so distance ordering and paging happen inside one SQL statement. */
const DISTANCE_FUNCTION = 'directory_distance_m';
const DISTANCE = `${DISTANCE_FUNCTION}(${FIELD.latitude}, ${FIELD.longitude}, ?, ?)`;
const STATEMENT_CACHE_MAX = 256;
/** The first ring of a radius search, beyond the cursor's distance (see nearRows). */
const FIRST_RING_METERS = 500;

/** A way into the rows: an index with the condition it serves, probed to estimate how many rows it yields. */
interface Access {
  readonly index: string;
  readonly probeSql: string;
  readonly probeParams: readonly unknown[];
  /** Walks in thing-name order, so a name-ordered page needs no sort. */
  readonly ordered: boolean;
}

interface Plan {
  readonly where: readonly string[];
  readonly params: readonly unknown[];
  readonly accesses: readonly Access[];
  /** Set when some filter can match nothing at all (e.g. a box and a radius that do not overlap). */
  readonly empty: boolean;
}

const lonClause = (box: BoundingBox): { sql: string; params: number[] } | undefined => {
  if (box.minLon <= -180 && box.maxLon >= 180) return undefined;
  return box.minLon > box.maxLon
    ? { sql: `(${FIELD.longitude} >= ? OR ${FIELD.longitude} <= ?)`, params: [box.minLon, box.maxLon] }
    : { sql: `${FIELD.longitude} BETWEEN ? AND ?`, params: [box.minLon, box.maxLon] };
};

/**
 * The directory over the `devices` projection's rows in SQLite. Each search is planned here rather
 * than left to SQLite: without ANALYZE statistics (which go stale as fleets grow) SQLite prefers
 * walking the primary key in name order, a full scan for selective filters. So each usable index is
 * probed for how many entries its condition selects (capped), the smallest wins, and the query
 * names it with INDEXED BY. All values are bound; the SQL text is built from fixed fragments only.
 */
export const createSqliteDeviceDirectory = (db: SqliteDatabase, options: SqliteDeviceDirectoryOptions = {}): SqliteDeviceDirectory => {
  const indexedAttributes = new Set(options.indexedAttributes ?? []);
  for (const name of indexedAttributes) {
    if (!isSafeAttributeName(name)) throw new Error(`indexedAttributes: ${JSON.stringify(name)} is not an attribute name; use 1-64 of letters, digits, "_", "." and "-".`);
  }
  const probeCap = options.probeCap ?? 4096;
  if (!Number.isSafeInteger(probeCap) || probeCap < 1) throw new Error(`probeCap ${probeCap} is not a positive whole number.`);

  ensureDirectoryIndexes(db, [...indexedAttributes]);
  db.function(DISTANCE_FUNCTION, { deterministic: true }, (lat: unknown, lon: unknown, lat0: unknown, lon0: unknown) =>
    typeof lat === 'number' && typeof lon === 'number' && typeof lat0 === 'number' && typeof lon0 === 'number'
      ? haversineMeters({ lat, lon }, { lat: lat0, lon: lon0 })
      : null,
  );

  const statements = new Map<string, Statement>();
  const prepared = (sql: string): Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      if (statements.size >= STATEMENT_CACHE_MAX) statements.delete(statements.keys().next().value as string);
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };

  const equalityAccess = (index: string, expression: string, value: string): Access => ({
    index,
    probeSql: `SELECT count(*) AS n FROM (SELECT 1 FROM projection_rows INDEXED BY ${index} WHERE ${IN_DEVICES} AND ${expression} = ? LIMIT ?)`,
    probeParams: [value],
    ordered: true,
  });

  const plan = (query: SearchQuery): Plan => {
    const where = [IN_DEVICES];
    const params: unknown[] = [];
    const accesses: Access[] = [];
    const equal = (expression: string, value: string, index: string | undefined) => {
      where.push(`${expression} = ?`);
      params.push(value);
      if (index) accesses.push(equalityAccess(index, expression, value));
    };

    if (query.tenant !== undefined) equal(FIELD.tenant, query.tenant, INDEX.tenant);
    if (query.thingGroup !== undefined) equal(FIELD.thingGroup, query.thingGroup, INDEX.thingGroup);
    if (query.deviceType !== undefined) equal(FIELD.deviceType, query.deviceType, INDEX.deviceType);
    const statuses = DEVICE_STATUSES.filter((s) => query.status.includes(s));
    if (statuses.length === 1) equal(FIELD.status, statuses[0] as string, INDEX.status);
    else if (statuses.length < DEVICE_STATUSES.length) {
      where.push(`${FIELD.status} IN (${statuses.map(() => '?').join(', ')})`);
      params.push(...statuses);
    }
    for (const [name, value] of Object.entries(query.attributes ?? {})) {
      if (!isSafeAttributeName(name)) {
        throw new DirectoryQueryError([
          { field: `attr.${name}`, rule: 'attribute-name', message: `attribute name ${JSON.stringify(name)} is not searchable.`, hint: 'Use only letters, digits, "_", "." and "-" in attribute names.' },
        ]);
      }
      if (indexedAttributes.has(name)) equal(attributeExpression(name), value, attributeIndexName(name));
      else {
        where.push('json_extract(row, ?) = ?');
        params.push(attributePath(name), value);
      }
    }

    const boxes: BoundingBox[] = [];
    if (query.bbox) boxes.push(query.bbox);
    if (query.near) boxes.push(boundingBoxOfRadius(query.near, query.near.radiusMeters));
    let minLat = -90;
    let maxLat = 90;
    for (const box of boxes) {
      where.push(`${FIELD.latitude} BETWEEN ? AND ?`);
      params.push(box.minLat, box.maxLat);
      const lon = lonClause(box);
      if (lon) {
        where.push(lon.sql);
        params.push(...lon.params);
      }
      minLat = Math.max(minLat, box.minLat);
      maxLat = Math.min(maxLat, box.maxLat);
    }
    if (boxes.length > 0) {
      accesses.push({
        index: INDEX.position,
        probeSql: `SELECT count(*) AS n FROM (SELECT 1 FROM projection_rows INDEXED BY ${INDEX.position} WHERE ${IN_DEVICES} AND ${FIELD.latitude} BETWEEN ? AND ? LIMIT ?)`,
        probeParams: [minLat, maxLat],
        ordered: false,
      });
    }
    return { where, params, accesses, empty: minLat > maxLat };
  };

  /**
   * The access that selects fewest entries. On a tie (typically both at the cap): for a radius
   * search the position index, which answers coordinates and status without reading rows; for a
   * name-ordered search an index that already walks in name order and can stop after one page.
   */
  const choose = (accesses: readonly Access[], near: boolean): Access | undefined => {
    let best: { access: Access; n: number } | undefined;
    for (const access of accesses) {
      const n = (prepared(access.probeSql).get(...access.probeParams, probeCap) as { n: number }).n;
      const better = near ? !access.ordered && best?.access.ordered === true : access.ordered && best?.access.ordered === false;
      if (!best || n < best.n || (n === best.n && better)) best = { access, n };
    }
    return best?.access;
  };

  /**
   * The page query and its parameters; `after` is the decoded cursor, `take` the rows to fetch.
   * Keys (and distances) are picked and sorted first, from index entries where the filters allow,
   * and only the page's rows are then read by primary key: a sort over thousands of candidates
   * then moves short keys, not whole JSON rows.
   */
  const pageQuery = (query: SearchQuery, p: Plan, access: Access | undefined, after: CursorPosition | undefined, take: number) => {
    const from = `projection_rows${access ? ` INDEXED BY ${access.index}` : ''}`;
    const filters = p.where.join(' AND ');
    // CROSS JOIN fixes the join order in SQLite: the page's keys on the outside, one primary-key
    // lookup each. Left to itself the planner may walk every device row and probe the keys instead.
    const rows = `CROSS JOIN projection_rows p ON p.projection = '${DEVICES_PROJECTION}' AND p.key = c.key`;
    if (query.near) {
      const { lat, lon, radiusMeters } = query.near;
      const page = after ? ' AND (d > ? OR (d = ? AND key > ?))' : '';
      const candidates = `SELECT key, ${DISTANCE} AS d FROM ${from} WHERE ${filters}`;
      return {
        sql: `SELECT p.key, p.row, c.d FROM (SELECT key, d FROM (${candidates}) WHERE d <= ?${page} ORDER BY d, key LIMIT ?) c ${rows} ORDER BY c.d, c.key`,
        params: [lat, lon, ...p.params, radiusMeters, ...(after ? [after.distance, after.distance, after.key] : []), take],
        count: {
          sql: `SELECT count(*) AS n FROM ${from} WHERE ${filters} AND ${DISTANCE} <= ?`,
          params: [...p.params, lat, lon, radiusMeters],
        },
      };
    }
    return {
      sql: `SELECT p.key, p.row FROM (SELECT key FROM ${from} WHERE ${filters}${after ? ' AND key > ?' : ''} ORDER BY key LIMIT ?) c ${rows} ORDER BY c.key`,
      params: [...p.params, ...(after ? [after.key] : []), take],
      count: { sql: `SELECT count(*) AS n FROM ${from} WHERE ${filters}`, params: p.params },
    };
  };

  type PageRow = { key: string; row: string; d?: number };

  /** One page query as planned for `query`; undefined when the plan shows nothing can match. */
  const build = (query: SearchQuery, after: CursorPosition | undefined, take: number) => {
    const p = plan(query);
    if (p.empty) return undefined;
    const access = choose(p.accesses, query.near !== undefined);
    return { access, ...pageQuery(query, p, access, after, take) };
  };

  /**
   * A radius page, found in growing rings: the nearest devices after the cursor usually lie just
   * beyond it, so a ring of FIRST_RING_METERS past the cursor is searched first and widened
   * fourfold until it yields a full page or reaches the asked radius. Each ring is an exact search
   * of its own radius, and a full page from a ring is the full search's page: every device it left
   * out lies farther than the ring, hence after every device it found.
   */
  const nearRows = (query: SearchQuery & { near: NonNullable<SearchQuery['near']> }, after: CursorPosition | undefined, take: number): PageRow[] => {
    const full = query.near.radiusMeters;
    let radius = Math.min(full, (after?.distance ?? 0) + FIRST_RING_METERS);
    for (;;) {
      const ring = radius >= full ? query : { ...query, near: { ...query.near, radiusMeters: radius } };
      const q = build(ring, after, take);
      const rows = q ? (prepared(q.sql).all(...q.params) as PageRow[]) : [];
      if (rows.length >= take || radius >= full) return rows;
      // A ring only saves work while it is the position index that narrows the search.
      radius = q && q.access?.index !== INDEX.position ? full : Math.min(full, radius * 4);
    }
  };

  const run = db.transaction((query: SearchQuery): DirectoryPage => {
    const fingerprint = searchFingerprint(query);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, fingerprint, query.near !== undefined);
    const take = query.limit + 1;
    let rows: PageRow[];
    if (query.near) rows = nearRows({ ...query, near: query.near }, after, take);
    else {
      const q = build(query, after, take);
      rows = q ? (prepared(q.sql).all(...q.params) as PageRow[]) : [];
    }
    const items: DirectoryItem[] = rows.slice(0, query.limit).map((r) => {
      const device = JSON.parse(r.row) as DeviceRow;
      return r.d === undefined ? device : { ...device, distanceMeters: r.d };
    });
    const last = rows[query.limit - 1];
    const nextCursor =
      rows.length > query.limit && last ? encodeCursor(fingerprint, last.d === undefined ? { key: last.key } : { key: last.key, distance: last.d }) : undefined;
    let total: number | undefined;
    if (!after) {
      const q = build(query, undefined, take);
      total = q ? (prepared(q.count.sql).get(...q.count.params) as { n: number }).n : 0;
    }
    return { items, ...(nextCursor === undefined ? {} : { nextCursor }), ...(total === undefined ? {} : { total }) };
  });

  const getRow = db.prepare<[string], { row: string }>(`SELECT row FROM projection_rows WHERE ${IN_DEVICES} AND key = ?`);

  return {
    search: (query) => Promise.resolve().then(() => run(query)),
    get: (thingName) =>
      Promise.resolve().then(() => {
        const found = getRow.get(thingName);
        return found ? (JSON.parse(found.row) as DeviceRow) : undefined;
      }),
    explain(query) {
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, searchFingerprint(query), query.near !== undefined);
      const q = build(query, after, query.limit + 1);
      if (!q) return ['(nothing can match: no query runs)'];
      return (db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.params) as { detail: string }[]).map((r) => r.detail);
    },
  };
};
