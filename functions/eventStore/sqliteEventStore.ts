import type { Actor, NewEvent, StoredEvent } from '../../events/envelope.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import type { SqliteDatabase } from './sqliteDatabase.ts';
import {
  EventIdInOtherStreamError,
  EventStoreError,
  PartialDuplicateError,
  WrongExpectedVersionError,
  validateAppend,
  type AppendRequest,
  type AppendResult,
  type BatchAppendOutcome,
  type EventStore,
  type ReadAllOptions,
  type ReadAllPage,
  type ReadStreamOptions,
} from './eventStore.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  global_position INTEGER PRIMARY KEY,
  stream_id       TEXT    NOT NULL,
  stream_position INTEGER NOT NULL,
  event_id        TEXT    NOT NULL,
  type            TEXT    NOT NULL,
  type_version    INTEGER NOT NULL,
  recorded_at     TEXT    NOT NULL,
  correlation_id  TEXT,
  causation_id    TEXT,
  actor           TEXT    NOT NULL,
  data            TEXT    NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_stream ON events (stream_id, stream_position);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_id ON events (event_id);
`;

/** A row of the `events` table as better-sqlite3 returns it. */
export interface EventRow {
  global_position: number;
  stream_id: string;
  stream_position: number;
  event_id: string;
  type: string;
  type_version: number;
  recorded_at: string;
  correlation_id: string | null;
  causation_id: string | null;
  actor: string;
  data: string;
}

/** The stored event a row of the `events` table holds (other readers of the table use it too). */
export const storedEventFromRow = (r: EventRow): StoredEvent => ({
  eventId: r.event_id,
  streamId: r.stream_id,
  streamPosition: r.stream_position,
  globalPosition: r.global_position,
  type: r.type,
  typeVersion: r.type_version,
  recordedAt: r.recorded_at,
  actor: JSON.parse(r.actor) as Actor,
  data: JSON.parse(r.data) as unknown,
  ...(r.correlation_id === null ? {} : { correlationId: r.correlation_id }),
  ...(r.causation_id === null ? {} : { causationId: r.causation_id }),
});

const isUniqueViolation = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';

export interface SqliteEventStore extends EventStore {
  /** Called after every commit that stored events, with the highest global position written. */
  onAppended(listener: (lastGlobalPosition: number) => void): () => void;
  headPosition(): number;
}

/**
 * The embedded event store: one SQLite file, WAL, a rowid table whose rowid is the global
 * position, and unique indexes on (stream, position) and event id (ADR 0001).
 *
 * Appends are optimistic: the stream version comes from an in-memory cache (this process is the
 * only writer) and the unique indexes are the referee. A unique violation on the event id means a
 * redelivery, on the position a stale cache; both are resolved by reading the truth and deciding.
 */
export const createSqliteEventStore = (db: SqliteDatabase, clock: Clock = systemClock): SqliteEventStore => {
  db.exec(SCHEMA);
  const insert = db.prepare(
    `INSERT INTO events (stream_id, stream_position, event_id, type, type_version, recorded_at, correlation_id, causation_id, actor, data)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const versionOf = db.prepare<[string], { v: number | null }>('SELECT MAX(stream_position) AS v FROM events WHERE stream_id = ?');
  const byId = db.prepare<[string], EventRow>('SELECT * FROM events WHERE event_id = ?');
  const forwards = db.prepare<[string, number, number], EventRow>(
    'SELECT * FROM events WHERE stream_id = ? AND stream_position >= ? ORDER BY stream_position ASC LIMIT ?',
  );
  const backwards = db.prepare<[string, number, number], EventRow>(
    'SELECT * FROM events WHERE stream_id = ? AND stream_position <= ? ORDER BY stream_position DESC LIMIT ?',
  );
  const all = db.prepare<[number, number], EventRow>('SELECT * FROM events WHERE global_position > ? ORDER BY global_position ASC LIMIT ?');
  const head = db.prepare<[], { p: number | null }>('SELECT MAX(global_position) AS p FROM events');

  // Stream versions known to this process. `staged` holds versions written by the open
  // transaction and is merged only after it commits, so a rollback cannot poison the cache.
  const versions = new Map<string, number>();
  let staged = new Map<string, number>();
  const listeners = new Set<(p: number) => void>();
  let lastGlobal = head.get()?.p ?? 0;

  const currentVersion = (streamId: string, fresh = false): number => {
    if (!fresh) {
      const known = staged.get(streamId) ?? versions.get(streamId);
      if (known !== undefined) return known;
    }
    const v = versionOf.get(streamId)?.v ?? 0;
    versions.set(streamId, v);
    return v;
  };

  const duplicateOutcome = (request: AppendRequest): AppendResult | undefined => {
    const stored = request.events.map((e) => byId.get(e.eventId));
    const found = stored.filter((r): r is EventRow => r !== undefined);
    if (found.length === 0) return undefined;
    const elsewhere = found.find((r) => r.stream_id !== request.streamId);
    if (elsewhere) throw new EventIdInOtherStreamError(elsewhere.event_id, request.streamId, elsewhere.stream_id);
    if (found.length < request.events.length) {
      throw new PartialDuplicateError(
        request.streamId,
        found.map((r) => r.event_id),
      );
    }
    const events = found.map(storedEventFromRow);
    return { streamId: request.streamId, status: 'duplicate', nextExpectedVersion: Math.max(...events.map((e) => e.streamPosition)), events };
  };

  const insertAll = (request: AppendRequest, data: readonly string[], from: number, recordedAt: string): StoredEvent[] =>
    request.events.map((e: NewEvent, i) => {
      const position = from + i + 1;
      const info = insert.run(
        request.streamId,
        position,
        e.eventId,
        e.type,
        e.typeVersion,
        recordedAt,
        e.correlationId ?? null,
        e.causationId ?? null,
        JSON.stringify(e.actor),
        data[i],
      );
      return { ...e, streamId: request.streamId, streamPosition: position, globalPosition: Number(info.lastInsertRowid), recordedAt };
    });

  // Several inserts need a savepoint so a failure undoes only this request; one insert is atomic alone.
  const insertAllSavepoint = db.transaction(insertAll);

  /** One request inside an open transaction. */
  const appendOne = (request: AppendRequest, data: readonly string[], recordedAt: string): AppendResult => {
    for (let attempt = 0; ; attempt++) {
      const version = currentVersion(request.streamId, attempt > 0);
      if (request.expectedVersion !== 'any' && request.expectedVersion !== version) {
        const dup = duplicateOutcome(request);
        if (dup) return dup;
        if (attempt === 0) continue; // the cache may be stale: check against the table once
        throw new WrongExpectedVersionError(request.streamId, request.expectedVersion, version);
      }
      try {
        const events =
          request.events.length === 1 ? insertAll(request, data, version, recordedAt) : insertAllSavepoint(request, data, version, recordedAt);
        staged.set(request.streamId, version + events.length);
        return { streamId: request.streamId, status: 'appended', nextExpectedVersion: version + events.length, events };
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        const dup = duplicateOutcome(request);
        if (dup) return dup;
        if (attempt > 0) throw err; // a position clash against a fresh version cannot happen twice
      }
    }
  };

  const commit = <T>(work: () => T): T => {
    staged = new Map();
    try {
      const result = db.transaction(work).immediate();
      for (const [s, v] of staged) versions.set(s, v);
      return result;
    } finally {
      staged = new Map();
    }
  };

  const notify = () => {
    const p = head.get()?.p ?? 0;
    if (p <= lastGlobal) return;
    lastGlobal = p;
    for (const l of listeners) l(p);
  };

  const append = (request: AppendRequest): AppendResult => {
    const data = validateAppend(request);
    const result = commit(() => appendOne(request, data, clock.now().toISOString()));
    if (result.status === 'appended') notify();
    return result;
  };

  const appendBatch = (requests: readonly AppendRequest[]): BatchAppendOutcome[] => {
    const recordedAt = clock.now().toISOString();
    const outcomes = commit(() =>
      requests.map((request): BatchAppendOutcome => {
        try {
          return { ok: true, result: appendOne(request, validateAppend(request), recordedAt) };
        } catch (error) {
          if (error instanceof EventStoreError) return { ok: false, error };
          throw error;
        }
      }),
    );
    if (outcomes.some((o) => o.ok && o.result.status === 'appended')) notify();
    return outcomes;
  };

  const readStream = (streamId: string, options: ReadStreamOptions = {}): StoredEvent[] => {
    const limit = options.limit ?? Number.MAX_SAFE_INTEGER;
    const rows =
      options.direction === 'backwards'
        ? backwards.all(streamId, options.from ?? Number.MAX_SAFE_INTEGER, limit)
        : forwards.all(streamId, options.from ?? 1, limit);
    return rows.map(storedEventFromRow);
  };

  const readAll = (options: ReadAllOptions = {}): ReadAllPage => {
    const after = options.after === undefined ? 0 : Number(options.after);
    if (!Number.isInteger(after) || after < 0) {
      throw new EventStoreError(`Cursor "${options.after}" is not one this store issued: pass the cursor from a previous page, or none.`);
    }
    const events = all.all(after, options.limit ?? 1000).map(storedEventFromRow);
    const last = events.at(-1)?.globalPosition;
    return { events, cursor: last === undefined ? options.after : String(last) };
  };

  return {
    append: (r) => Promise.resolve().then(() => append(r)),
    appendBatch: (rs) => Promise.resolve().then(() => appendBatch(rs)),
    readStream: (s, o) => Promise.resolve().then(() => readStream(s, o)),
    readAll: (o) => Promise.resolve().then(() => readAll(o)),
    streamVersion: (s) => Promise.resolve().then(() => currentVersion(s, true)),
    onAppended(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    headPosition: () => lastGlobal,
    close: () => Promise.resolve(),
  };
};
