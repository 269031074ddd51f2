import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StoredEvent } from '../../events/envelope.ts';
import { upcast, UnknownEventError } from '../../events/upcasting.ts';
import type { EventStore } from '../eventStore/eventStore.ts';
import { createDynamoProjector, type ProjectionTable, type RowFailure } from './dynamoProjectionTables.ts';

/**
 * Backfills one projection table on DynamoDB from the whole event store (AWS has no checkpointed
 * engine, ADR 0002): readAll in store order, page by page, each page folded by the very projector
 * the stream Lambda runs. Its per-row stream markers skip every event a row already holds and its
 * writes are conditional on the row's revision, so a rebuild may run beside the stream projector,
 * be cut off anywhere, resume from any cursor it returned, or run again: each event is folded into
 * each row once.
 *
 * What it cannot do is recompute rows that already hold events (markers skip them): after a change
 * to a projection's code, deploy it with a new, empty table and backfill that (infra/cdk/README.md).
 */

export interface DynamoRebuildOptions {
  readonly events: Pick<EventStore, 'readAll'>;
  readonly client: DynamoDBDocumentClient;
  readonly table: ProjectionTable;
  /** Events read and folded per page; one page is the unit of progress a cursor records. */
  readonly pageSize?: number;
  /** Attempts at a page whose row writes lost a race (another projector wrote the row meanwhile). */
  readonly maxAttempts?: number;
  /** Waits between those attempts; tests pass a short one. */
  readonly retryDelayMs?: number;
}

export interface RebuildRunInput {
  /** A cursor a previous run returned; omit to start at the first event of the store. */
  readonly cursor?: string | undefined;
  /** Asked before each page after the first: false ends the run with a cursor to continue from. */
  readonly hasTimeForPage?: () => boolean;
}

export interface RebuildProgress {
  /** The projection's name (events/projections). */
  readonly projection: string;
  /** Pass back as `cursor` to continue; undefined only when the store holds no event at all. */
  readonly cursor: string | undefined;
  /** True once the run reached the end of the store. */
  readonly done: boolean;
  readonly pages: number;
  readonly eventsRead: number;
  /** Row writes (a row touched by two pages counts twice). */
  readonly rowsWritten: number;
  /** Rows a page touched that already held all of its events: nothing was written. */
  readonly rowsUnchanged: number;
  /** Events of unknown type or version: skipped, as the stream projector and the SQLite engine do. */
  readonly unreadable: number;
}

/** A page could not be folded; the run stopped and this cursor resumes at that page. */
export class RebuildInterruptedError extends Error {
  override name = 'RebuildInterruptedError';
  constructor(
    readonly projection: string,
    readonly resumeCursor: string | undefined,
    readonly progress: RebuildProgress,
    cause: Error,
  ) {
    super(
      `Rebuilding ${projection} stopped after ${progress.eventsRead} events: ${cause.message}. ` +
        `Nothing folded so far is lost; invoke again with cursor ${resumeCursor === undefined ? '(none: start over)' : JSON.stringify(resumeCursor)} to continue.`,
      { cause },
    );
  }
}

export const DEFAULT_REBUILD_PAGE_SIZE = 500;

/** Row keys of the table's projection that these events touch (what a page could write at most). */
const touchedKeys = (table: ProjectionTable, events: readonly StoredEvent[]): Set<string> => {
  const p = table.projection;
  const handled = new Set<string>(p.handles);
  const keys = new Set<string>();
  for (const stored of events) {
    if (!handled.has(stored.type)) continue;
    try {
      for (const key of p.keys(upcast(stored))) keys.add(key);
    } catch (error) {
      if (!(error instanceof UnknownEventError)) throw error;
    }
  }
  return keys;
};

export const createDynamoRebuild = (options: DynamoRebuildOptions) => {
  const pageSize = options.pageSize ?? DEFAULT_REBUILD_PAGE_SIZE;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
    throw new Error(`Rebuild page size ${String(pageSize)} must be a whole number from 1 to 1000 (readAll's limit).`);
  }
  const maxAttempts = options.maxAttempts ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 200;
  const projector = createDynamoProjector({ client: options.client, tables: [options.table] });
  const name = options.table.projection.name;

  /** Folds one page until every row it touches holds it; what was written, per attempt summed. */
  const foldPage = async (events: readonly StoredEvent[]) => {
    let written = 0;
    let failures: readonly RowFailure[] = [];
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) await new Promise((r) => setTimeout(r, retryDelayMs * attempt));
      const result = await projector.project(events);
      written += result.rowsWritten;
      failures = result.failures;
      // A lost race leaves the row to the other writer; the next attempt re-reads it and its markers.
      if (failures.length === 0) return { written, unreadable: result.unreadable };
    }
    const f = failures[0]!;
    throw new Error(`row ${f.key} was not written after ${maxAttempts} attempts (${f.error.name}: ${f.error.message})`);
  };

  return async (input: RebuildRunInput = {}): Promise<RebuildProgress> => {
    let cursor = input.cursor;
    let pages = 0;
    let eventsRead = 0;
    let rowsWritten = 0;
    let rowsUnchanged = 0;
    let unreadable = 0;
    const progress = (done: boolean): RebuildProgress => ({ projection: name, cursor, done, pages, eventsRead, rowsWritten, rowsUnchanged, unreadable });
    for (;;) {
      if (pages > 0 && input.hasTimeForPage && !input.hasTimeForPage()) return progress(false);
      let page;
      try {
        page = await options.events.readAll({ after: cursor, limit: pageSize });
        if (page.events.length === 0) return progress(true);
        const touched = touchedKeys(options.table, page.events);
        const folded = await foldPage(page.events);
        rowsWritten += folded.written;
        rowsUnchanged += Math.max(0, touched.size - folded.written);
        unreadable += folded.unreadable;
      } catch (error) {
        throw new RebuildInterruptedError(name, cursor, progress(false), error instanceof Error ? error : new Error(String(error)));
      }
      pages++;
      eventsRead += page.events.length;
      cursor = page.cursor;
      if (page.events.length < pageSize) return progress(true);
    }
  };
};

export type DynamoRebuild = ReturnType<typeof createDynamoRebuild>;
