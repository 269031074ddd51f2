import type { Actor, NewEvent, StoredEvent } from '../../events/envelope.ts';
import { DAY_SHARDS, MAX_ITEM_BYTES } from './dynamoTableDesign.ts';
import { EventStoreError, InvalidAppendError } from './eventStore.ts';

/**
 * The commit item: one per append (ADR 0002). Its events are one JSON string rather than a list of
 * maps: event data is arbitrary JSON, which DynamoDB's types cannot all hold faithfully (numbers past
 * 38 digits or 1e125, precision of numbers read back), the size counts toward the 400 KB limit exactly
 * as written, and validateAppend has already serialized the data once.
 */
export const COMMIT_FORMAT = 1;

export interface CommitItem {
  readonly pk: string;
  readonly sk: number;
  readonly last: number;
  readonly recordedAt: string;
  readonly events: string;
  readonly gpk: string;
  readonly gsk: string;
  readonly fmt: number;
}

/** FNV-1a over the UTF-8 bytes: stable across processes, runtimes and releases, unlike any built-in hash. */
export const dayShardOf = (streamId: string): number => {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(streamId, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % DAY_SHARDS;
};

export const dayOf = (recordedAt: string): string => recordedAt.slice(0, 10);
export const dayPartition = (day: string, shard: number) => `all#${day}#${shard}`;
/** Time first, so one day's shards merge into time order; the padded position orders commits of one stream recorded in the same millisecond. */
export const daySortKey = (recordedAt: string, streamId: string, firstPosition: number) =>
  `${recordedAt}#${streamId}#${String(firstPosition).padStart(12, '0')}`;

/** The events of an append as the commit stores them; `data` holds the JSON validateAppend produced. */
export const encodeEvents = (events: readonly NewEvent[], data: readonly string[]): string => {
  const parts = events.map((e, i) => {
    const envelope = JSON.stringify({
      eventId: e.eventId,
      type: e.type,
      typeVersion: e.typeVersion,
      actor: e.actor,
      correlationId: e.correlationId,
      causationId: e.causationId,
    });
    // Splice the already serialized data in instead of serializing it a second time.
    return `${envelope.slice(0, -1)},"data":${data[i]}}`;
  });
  return `[${parts.join(',')}]`;
};

const NUMBER_BYTES = 21; // DynamoDB's upper bound for one number attribute
const TIME_BYTES = 24; // 2026-01-01T00:00:00.000Z
const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** Size of the commit item as DynamoDB counts it (names + values), rounding numbers up. */
export const commitItemBytes = (streamId: string, eventsJson: string): number => {
  const names = ['pk', 'sk', 'last', 'recordedAt', 'events', 'gpk', 'gsk', 'fmt'].reduce((n, a) => n + a.length, 0);
  const gpk = dayPartition('0000-00-00', DAY_SHARDS - 1).length;
  const gsk = TIME_BYTES + 1 + utf8(streamId) + 1 + 12;
  return names + utf8(streamId) + 3 * NUMBER_BYTES + TIME_BYTES + utf8(eventsJson) + gpk + gsk;
};

export const assertCommitFits = (streamId: string, eventsJson: string, eventCount: number): void => {
  const size = commitItemBytes(streamId, eventsJson);
  if (size > MAX_ITEM_BYTES) {
    throw new InvalidAppendError(
      `Append to ${streamId} (${eventCount} events) needs a ${size}-byte DynamoDB item; the limit is ${MAX_ITEM_BYTES} bytes ` +
        '(400 KB per item, and one append is one item so that it stays atomic): split it into several appends or store large payloads elsewhere.',
    );
  }
};

export const buildCommit = (streamId: string, first: number, count: number, recordedAt: string, eventsJson: string): CommitItem => ({
  pk: streamId,
  sk: first,
  last: first + count - 1,
  recordedAt,
  events: eventsJson,
  gpk: dayPartition(dayOf(recordedAt), dayShardOf(streamId)),
  gsk: daySortKey(recordedAt, streamId, first),
  fmt: COMMIT_FORMAT,
});

/** Numbers come back as number, or as NumberValue when the caller's client wraps numbers. */
export const toNumber = (value: unknown): number => (typeof value === 'number' ? value : Number(String(value)));

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const isRecordedAt = (value: unknown): value is string => typeof value === 'string' && ISO_TIME.test(value);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads a commit item into stored events. Tolerates items of older writers (no format marker,
 * absent optional fields); refuses what it cannot read with an error naming the item.
 */
export const decodeCommit = (item: Record<string, unknown>): StoredEvent[] => {
  const where = `Commit item ${String(item.pk)}@${String(item.sk)}`;
  const fail = (why: string) => new EventStoreError(`${where} ${why}`);
  const fmt = item.fmt === undefined ? 1 : toNumber(item.fmt);
  if (fmt > COMMIT_FORMAT) {
    throw fail(`has format ${fmt}, newer than this code reads (${COMMIT_FORMAT}): deploy the newer adapter before reading with it.`);
  }
  const streamId = item.pk;
  const first = toNumber(item.sk);
  const recordedAt = item.recordedAt;
  if (typeof streamId !== 'string' || !Number.isSafeInteger(first) || first < 1) throw fail('has no valid stream key: it is not a commit.');
  if (!isRecordedAt(recordedAt)) throw fail(`has recordedAt ${JSON.stringify(recordedAt)}, not an ISO-8601 UTC time.`);
  if (typeof item.events !== 'string') throw fail('has no "events" JSON string.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(item.events);
  } catch {
    throw fail('has an "events" attribute that is not valid JSON.');
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw fail('has an "events" attribute that is not a non-empty list.');
  if (item.last !== undefined && toNumber(item.last) !== first + parsed.length - 1) {
    throw fail(`says its last position is ${toNumber(item.last)} but holds ${parsed.length} events.`);
  }
  return parsed.map((raw: unknown, i): StoredEvent => {
    if (
      !isObject(raw) ||
      typeof raw.eventId !== 'string' ||
      typeof raw.type !== 'string' ||
      typeof raw.typeVersion !== 'number' ||
      !isObject(raw.actor) ||
      !('data' in raw)
    ) {
      throw fail(`holds event #${i + 1} without eventId, type, typeVersion, actor and data.`);
    }
    return {
      eventId: raw.eventId,
      type: raw.type,
      typeVersion: raw.typeVersion,
      data: raw.data,
      actor: raw.actor as Actor,
      ...(typeof raw.correlationId === 'string' ? { correlationId: raw.correlationId } : {}),
      ...(typeof raw.causationId === 'string' ? { causationId: raw.causationId } : {}),
      streamId,
      streamPosition: first + i,
      recordedAt,
    };
  });
};
