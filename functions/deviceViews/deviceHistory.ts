import { streamIdFor, type StoredEvent } from '../../events/envelope.ts';
import { upcast, UnknownEventError } from '../../events/upcasting.ts';
import type { EventStore } from '../eventStore/eventStore.ts';

/**
 * A device's history: its stream, upcast, one page at a time in either direction.
 *
 * `from`/`to` are times the store recorded events. The store stamps events as it takes them, so a
 * stream's recorded times do not decrease along its positions, and a time window is a position
 * range found by binary search (a few one-event reads) rather than a scan. Type filters are
 * applied while reading, within a budget of events examined per request: a page may come back
 * with fewer items than `limit` (even none) and still carry a cursor, exactly as a DynamoDB query
 * with a filter does. The end of the history is the page without a cursor.
 */

export type Direction = 'forwards' | 'backwards';

export interface HistoryRequest {
  readonly thingName: string;
  readonly limit: number;
  readonly direction: Direction;
  /** Keep only these event types (as stored; upcasting keeps the type). */
  readonly types?: readonly string[] | undefined;
  /** Recorded at or after (epoch ms). */
  readonly fromMs?: number | undefined;
  /** Recorded before (epoch ms). */
  readonly toMs?: number | undefined;
  /** The stream position to start at (inclusive), from the previous page's cursor. */
  readonly start?: number | undefined;
}

/** A stored event as the history shows it: upcast to the current version of its type. */
export type HistoryItem = StoredEvent & {
  /** The version the event was stored in, when upcasting lifted it. */
  readonly upcastFrom?: number;
  /** Set when the event cannot be read at all (unknown type, a newer version): it is shown as stored. */
  readonly unreadable?: string;
};

export interface HistoryPage {
  readonly items: readonly HistoryItem[];
  /** The position the next page starts at; absent when the history (within from/to) is exhausted. */
  readonly next?: number | undefined;
}

export interface HistoryOptions {
  /** Events examined per request when a type filter skips some. */
  readonly scanBudget?: number;
  /** Events read per store call while filtering. */
  readonly chunkSize?: number;
}

export const HISTORY_SCAN_BUDGET = 2000;
const CHUNK_SIZE = 500;

export const historyItem = (stored: StoredEvent): HistoryItem => {
  try {
    const event = upcast(stored);
    return event.typeVersion === stored.typeVersion ? event : { ...event, upcastFrom: stored.typeVersion };
  } catch (err) {
    if (!(err instanceof UnknownEventError)) throw err;
    return { ...stored, unreadable: err.message };
  }
};

/** The smallest position in [1, version] recorded at or after `ms`; version + 1 when none is. */
const firstRecordedAtOrAfter = async (events: Pick<EventStore, 'readStream'>, streamId: string, version: number, ms: number): Promise<number> => {
  let lo = 1;
  let hi = version + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const [event] = await events.readStream(streamId, { from: mid, limit: 1 });
    if (!event || Date.parse(event.recordedAt) >= ms) hi = mid;
    else lo = mid + 1;
  }
  return lo;
};

/** A page of the device's history, or undefined when the device has no stream at all. */
export const readHistory = async (
  events: Pick<EventStore, 'readStream' | 'streamVersion'>,
  request: HistoryRequest,
  options: HistoryOptions = {},
): Promise<HistoryPage | undefined> => {
  const budget = options.scanBudget ?? HISTORY_SCAN_BUDGET;
  const chunk = options.chunkSize ?? CHUNK_SIZE;
  const streamId = streamIdFor.device(request.thingName);
  const version = await events.streamVersion(streamId);
  if (version === 0) return undefined;

  const first = request.fromMs === undefined ? 1 : await firstRecordedAtOrAfter(events, streamId, version, request.fromMs);
  const last = request.toMs === undefined ? version : (await firstRecordedAtOrAfter(events, streamId, version, request.toMs)) - 1;
  const forwards = request.direction === 'forwards';
  const types = request.types && request.types.length > 0 ? new Set(request.types) : undefined;

  const items: HistoryItem[] = [];
  let examined = 0;
  let position = forwards ? Math.max(first, request.start ?? first) : Math.min(last, request.start ?? last);
  let ended = false;
  const inRange = () => !ended && position >= first && position <= last;

  while (inRange() && items.length < request.limit && examined < budget) {
    const remaining = forwards ? last - position + 1 : position - first + 1;
    const wanted = types ? Math.min(chunk, budget - examined) : request.limit - items.length;
    const page = await events.readStream(streamId, { from: position, direction: request.direction, limit: Math.min(remaining, wanted) });
    // Positions are gap-free, so only a stream cut short under us reads nothing: that is its end.
    if (page.length === 0) ended = true;
    for (const stored of page) {
      examined++;
      position = stored.streamPosition + (forwards ? 1 : -1);
      if (!types || types.has(stored.type)) items.push(historyItem(stored));
      if (items.length === request.limit) break;
    }
  }
  return { items, ...(inRange() ? { next: position } : {}) };
};
