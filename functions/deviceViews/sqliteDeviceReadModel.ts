import type { Statement } from 'better-sqlite3';
import type { AlarmRow } from '../../events/projections/alarms.ts';
import { alarmsProjection } from '../../events/projections/alarms.ts';
import type { DeviceStateRow } from '../../events/projections/deviceState.ts';
import { deviceStateProjection } from '../../events/projections/deviceState.ts';
import type { RejectionRow } from '../../events/projections/rejections.ts';
import { rejectionsProjection } from '../../events/projections/rejections.ts';
import type { SqliteDatabase } from '../eventStore/sqliteDatabase.ts';
import { storedEventFromRow, type EventRow } from '../eventStore/sqliteEventStore.ts';
import { rejectedPayloadOf } from './rejectedPayload.ts';
import type { AlarmPageRequest, AlarmStatusFilter, DeviceReadModel, Page, RejectedPayload, RejectionPageRequest } from './deviceReadModel.ts';

/**
 * The device views over SQLite: projection rows in `projection_rows` (the projection store's table)
 * and, for rejected payloads, the events table by event id (its unique index).
 *
 * Rejections are listed newest first and filtered by device or stage, so they get partial
 * expression indexes as the device directory's are (functions/directory/sqliteDirectoryIndexes.ts):
 * each keyed by its filter, then the time, then the key, so a page is one backwards index walk that
 * stops after `limit + 1` entries. SQLite only uses such an index when the query spells the
 * expression and the partial predicate exactly as the index does, hence the shared constants and
 * the projection name as a literal. Alarms need no index: a device's alarms are a key range
 * (`thingName/alarmId`) of the primary key.
 */

const IN_REJECTIONS = `projection = '${rejectionsProjection.name}'`;
const RECEIVED_AT = "json_extract(row, '$.receivedAt')";
const THING = "json_extract(row, '$.thingName')";
const STAGE = "json_extract(row, '$.stage')";

export const REJECTION_INDEX = Object.freeze({
  byTime: 'device_views_rejections_by_time',
  byThing: 'device_views_rejections_by_thing',
  byStage: 'device_views_rejections_by_stage',
});

const ensureIndexes = (db: SqliteDatabase): void => {
  const table = db.prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = 'projection_rows'").get();
  if (!table) {
    throw new Error('The device views read the projection store\'s table "projection_rows", which this database does not have yet: create the projection store (createSqliteProjectionStore) on it first.');
  }
  db.transaction(() => {
    db.exec(`CREATE INDEX IF NOT EXISTS ${REJECTION_INDEX.byTime} ON projection_rows (${RECEIVED_AT}, key) WHERE ${IN_REJECTIONS}`);
    db.exec(`CREATE INDEX IF NOT EXISTS ${REJECTION_INDEX.byThing} ON projection_rows (${THING}, ${RECEIVED_AT}, key) WHERE ${IN_REJECTIONS}`);
    db.exec(`CREATE INDEX IF NOT EXISTS ${REJECTION_INDEX.byStage} ON projection_rows (${STAGE}, ${RECEIVED_AT}, key) WHERE ${IN_REJECTIONS}`);
  })();
};

const ALARM_FILTER: Readonly<Record<AlarmStatusFilter, string>> = {
  active: "AND json_extract(row, '$.state') = 'active'",
  cleared: "AND json_extract(row, '$.state') = 'cleared'",
  acknowledged: "AND json_extract(row, '$.acknowledged') IS NOT NULL",
  all: '',
};

/**
 * The character after "/" in code-unit order: every key `thingName/...` sorts below `thingName0`.
 * Thing names cannot contain "/", so the range holds exactly one device's alarms.
 */
const AFTER_SLASH = String.fromCharCode('/'.charCodeAt(0) + 1);

const pageOf = <T>(rows: readonly { row: string }[], limit: number): Page<T> => ({
  items: rows.slice(0, limit).map((r) => JSON.parse(r.row) as T),
  more: rows.length > limit,
});

export const createSqliteDeviceReadModel = (db: SqliteDatabase): DeviceReadModel & { explainRejections(request: RejectionPageRequest): string[] } => {
  ensureIndexes(db);
  const stateRow = db.prepare<[string, string], { row: string }>('SELECT row FROM projection_rows WHERE projection = ? AND key = ?');
  const alarmStatements = Object.fromEntries(
    Object.entries(ALARM_FILTER).map(([status, filter]) => [
      status,
      db.prepare<[string, string, string, number], { row: string }>(
        `SELECT row FROM projection_rows WHERE projection = ? AND key > ? AND key < ? ${filter} ORDER BY key LIMIT ?`,
      ),
    ]),
  ) as Record<AlarmStatusFilter, Statement<[string, string, string, number], { row: string }>>;
  const eventById = db.prepare<[string], EventRow>(
    'SELECT * FROM events WHERE event_id = ?',
  );

  /** The SQL of a rejections page; the same text for a given combination of filters, so statements are cached. */
  const rejectionSql = (request: RejectionPageRequest): { sql: string; params: unknown[] } => {
    const where = [IN_REJECTIONS];
    const params: unknown[] = [];
    let index: string = REJECTION_INDEX.byTime;
    if (request.thingName !== undefined) {
      index = REJECTION_INDEX.byThing;
      where.push(`${THING} = ?`);
      params.push(request.thingName);
    }
    if (request.stage !== undefined) {
      if (request.thingName === undefined) index = REJECTION_INDEX.byStage;
      where.push(`${STAGE} = ?`);
      params.push(request.stage);
    }
    if (request.after) {
      where.push(`(${RECEIVED_AT}, key) < (?, ?)`);
      params.push(request.after.receivedAt, request.after.eventId);
    }
    params.push(request.limit + 1);
    return { sql: `SELECT row FROM projection_rows INDEXED BY ${index} WHERE ${where.join(' AND ')} ORDER BY ${RECEIVED_AT} DESC, key DESC LIMIT ?`, params };
  };
  const statements = new Map<string, Statement<unknown[], { row: string }>>();
  const prepared = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare<unknown[], { row: string }>(sql);
      statements.set(sql, statement);
    }
    return statement;
  };

  const readPayload = (eventId: string): RejectedPayload | undefined => {
    const r = eventById.get(eventId);
    return r ? rejectedPayloadOf(storedEventFromRow(r)) : undefined;
  };

  return {
    deviceState(thingName) {
      const r = stateRow.get(deviceStateProjection.name, thingName);
      return Promise.resolve(r ? (JSON.parse(r.row) as DeviceStateRow) : undefined);
    },
    alarms(request: AlarmPageRequest) {
      const prefix = `${request.thingName}/`;
      const lower = request.afterAlarmId === undefined ? prefix : prefix + request.afterAlarmId;
      const rows = alarmStatements[request.status].all(alarmsProjection.name, lower, request.thingName + AFTER_SLASH, request.limit + 1);
      return Promise.resolve(pageOf<AlarmRow>(rows, request.limit));
    },
    rejections(request: RejectionPageRequest) {
      const { sql, params } = rejectionSql(request);
      return Promise.resolve(pageOf<RejectionRow>(prepared(sql).all(...params), request.limit));
    },
    rejectedPayloads(eventIds) {
      const found = new Map<string, RejectedPayload>();
      for (const id of eventIds) {
        const payload = readPayload(id);
        if (payload) found.set(id, payload);
      }
      return Promise.resolve(found);
    },
    explainRejections(request) {
      const { sql, params } = rejectionSql(request);
      return db
        .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...params)
        .map((r) => r.detail);
    },
  };
};
