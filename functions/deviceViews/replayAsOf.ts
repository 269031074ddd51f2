import type { DomainEvent, EventType } from '../../events/catalog/index.ts';
import type { StoredEvent } from '../../events/envelope.ts';
import { foldProjection, type Projection } from '../../events/projections/projection.ts';
import { upcast, UnknownEventError } from '../../events/upcasting.ts';
import type { EventStore } from '../eventStore/eventStore.ts';


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
    foldProjection(projection, readable(taken, handled, skipped), rows);
    const last = taken.at(-1);
    if (last) {
      position = last.streamPosition;
      recordedAt = last.recordedAt;
    }
    if (cut !== -1 || page.length < pageSize) break;
  }
  return { row: rows.get(key), position, recordedAt, unreadable: skipped.count };
};
