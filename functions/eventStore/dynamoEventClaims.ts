import { performance } from 'node:perf_hooks';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../shared/clock.ts';
import { toNumber } from './dynamoCommitItem.ts';
import { claimKey } from './dynamoTableDesign.ts';
import { AppendInFlightError } from './eventStore.ts';

/**
 * Idempotency by event id without transactions (ADR 0002). Before a commit, the writer claims every
 * event id of its append with a conditional put; after the commit it marks the claims committed with
 * their positions. A claim left pending by a crashed writer may be taken over once its lease ran out,
 * but only after checking the stream for a commit that writer made before dying.
 */

export interface Committed {
  readonly eventId: string;
  readonly streamId: string;
  readonly position: number;
}

export type ClaimOutcome = { readonly kind: 'owned' } | ({ readonly kind: 'committed' } & Committed);

interface ClaimItem {
  readonly streamId: string;
  readonly state: 'pending' | 'committed';
  readonly owner: string;
  readonly leaseUntil?: number;
  readonly headAtClaim?: number;
  readonly position?: number;
}

type Settled = { kind: 'absent' } | ({ kind: 'committed' } & Committed) | { kind: 'stale'; claim: ClaimItem };

export interface ClaimDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock: Clock;
  readonly leaseMs: number;
  readonly inFlightWaitMs: number;
  /** Position of `eventId` in a commit of `streamId` after position `after`, if a writer stored it there. */
  readonly findInStream: (streamId: string, after: number, eventId: string) => Promise<number | undefined>;
}

export const isConditionFailed = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'ConditionalCheckFailedException';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Full jitter: spreads writers that collided so they do not collide again in step. */
export const backoff = (attempt: number, baseMs: number, capMs: number) => sleep(Math.random() * Math.min(capMs, baseMs * 2 ** attempt));

const NAMES = { '#s': 'state', '#o': 'owner', '#l': 'leaseUntil', '#p': 'position', '#h': 'headAtClaim', '#st': 'streamId' };

const readClaim = (raw: Record<string, unknown> | undefined): ClaimItem | undefined => {
  if (!raw) return undefined;
  const num = (v: unknown) => (v === undefined ? undefined : toNumber(v));
  const leaseUntil = num(raw.leaseUntil);
  const headAtClaim = num(raw.headAtClaim);
  const position = num(raw.position);
  return {
    streamId: String(raw.streamId),
    state: raw.state === 'committed' ? 'committed' : 'pending',
    owner: String(raw.owner),
    ...(leaseUntil === undefined ? {} : { leaseUntil }),
    ...(headAtClaim === undefined ? {} : { headAtClaim }),
    ...(position === undefined ? {} : { position }),
  };
};

export const createClaims = (deps: ClaimDeps) => {
  const { doc, tableName: TableName, clock } = deps;

  const get = async (eventId: string) =>
    readClaim((await doc.send(new GetCommand({ TableName, Key: claimKey(eventId), ConsistentRead: true }))).Item);

  const inFlight = (eventId: string, claim: ClaimItem) =>
    new AppendInFlightError(
      `Event ${eventId} is being appended to ${claim.streamId} by another writer right now ` +
        `(its claim runs until ${new Date(claim.leaseUntil ?? 0).toISOString()}): retry shortly; ` +
        'the retry returns "duplicate" if that writer succeeded.',
    );

  /** Reads the claim until it is absent, committed, or pending with an expired lease; waits out a live writer. */
  const settle = async (eventId: string, deadline: number): Promise<Settled> => {
    for (let attempt = 0; ; attempt++) {
      const claim = await get(eventId);
      if (!claim) return { kind: 'absent' };
      if (claim.state === 'committed' && claim.position !== undefined) {
        return { kind: 'committed', eventId, streamId: claim.streamId, position: claim.position };
      }
      if ((claim.leaseUntil ?? 0) < clock.now().getTime()) return { kind: 'stale', claim };
      if (performance.now() >= deadline) throw inFlight(eventId, claim);
      await backoff(attempt, 20, 250);
    }
  };

  /** Whether the writer of a stale claim committed the event before it died. */
  const committedByCrashedWriter = async (eventId: string, claim: ClaimItem): Promise<Committed | undefined> => {
    const position = await deps.findInStream(claim.streamId, claim.headAtClaim ?? 0, eventId);
    return position === undefined ? undefined : { eventId, streamId: claim.streamId, position };
  };

  const markCommitted = (eventId: string, owner: string, at: Committed) =>
    doc.send(
      new UpdateCommand({
        TableName,
        Key: claimKey(eventId),
        UpdateExpression: 'SET #s = :committed, #p = :p, #st = :stream REMOVE #l, #h',
        ConditionExpression: '#o = :owner',
        ExpressionAttributeNames: NAMES,
        ExpressionAttributeValues: { ':committed': 'committed', ':p': at.position, ':stream': at.streamId, ':owner': owner },
      }),
    );

  /**
   * Claims one event id for `streamId`, or finds where it is already stored. `headAtClaim` is the
   * stream version the writer read before claiming: its commit, if any, lands after it.
   */
  const acquire = async (eventId: string, streamId: string, headAtClaim: number, owner: string, deadline: number): Promise<ClaimOutcome> => {
    for (;;) {
      const now = clock.now().getTime();
      try {
        const { Attributes } = await doc.send(
          new PutCommand({
            TableName,
            Item: { ...claimKey(eventId), streamId, state: 'pending', owner, leaseUntil: now + deps.leaseMs, headAtClaim },
            ConditionExpression: 'attribute_not_exists(pk) OR (#s = :pending AND #l < :now)',
            ExpressionAttributeNames: { '#s': 'state', '#l': 'leaseUntil' },
            ExpressionAttributeValues: { ':pending': 'pending', ':now': now },
            ReturnValues: 'ALL_OLD',
          }),
        );
        const previous = readClaim(Attributes);
        if (previous) {
          // We took over the claim of a writer that never confirmed: it may have committed, then died.
          const found = await committedByCrashedWriter(eventId, previous);
          if (found) {
            await markCommitted(eventId, owner, found);
            return { kind: 'committed', ...found };
          }
        }
        return { kind: 'owned' };
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
      }
      const settled = await settle(eventId, deadline);
      if (settled.kind === 'committed') return settled;
      // Absent (its writer gave up) or stale (its writer died): try to claim it again.
      if (performance.now() >= deadline) {
        throw new AppendInFlightError(`Event ${eventId} kept being claimed by other writers for ${deps.inFlightWaitMs} ms: retry shortly.`);
      }
    }
  };

  /** Where an event id is stored, without claiming it; waits out a live writer. */
  const lookup = async (eventId: string, deadline: number): Promise<Committed | undefined> => {
    const settled = await settle(eventId, deadline);
    if (settled.kind === 'committed') return settled;
    if (settled.kind === 'stale') return committedByCrashedWriter(eventId, settled.claim);
    return undefined;
  };

  /** After a commit: record each event's position. Best effort; a claim left pending is recovered by takeover. */
  const confirm = async (owner: string, committed: readonly Committed[]) => {
    await Promise.allSettled(committed.map((c) => markCommitted(c.eventId, owner, c)));
  };

  /** When the commit certainly did not happen: free the ids for the caller's retry. Best effort. */
  const release = async (owner: string, eventIds: readonly string[]) => {
    await Promise.allSettled(
      eventIds.map((eventId) =>
        doc.send(
          new DeleteCommand({
            TableName,
            Key: claimKey(eventId),
            ConditionExpression: '#o = :owner AND #s = :pending',
            ExpressionAttributeNames: { '#o': 'owner', '#s': 'state' },
            ExpressionAttributeValues: { ':owner': owner, ':pending': 'pending' },
          }),
        ),
      ),
    );
  };

  return { acquire, lookup, confirm, release };
};
