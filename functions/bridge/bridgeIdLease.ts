import { ConditionalCheckFailedException, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Which bridge id a Fargate task runs as. The service's tasks are interchangeable, but AWS IoT Core
 * allows one connection per client id (`bridge:<id>`): a second connection with the same id
 * disconnects the first, and two tasks reconnecting in turn would take each other off the broker.
 * So each task claims a free id of the pool with a conditional write on the lease table, renews the
 * lease while it runs, and stops when it cannot (docs/adr/0012-bridge-ids-on-fargate.md).
 *
 * A lease item: `bridgeId` (the key), `holder` (the task), `expiresAt` (epoch ms). A claim succeeds
 * when there is no item, the item has expired, or it is the caller's own. Clocks of tasks differ by
 * milliseconds (Fargate syncs with the Amazon Time Sync Service); the lease is a minute.
 */

export const BRIDGE_LEASE_KEY = 'bridgeId';

/** The lease table as CDK creates it (infra/cdk/constructs/bridgeService.ts), for tests on dynalite. */
export const bridgeLeaseTableInput = (tableName: string): CreateTableCommandInput => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [{ AttributeName: BRIDGE_LEASE_KEY, AttributeType: 'S' }],
  KeySchema: [{ AttributeName: BRIDGE_LEASE_KEY, KeyType: 'HASH' }],
});

export interface BridgeIdLeaseOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** The ids the service may run as, tried in this order. */
  readonly pool: readonly string[];
  /** This task: unique among the tasks that share the pool. */
  readonly holder: string;
  /** How long a lease lasts without renewal; default 60 s. */
  readonly leaseMs?: number;
  /** How often it is renewed; default a third of leaseMs, so two renewals may fail before it runs out. */
  readonly renewEveryMs?: number;
  /** How long a claim waits for an id to come free when all are held; default two leases. */
  readonly waitMs?: number;
  readonly clock?: () => number;
  /** Called once when the lease is lost: another holder has it, or it ran out before a renewal succeeded. */
  readonly onLost?: (reason: string) => void;
  /** Every id was held on a pass over the pool: the claim waits and tries again (for the log: a start that takes long says why). */
  readonly onWaiting?: (pass: number) => void;
  /** Renewals that failed but left the lease valid (DynamoDB unreachable for a moment). */
  readonly onRenewalError?: (error: unknown) => void;
}

export interface BridgeIdLease {
  readonly bridgeId: string;
  readonly holder: string;
  /** When the lease runs out unless renewed (epoch ms, this task's clock). */
  expiresAt(): number;
  /** Renews now; what the timer calls. Resolves false once the lease is lost. */
  renew(): Promise<boolean>;
  /** Stops renewing and gives the id back (only if still ours), so the next task need not wait. */
  release(): Promise<void>;
}

export class NoFreeBridgeId extends Error {
  override name = 'NoFreeBridgeId';
}

interface LeaseItem {
  readonly bridgeId: string;
  readonly holder: string;
  readonly expiresAt: number;
}

const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException || (error as { name?: unknown } | undefined)?.name === 'ConditionalCheckFailedException';

const tryClaim = async (o: BridgeIdLeaseOptions, bridgeId: string, now: number, leaseMs: number): Promise<boolean> => {
  try {
    await o.client.send(
      new PutCommand({
        TableName: o.tableName,
        Item: { bridgeId, holder: o.holder, expiresAt: now + leaseMs, claimedAt: new Date(now).toISOString() },
        ConditionExpression: 'attribute_not_exists(#id) OR #exp < :now OR #holder = :me',
        ExpressionAttributeNames: { '#id': BRIDGE_LEASE_KEY, '#exp': 'expiresAt', '#holder': 'holder' },
        ExpressionAttributeValues: { ':now': now, ':me': o.holder },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
};

const describeHolders = async (o: BridgeIdLeaseOptions, now: number): Promise<string> => {
  const items = await Promise.all(
    o.pool.map(async (bridgeId) => (await o.client.send(new GetCommand({ TableName: o.tableName, Key: { [BRIDGE_LEASE_KEY]: bridgeId } }))).Item as LeaseItem | undefined),
  );
  return items
    .filter((i): i is LeaseItem => i !== undefined)
    .map((i) => `${i.bridgeId} by ${i.holder} for ${Math.max(0, Math.round((i.expiresAt - now) / 1000))} s more`)
    .join(', ');
};

/**
 * Claims the first free id of the pool and keeps it renewed. When every id is held it tries again
 * every few seconds for `waitMs` (a rolling deployment briefly runs old and new tasks side by side),
 * then fails with NoFreeBridgeId naming the holders.
 */
export const claimBridgeId = async (o: BridgeIdLeaseOptions): Promise<BridgeIdLease> => {
  const leaseMs = o.leaseMs ?? 60_000;
  const renewEveryMs = o.renewEveryMs ?? Math.floor(leaseMs / 3);
  const waitMs = o.waitMs ?? 2 * leaseMs;
  const clock = o.clock ?? Date.now;
  if (o.pool.length === 0) throw new NoFreeBridgeId('The bridge id pool is empty: set FLEET_BRIDGE_ID_POOL to the ids the stack created identities for.');
  if (renewEveryMs >= leaseMs) throw new RangeError(`renewEveryMs (${renewEveryMs}) must be shorter than leaseMs (${leaseMs}), or the lease runs out between renewals.`);

  const started = clock();
  let bridgeId: string | undefined;
  for (let pass = 1; ; pass += 1) {
    for (const id of o.pool) {
      if (await tryClaim(o, id, clock(), leaseMs)) {
        bridgeId = id;
        break;
      }
    }
    if (bridgeId !== undefined) break;
    if (clock() - started >= waitMs) {
      throw new NoFreeBridgeId(
        `Every bridge id of the pool (${o.pool.length}) is held: ${await describeHolders(o, clock())}. ` +
          'Run fewer tasks than the pool has ids (the stack sizes the pool for maxTasks during a deployment), or wait for a stopped task’s lease to run out.',
      );
    }
    o.onWaiting?.(pass);
    await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, leaseMs / 4)));
  }

  const id = bridgeId;
  let expiresAt = clock() + leaseMs;
  let lost = false;
  let released = false;
  const loseWith = (reason: string) => {
    if (lost) return;
    lost = true;
    clearInterval(timer);
    o.onLost?.(reason);
  };
  const renew = async (): Promise<boolean> => {
    if (lost || released) return !lost;
    const now = clock();
    if (now >= expiresAt) {
      loseWith(`the lease on ${id} ran out at ${new Date(expiresAt).toISOString()} before a renewal succeeded`);
      return false;
    }
    try {
      await o.client.send(
        new UpdateCommand({
          TableName: o.tableName,
          Key: { [BRIDGE_LEASE_KEY]: id },
          UpdateExpression: 'SET #exp = :exp',
          ConditionExpression: '#holder = :me',
          ExpressionAttributeNames: { '#exp': 'expiresAt', '#holder': 'holder' },
          ExpressionAttributeValues: { ':exp': now + leaseMs, ':me': o.holder },
        }),
      );
      expiresAt = now + leaseMs;
      return true;
    } catch (error) {
      if (isConditionFailure(error)) {
        loseWith(`another task holds ${id} now (its lease ran out before this task renewed it)`);
        return false;
      }
      o.onRenewalError?.(error);
      if (clock() >= expiresAt) {
        loseWith(`the lease on ${id} ran out while DynamoDB could not be reached`);
        return false;
      }
      return true;
    }
  };
  // loseWith and release clear it; neither can run before this line.
  const timer = setInterval(() => void renew(), renewEveryMs);
  timer.unref();
  return {
    bridgeId: id,
    holder: o.holder,
    expiresAt: () => expiresAt,
    renew,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      if (lost) return;
      try {
        await o.client.send(
          new DeleteCommand({
            TableName: o.tableName,
            Key: { [BRIDGE_LEASE_KEY]: id },
            ConditionExpression: '#holder = :me',
            ExpressionAttributeNames: { '#holder': 'holder' },
            ExpressionAttributeValues: { ':me': o.holder },
          }),
        );
      } catch (error) {
        // Someone else's now: leave it to them.
        if (!isConditionFailure(error)) throw error;
      }
    },
  };
};
