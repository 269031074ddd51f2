import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StoredEvent } from '../../events/envelope.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import { assertCommitFits, buildCommit, dayOf, decodeCommit, encodeEvents, isRecordedAt, toNumber } from './dynamoCommitItem.ts';
import { backoff, createClaims, isConditionFailed, type Committed } from './dynamoEventClaims.ts';
import { createDayIndex } from './dynamoReadAll.ts';
import {
  AppendInFlightError,
  EventIdInOtherStreamError,
  EventStoreError,
  PartialDuplicateError,
  WrongExpectedVersionError,
  validateAppend,
  type AppendRequest,
  type AppendResult,
  type BatchAppendOutcome,
  type EventStore,
  type ReadStreamOptions,
} from './eventStore.ts';

export interface DynamoEventStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock?: Clock;
  /** How long a writer's claim on its event ids holds before another writer may take it over. */
  readonly claimLeaseMs?: number;
  /** How long an append waits for another writer that is appending the same event ids. */
  readonly inFlightWaitMs?: number;
  /** Attempts of an `any` append that keeps losing its position to other writers. */
  readonly maxAnyAttempts?: number;
  /** appendBatch: how many streams are written at once. */
  readonly batchConcurrency?: number;
}

interface Head {
  readonly version: number;
  readonly recordedAt: string | undefined;
}

/** A writer does not commit in the last part of its lease: the commit must land before anyone may take over. */
const LEASE_SAFETY = 1 / 3;

/**
 * The EventStore on DynamoDB without transactions (ADR 0002): one item per append at the position after
 * the head its writer read (a conditional put picks one winner per position), claim items for
 * idempotency by event id, and a day/shard index for readAll. Events carry no global position.
 */
export const createDynamoEventStore = (options: DynamoEventStoreOptions): EventStore => {
  const { client: doc, tableName: TableName } = options;
  const clock = options.clock ?? systemClock;
  const leaseMs = options.claimLeaseMs ?? 30_000;
  const inFlightWaitMs = options.inFlightWaitMs ?? 5_000;
  const maxAnyAttempts = options.maxAnyAttempts ?? 60;
  const batchConcurrency = Math.max(1, options.batchConcurrency ?? 16);

  // No stream id starts with anything but a lower-case letter (validateAppend); other keys are the store's own.
  const canBeStream = (streamId: string) => typeof streamId === 'string' && /^[a-z]/.test(streamId);

  const readHead = async (streamId: string): Promise<Head> => {
    const r = await doc.send(
      new QueryCommand({
        TableName,
        KeyConditionExpression: 'pk = :s',
        ExpressionAttributeValues: { ':s': streamId },
        ExpressionAttributeNames: { '#last': 'last' },
        ProjectionExpression: 'pk, sk, #last, recordedAt',
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = r.Items?.[0] as Record<string, unknown> | undefined;
    if (!item) return { version: 0, recordedAt: undefined };
    const version = toNumber(item.last);
    if (!Number.isSafeInteger(version) || !isRecordedAt(item.recordedAt)) {
      throw new EventStoreError(`The head commit of ${streamId} (${String(item.sk)}) has no valid "last" or "recordedAt": it was not written by this store.`);
    }
    return { version, recordedAt: item.recordedAt };
  };

  /** Commits of a stream whose first position is in [from, to], in the given order, page by page. */
  async function* commits(streamId: string, from: number, to: number, forwards: boolean, pageSize?: number) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const r = await doc.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: 'pk = :s AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':s': streamId, ':from': from, ':to': to },
          ScanIndexForward: forwards,
          ConsistentRead: true,
          ...(pageSize === undefined ? {} : { Limit: pageSize }),
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of (r.Items ?? []) as Record<string, unknown>[]) yield decodeCommit(item);
      startKey = r.LastEvaluatedKey as Record<string, unknown> | undefined;
    } while (startKey);
  }

  const readStream = async (streamId: string, opts: ReadStreamOptions = {}): Promise<StoredEvent[]> => {
    const limit = opts.limit ?? Number.MAX_SAFE_INTEGER;
    const backwards = opts.direction === 'backwards';
    const from = opts.from ?? (backwards ? Number.MAX_SAFE_INTEGER : 1);
    if (!Number.isSafeInteger(from) || from < 0 || !Number.isSafeInteger(limit) || limit < 0) {
      throw new EventStoreError(`readStream(${streamId}): from (${String(opts.from)}) and limit (${String(opts.limit)}) must be integers >= 0.`);
    }
    const out: StoredEvent[] = [];
    if (!canBeStream(streamId) || limit === 0) return out;
    const pageSize = limit < 1000 ? limit + 1 : undefined;
    const take = (events: readonly StoredEvent[]) => {
      for (const e of events) {
        if (backwards ? e.streamPosition > from : e.streamPosition < from) continue;
        out.push(e);
        if (out.length >= limit) return true;
      }
      return false;
    };
    if (backwards) {
      for await (const events of commits(streamId, 1, from, false, pageSize)) if (take(events.reverse())) return out;
      return out;
    }
    if (from > 1) {
      // The commit holding `from` starts at or before it: the last commit that does.
      for await (const events of commits(streamId, 1, from, false, 1)) {
        if (take(events)) return out;
        break;
      }
    }
    for await (const events of commits(streamId, from > 1 ? from + 1 : 1, Number.MAX_SAFE_INTEGER, true, pageSize)) {
      if (take(events)) return out;
    }
    return out;
  };

  /** Finds an event a crashed writer may have committed after the head it read. */
  const findInStream = async (streamId: string, after: number, eventId: string): Promise<number | undefined> => {
    if (!canBeStream(streamId)) return undefined;
    for await (const events of commits(streamId, after + 1, Number.MAX_SAFE_INTEGER, true)) {
      const hit = events.find((e) => e.eventId === eventId);
      if (hit) return hit.streamPosition;
    }
    return undefined;
  };

  /**
   * Appends of this process to one stream take turns from the head read to the commit, so they do not
   * race each other through DynamoDB (every lost race is a billed write). Writers in other processes
   * still race, and the conditional put referees. A lane lives while it has appends.
   */
  interface Lane {
    tail: Promise<unknown>;
    head: Head | undefined;
    users: number;
  }
  const lanes = new Map<string, Lane>();
  const inLane = async <T>(streamId: string, work: (lane: Lane) => Promise<T>): Promise<T> => {
    let lane = lanes.get(streamId);
    if (!lane) lanes.set(streamId, (lane = { tail: Promise.resolve(), head: undefined, users: 0 }));
    const mine = lane;
    mine.users++;
    const run = mine.tail.then(() => work(mine));
    mine.tail = run.catch(() => undefined);
    try {
      return await run;
    } finally {
      if (--mine.users === 0) lanes.delete(streamId);
    }
  };

  const claims = createClaims({ doc, tableName: TableName, clock, leaseMs, inFlightWaitMs, findInStream });
  const days = createDayIndex(doc, TableName);

  /** The outcome when some ids of the request are already stored; undefined when none is. */
  const duplicateOutcome = async (request: AppendRequest, stored: readonly Committed[]): Promise<AppendResult | undefined> => {
    if (stored.length === 0) return undefined;
    const elsewhere = stored.find((c) => c.streamId !== request.streamId);
    if (elsewhere) throw new EventIdInOtherStreamError(elsewhere.eventId, request.streamId, elsewhere.streamId);
    if (stored.length < request.events.length) {
      throw new PartialDuplicateError(
        request.streamId,
        stored.map((c) => c.eventId),
      );
    }
    const positions = stored.map((c) => c.position);
    const from = Math.min(...positions);
    const read = await readStream(request.streamId, { from, limit: Math.max(...positions) - from + 1 });
    const events = stored.map((c) => {
      const e = read.find((r) => r.eventId === c.eventId && r.streamPosition === c.position);
      if (!e) {
        throw new EventStoreError(
          `Event ${c.eventId} is recorded as stored at ${request.streamId}@${c.position}, but that commit does not hold it: the table was edited by hand.`,
        );
      }
      return e;
    });
    return { streamId: request.streamId, status: 'duplicate', nextExpectedVersion: Math.max(...positions), events };
  };

  const append = async (request: AppendRequest): Promise<AppendResult> => {
    const data = validateAppend(request);
    const { streamId, events, expectedVersion } = request;
    const eventsJson = encodeEvents(events, data);
    assertCommitFits(streamId, eventsJson, events.length);
    const deadline = performance.now() + inFlightWaitMs;

    const head0 = await readHead(streamId);
    if (expectedVersion !== 'any' && expectedVersion !== head0.version) {
      // A redelivery of a stored append carries a stale version: it is a duplicate, not a conflict.
      const found = await Promise.all(events.map((e) => claims.lookup(e.eventId, deadline)));
      const duplicate = await duplicateOutcome(
        request,
        found.filter((c): c is Committed => c !== undefined),
      );
      if (duplicate) return duplicate;
      throw new WrongExpectedVersionError(streamId, expectedVersion, head0.version);
    }

    const owner = randomUUID();
    const claimedAt = clock.now().getTime();
    const outcomes = await Promise.allSettled(events.map((e) => claims.acquire(e.eventId, streamId, head0.version, owner, deadline)));
    const owned = events.filter((_, i) => {
      const o = outcomes[i]!;
      return o.status === 'fulfilled' && o.value.kind === 'owned';
    });
    const ownedIds = owned.map((e) => e.eventId);
    const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failure) {
      await claims.release(owner, ownedIds);
      throw failure.reason;
    }
    const stored = outcomes.flatMap((o) => (o.status === 'fulfilled' && o.value.kind === 'committed' ? [o.value] : []));
    if (stored.length > 0) {
      await claims.release(owner, ownedIds);
      return (await duplicateOutcome(request, stored))!;
    }

    let mayHaveCommitted = false;
    try {
      const item = await inLane(streamId, async (lane) => {
        // Another append of this process may have moved the head since we read it.
        let head = lane.head && lane.head.version > head0.version ? lane.head : head0;
        for (let attempt = 1; ; attempt++) {
          if (expectedVersion !== 'any' && expectedVersion !== head.version) {
            throw new WrongExpectedVersionError(streamId, expectedVersion, head.version);
          }
          const now = clock.now();
          if (now.getTime() > claimedAt + leaseMs * (1 - LEASE_SAFETY)) {
            throw new AppendInFlightError(
              `Append to ${streamId} did not commit early enough in its claim lease (${leaseMs} ms), so it stopped before another writer could take its events over: retry.`,
            );
          }
          const recordedAt = head.recordedAt !== undefined && head.recordedAt > now.toISOString() ? head.recordedAt : now.toISOString();
          const commit = buildCommit(streamId, head.version + 1, events.length, recordedAt, eventsJson);
          await days.track(dayOf(recordedAt));
          try {
            await doc.send(new PutCommand({ TableName, Item: commit, ConditionExpression: 'attribute_not_exists(pk)' }));
            lane.head = { version: commit.last, recordedAt };
            return commit;
          } catch (err) {
            if (!isConditionFailed(err)) {
              mayHaveCommitted = true; // the put may have landed even though its answer was lost
              throw err;
            }
          }
          // Another process took this position.
          head = lane.head = await readHead(streamId);
          if (expectedVersion === 'any' && attempt >= maxAnyAttempts) {
            throw new EventStoreError(
              `Append to ${streamId} lost its position to other writers ${attempt} times in a row: the stream is too contended; ` +
                'retry later, or route its writes through fewer writers.',
            );
          }
          if (expectedVersion === 'any') await backoff(attempt, 5, 200);
        }
      });
      const stored = decodeCommit(item as unknown as Record<string, unknown>);
      await claims.confirm(
        owner,
        stored.map((e) => ({ eventId: e.eventId, streamId, position: e.streamPosition })),
      );
      return { streamId, status: 'appended', nextExpectedVersion: item.last, events: stored };
    } catch (err) {
      // Free the ids only when the commit certainly did not happen; otherwise the lease and takeover decide.
      if (!mayHaveCommitted) await claims.release(owner, ownedIds);
      throw err;
    }
  };

  const appendBatch = async (requests: readonly AppendRequest[]): Promise<BatchAppendOutcome[]> => {
    const outcomes: BatchAppendOutcome[] = new Array<BatchAppendOutcome>(requests.length);
    // One lane per stream keeps that stream's requests in order; lanes run side by side.
    const lanes = new Map<unknown, number[]>();
    requests.forEach((r, i) => {
      const lane = lanes.get(r.streamId) ?? [];
      lane.push(i);
      lanes.set(r.streamId, lane);
    });
    const queue = [...lanes.values()];
    // A failure that is not the store's verdict (network, permissions) fails the batch, but only once
    // every request already started has settled: nothing keeps writing after the caller saw the error.
    let failure: { error: unknown } | undefined;
    const worker = async () => {
      for (let lane = queue.shift(); lane && !failure; lane = queue.shift()) {
        for (const i of lane) {
          if (failure) return;
          try {
            outcomes[i] = { ok: true, result: await append(requests[i]!) };
          } catch (error) {
            if (error instanceof EventStoreError) outcomes[i] = { ok: false, error };
            else failure ??= { error };
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(batchConcurrency, queue.length) }, worker));
    if (failure) throw failure.error;
    return outcomes;
  };

  return {
    append,
    appendBatch,
    readStream,
    readAll: days.readAll,
    streamVersion: async (streamId) => (canBeStream(streamId) ? (await readHead(streamId)).version : 0),
    close: () => Promise.resolve(),
  };
};
