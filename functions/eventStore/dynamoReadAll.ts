import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StoredEvent } from '../../events/envelope.ts';
import { dayOf, dayPartition, decodeCommit } from './dynamoCommitItem.ts';
import { isConditionFailed } from './dynamoEventClaims.ts';
import { BY_DAY_INDEX, DAY_SHARDS, META_KEY } from './dynamoTableDesign.ts';
import { EventStoreError, type ReadAllOptions, type ReadAllPage } from './eventStore.ts';

/**
 * Full replay order without a global sequence (ADR 0002): commits are indexed by day and shard
 * (`all#<day>#<shard>`) and sorted by `<recordedAt>#<streamId>#<position>`. readAll walks the days
 * the meta item says hold commits, merging each day's shards by that key. A stream's commits never
 * go back in time, so its order survives the merge.
 */

interface Cursor {
  /** Sort key of the commit the last returned event came from. */
  readonly g: string;
  /** How many of that commit's events were returned. */
  readonly n: number;
}

const encodeCursor = (c: Cursor) => `v1.${Buffer.from(JSON.stringify(c)).toString('base64url')}`;

const decodeCursor = (raw: string): Cursor => {
  const bad = () => new EventStoreError(`Cursor "${raw}" is not one this store issued: pass the cursor from a previous page, or none.`);
  if (typeof raw !== 'string' || !raw.startsWith('v1.')) throw bad();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw.slice(3), 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  const { g, n } = (value ?? {}) as { g?: unknown; n?: unknown };
  if (typeof g !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(g) || typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw bad();
  return { g, n };
};

/** DynamoDB orders string keys by UTF-8 bytes; JavaScript compares UTF-16 units. Merge the way the index sorts. */
const compareKeys = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString().slice(0, 10);

interface Shard {
  readonly gpk: string;
  items: Record<string, unknown>[];
  startKey: Record<string, unknown> | undefined;
  done: boolean;
}

export const createDayIndex = (doc: DynamoDBDocumentClient, TableName: string) => {
  // Days this process already made sure the meta item covers: meta.firstDay <= knownFirst, meta.lastDay >= knownLast.
  let knownFirst: string | undefined;
  let knownLast: string | undefined;
  const inFlight = new Map<string, Promise<void>>();

  const widen = (attribute: 'firstDay' | 'lastDay', day: string) => {
    const key = `${attribute}:${day}`;
    let pending = inFlight.get(key);
    if (!pending) {
      pending = doc
        .send(
          new UpdateCommand({
            TableName,
            Key: META_KEY,
            UpdateExpression: 'SET #d = :d',
            ConditionExpression: `attribute_not_exists(#d) OR #d ${attribute === 'firstDay' ? '>' : '<'} :d`,
            ExpressionAttributeNames: { '#d': attribute },
            ExpressionAttributeValues: { ':d': day },
          }),
        )
        .then(
          () => undefined,
          (err: unknown) => {
            if (!isConditionFailed(err)) throw err; // the meta item already covers this day
          },
        )
        .finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  };

  /**
   * Before writing a commit on `day`: make the meta item's day range include it. Costs a write the first
   * time a process records on a new day, none otherwise.
   */
  const track = async (day: string) => {
    const first = knownFirst === undefined || day < knownFirst;
    const last = knownLast === undefined || day > knownLast;
    if (!first && !last) return;
    await Promise.all([first ? widen('firstDay', day) : undefined, last ? widen('lastDay', day) : undefined]);
    if (first && (knownFirst === undefined || day < knownFirst)) knownFirst = day;
    if (last && (knownLast === undefined || day > knownLast)) knownLast = day;
  };

  const fetch = async (shard: Shard, from: Cursor | undefined, pageSize: number) => {
    const r = await doc.send(
      new QueryCommand({
        TableName,
        IndexName: BY_DAY_INDEX,
        KeyConditionExpression: from ? 'gpk = :p AND gsk >= :g' : 'gpk = :p',
        ExpressionAttributeValues: from ? { ':p': shard.gpk, ':g': from.g } : { ':p': shard.gpk },
        Limit: pageSize,
        ExclusiveStartKey: shard.startKey,
      }),
    );
    shard.items = (r.Items ?? []) as Record<string, unknown>[];
    shard.startKey = r.LastEvaluatedKey as Record<string, unknown> | undefined;
    shard.done = shard.startKey === undefined;
  };

  /** Appends the events of one day (from the cursor on, if it is in that day) to `out`, up to `limit`. */
  const readDay = async (day: string, after: Cursor | undefined, out: StoredEvent[], limit: number): Promise<Cursor | undefined> => {
    const from = after && dayOf(after.g) === day ? after : undefined;
    const shards: Shard[] = Array.from({ length: DAY_SHARDS }, (_, s) => ({ gpk: dayPartition(day, s), items: [], startKey: undefined, done: false }));
    const pageSize = Math.min(1000, Math.ceil((limit - out.length) / DAY_SHARDS) + 1);
    let last: Cursor | undefined;
    for (;;) {
      await Promise.all(shards.filter((s) => s.items.length === 0 && !s.done).map((s) => fetch(s, from, pageSize)));
      let next: Shard | undefined;
      for (const s of shards) {
        if (s.items.length > 0 && (!next || compareKeys(String(s.items[0]!.gsk), String(next.items[0]!.gsk)) < 0)) next = s;
      }
      if (!next) return last;
      const item = next.items.shift()!;
      const gsk = String(item.gsk);
      const events = decodeCommit(item);
      for (let i = from && gsk === from.g ? from.n : 0; i < events.length; i++) {
        out.push(events[i]!);
        last = { g: gsk, n: i + 1 };
        if (out.length >= limit) return last;
      }
    }
  };

  const readAll = async (options: ReadAllOptions = {}): Promise<ReadAllPage> => {
    const limit = options.limit ?? 1000;
    if (!Number.isSafeInteger(limit) || limit < 0) {
      throw new EventStoreError(`readAll limit ${String(limit)} must be an integer >= 0.`);
    }
    const after = options.after === undefined ? undefined : decodeCursor(options.after);
    const unchanged = { events: [], cursor: options.after };
    if (limit === 0) return unchanged;
    const meta = (await doc.send(new GetCommand({ TableName, Key: META_KEY, ConsistentRead: true }))).Item;
    const firstDay = meta?.firstDay as unknown;
    const lastDay = meta?.lastDay as unknown;
    if (typeof firstDay !== 'string' || typeof lastDay !== 'string') return unchanged;
    const events: StoredEvent[] = [];
    let cursor: Cursor | undefined;
    const start = after && dayOf(after.g) > firstDay ? dayOf(after.g) : firstDay;
    for (let day = start; day <= lastDay && events.length < limit; day = nextDay(day)) {
      cursor = (await readDay(day, after, events, limit)) ?? cursor;
    }
    return cursor ? { events, cursor: encodeCursor(cursor) } : unchanged;
  };

  return { track, readAll };
};
