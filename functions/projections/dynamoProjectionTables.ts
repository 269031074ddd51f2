import { BatchGetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DomainEvent } from '../../events/catalog/index.ts';
import type { StoredEvent } from '../../events/envelope.ts';
import type { AnyProjection } from '../../events/projections/projection.ts';
import { upcast, UnknownEventError } from '../../events/upcasting.ts';

/**
 * Projection rows on DynamoDB, fed by the event store's stream (ADR 0002: there is no global
 * position on AWS, so the SQLite engine's checkpoint cannot be used). One table per projection,
 * one item per row key:
 *
 * - `pk`: the row key the projection's `keys()` gives; `row`: the row as JSON (absent once the
 *   projection deleted it: the item stays as a tombstone so the markers below survive);
 * - `applied`: JSON `{ streamId: last position folded }`. The stream delivers at least once and a
 *   batch is retried from its first failed record, so an event can come again; a row skips events
 *   at or below its marker for their stream, which makes every fold exactly once per row;
 * - `rev`: bumped by every write, which is conditional on the rev that was read: two projectors
 *   folding into one row (streams on different shards) cannot overwrite each other;
 * - `pv`: the projection's version the row was folded with (a rebuild tool compares it);
 * - index attributes chosen per projection (below), copied from the row for the tables' GSIs.
 */
export interface ProjectionTable {
  readonly projection: AnyProjection;
  readonly tableName: string;
  /** Top-level attributes for the table's indexes (the row itself is opaque JSON). */
  readonly indexAttributes?: (row: unknown) => Record<string, string | number | undefined>;
}

export interface RowFailure {
  readonly projection: string;
  readonly key: string;
  /** Index (in the events given) of the first event this row took in the failed write. */
  readonly firstEvent: number;
  readonly error: Error;
}

export interface ProjectResult {
  readonly rowsWritten: number;
  /** Events no projection can read (unknown type or version): skipped, as the SQLite engine does. */
  readonly unreadable: number;
  readonly failures: readonly RowFailure[];
}

interface LoadedRow {
  row: unknown;
  applied: Record<string, number>;
  rev: number | undefined;
  dirty: boolean;
  firstEvent: number;
}

const BATCH_GET_LIMIT = 100;

const parseJson = (text: unknown, what: string): unknown => {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${what} holds text that is not JSON: the item was not written by this adapter; delete it and rebuild the projection`);
  }
};

export const createDynamoProjector = (deps: { readonly client: DynamoDBDocumentClient; readonly tables: readonly ProjectionTable[] }) => {
  const names = new Set<string>();
  for (const t of deps.tables) {
    if (names.has(t.projection.name)) throw new Error(`Two projection tables are given for "${t.projection.name}": give each projection one table.`);
    names.add(t.projection.name);
  }

  const loadRows = async (table: ProjectionTable, keys: readonly string[]): Promise<Map<string, LoadedRow>> => {
    const rows = new Map<string, LoadedRow>();
    for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) {
      let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> | undefined = {
        [table.tableName]: { Keys: keys.slice(i, i + BATCH_GET_LIMIT).map((pk) => ({ pk })), ConsistentRead: true },
      };
      for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
        if (attempt > 8) throw new Error(`DynamoDB kept ${table.tableName} keys unprocessed after ${attempt} BatchGetItem calls: the table is throttled; the batch is retried`);
        const out = await deps.client.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of out.Responses?.[table.tableName] ?? []) {
          const key = String(item.pk);
          rows.set(key, {
            row: parseJson(item.row, `${table.tableName} row ${key}`),
            applied: (parseJson(item.applied, `${table.tableName} markers of ${key}`) as Record<string, number> | undefined) ?? {},
            rev: typeof item.rev === 'number' ? item.rev : Number(item.rev),
            dirty: false,
            firstEvent: -1,
          });
        }
        request = out.UnprocessedKeys as typeof request;
      }
    }
    for (const key of keys) if (!rows.has(key)) rows.set(key, { row: undefined, applied: {}, rev: undefined, dirty: false, firstEvent: -1 });
    return rows;
  };

  const writeRow = async (table: ProjectionTable, key: string, loaded: LoadedRow) => {
    const rev = (loaded.rev ?? 0) + 1;
    const index = loaded.row === undefined ? {} : (table.indexAttributes?.(loaded.row) ?? {});
    const item: Record<string, unknown> = {
      pk: key,
      applied: JSON.stringify(loaded.applied),
      rev,
      pv: table.projection.version,
      ...Object.fromEntries(Object.entries(index).filter(([, v]) => v !== undefined && v !== '')),
    };
    if (loaded.row !== undefined) item.row = JSON.stringify(loaded.row);
    await deps.client.send(
      new PutCommand({
        TableName: table.tableName,
        Item: item,
        ...(loaded.rev === undefined
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: '#rev = :rev', ExpressionAttributeNames: { '#rev': 'rev' }, ExpressionAttributeValues: { ':rev': loaded.rev } }),
      }),
    );
  };

  return {
    /**
     * Folds these events, in the order given, into every projection that handles them, and writes
     * each changed row once. A row whose write fails is reported with the first event it took, so
     * the caller can have the batch retried from there; rows written stay written (their markers
     * make the retry skip what they already hold).
     */
    async project(events: readonly StoredEvent[]): Promise<ProjectResult> {
      let unreadable = 0;
      const decoded: (DomainEvent | undefined)[] = events.map((e) => {
        try {
          return upcast(e);
        } catch (error) {
          if (!(error instanceof UnknownEventError)) throw error;
          unreadable++;
          return undefined;
        }
      });

      let rowsWritten = 0;
      const failures: RowFailure[] = [];
      for (const table of deps.tables) {
        const p = table.projection;
        const handled = new Set<string>(p.handles);
        const touched: { index: number; event: DomainEvent; keys: readonly string[] }[] = [];
        decoded.forEach((event, index) => {
          if (event && handled.has(event.type)) touched.push({ index, event, keys: p.keys(event) });
        });
        const keys = [...new Set(touched.flatMap((t) => t.keys))];
        if (keys.length === 0) continue;
        const rows = await loadRows(table, keys);
        for (const { index, event, keys: eventKeys } of touched) {
          for (const key of eventKeys) {
            const loaded = rows.get(key)!;
            if ((loaded.applied[event.streamId] ?? 0) >= event.streamPosition) continue;
            loaded.row = p.apply(loaded.row, event, key);
            loaded.applied = { ...loaded.applied, [event.streamId]: event.streamPosition };
            if (!loaded.dirty) loaded.firstEvent = index;
            loaded.dirty = true;
          }
        }
        for (const [key, loaded] of rows) {
          if (!loaded.dirty) continue;
          try {
            await writeRow(table, key, loaded);
            rowsWritten++;
          } catch (error) {
            failures.push({ projection: p.name, key, firstEvent: loaded.firstEvent, error: error instanceof Error ? error : new Error(String(error)) });
          }
        }
      }
      return { rowsWritten, unreadable, failures };
    },
  };
};

export type DynamoProjector = ReturnType<typeof createDynamoProjector>;
