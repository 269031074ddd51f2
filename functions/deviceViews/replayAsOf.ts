import type { DomainEvent, EventType } from '../../events/catalog/index.ts';
import type { StoredEvent } from '../../events/envelope.ts';
import type { EventOf, Projection } from '../../events/projections/projection.ts';
import { upcast, UnknownEventError } from '../../events/upcasting.ts';
import type { EventStore } from '../eventStore/eventStore.ts';

/**
 * `foldProjection` (events/projections/projection.ts) continued across pages: folds `events` into
 * `rows`, which carry over from the previous page. The same rules: only handled types, every key an
 * event names, `undefined` deletes. Kept here rather than reading a whole stream into one iterable,
 * so a replay holds one page of events at a time.
 */
export const foldInto = <Row, T extends EventType>(projection: Projection<Row, T>, rows: Map<string, Row>, events: Iterable<DomainEvent>): Map<string, Row> => {
  const handled = new Set<string>(projection.handles);
  for (const event of events) {
    if (!handled.has(event.type)) continue;
    const e = event as EventOf<T>;
    for (const key of projection.keys(e)) {
      const next = projection.apply(rows.get(key), e, key);
      if (next === undefined) rows.delete(key);
      else rows.set(key, next);
    }
  }
  return rows;
};

/** Events no projection can read are skipped by the projection engine; a replay skips them too. */
const readable = (events: readonly StoredEvent[], handled: ReadonlySet<string>, skipped: { count: number }): DomainEvent[] =>
  events.flatMap((stored) => {
    if (!handled.has(stored.type)) return [];
    try {
      return [upcast(stored)];
    } catch (err) {
      if (!(err instanceof UnknownEventError)) throw err;
      skipped.count++;
      return [];
    }
  });

export interface ReplayedRow<Row> {
  readonly row: Row | undefined;
  /** The stream position of the last event folded (0: none). */
  readonly position: number;
  /** When the store recorded that event. */
  readonly recordedAt?: string | undefined;
  /** Events of handled types that could not be read (unknown version), skipped as the engine skips them. */
  readonly unreadable: number;
}

export const REPLAY_PAGE_SIZE = 500;

/**
 * One projection row as it stood at `atMs`: a fold of the stream's events recorded at or before
 * that instant, read page by page from the start. The stream is cut at its first event recorded
 * later: positions are the order in which the store took events, so the events before the cut are
 * exactly what the live projection had seen by then.
 */
export const replayRowAsOf = async <Row, T extends EventType>(
  events: Pick<EventStore, 'readStream'>,
  streamId: string,
  projection: Projection<Row, T>,
  key: string,
  atMs: number,
  pageSize = REPLAY_PAGE_SIZE,
): Promise<ReplayedRow<Row>> => {
  const handled = new Set<string>(projection.handles);
  const rows = new Map<string, Row>();
  const skipped = { count: 0 };
  let position = 0;
  let recordedAt: string | undefined;
  for (;;) {
    const page = await events.readStream(streamId, { from: position + 1, limit: pageSize });
    const cut = page.findIndex((e) => Date.parse(e.recordedAt) > atMs);
    const taken = cut === -1 ? page : page.slice(0, cut);
    foldInto(projection, rows, readable(taken, handled, skipped));
    const last = taken.at(-1);
    if (last) {
      position = last.streamPosition;
      recordedAt = last.recordedAt;
    }
    if (cut !== -1 || page.length < pageSize) break;
  }
  return { row: rows.get(key), position, recordedAt, unreadable: skipped.count };
};
