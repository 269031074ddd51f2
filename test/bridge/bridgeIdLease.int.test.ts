import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeLeaseTableInput, claimBridgeId, NoFreeBridgeId, type BridgeIdLeaseOptions } from '../../functions/bridge/bridgeIdLease.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';

/**
 * How Fargate tasks share the bridge id pool: conditional writes on a real DynamoDB API (dynalite
 * over HTTP). Each test has its own table; time is each holder's own clock, moved by the test.
 */

let dynamo: LocalDynamo;
let doc: DynamoDBDocumentClient;
let tables = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  doc = DynamoDBDocumentClient.from(dynamo.client);
});

afterAll(async () => {
  await dynamo?.close();
});

const newTable = async () => {
  const name = `leases-${++tables}`;
  await dynamo.client.send(new CreateTableCommand(bridgeLeaseTableInput(name)));
  return name;
};

/** A holder with its own clock; its renewal timer would fire after the test is over, so renewals happen when the test calls renew(). */
const holderOn = (tableName: string, holder: string, pool: string[], extra: Partial<BridgeIdLeaseOptions> = {}) => {
  const time = { now: 1_000_000 };
  const lost: string[] = [];
  const options: BridgeIdLeaseOptions = {
    client: doc,
    tableName,
    pool,
    holder,
    leaseMs: 60_000,
    renewEveryMs: 59_000,
    waitMs: 0,
    clock: () => time.now,
    onLost: (reason) => lost.push(reason),
    ...extra,
  };
  return { time, lost, claim: () => claimBridgeId(options) };
};

const itemOf = async (tableName: string, bridgeId: string) => (await doc.send(new GetCommand({ TableName: tableName, Key: { bridgeId } }))).Item;

describe('claiming a bridge id from the pool', () => {
  it('gives tasks that start together different ids, and refuses one more than the pool holds, naming the holders', async () => {
    const table = await newTable();
    const pool = ['aws-1', 'aws-2', 'aws-3'];
    const leases = await Promise.all(['task-a', 'task-b', 'task-c'].map((h) => holderOn(table, h, pool).claim()));
    expect(leases.map((l) => l.bridgeId).sort()).toEqual(pool);
    expect(await itemOf(table, leases[0]!.bridgeId)).toMatchObject({ holder: leases[0]!.holder, expiresAt: 1_060_000 });

    const error = await holderOn(table, 'task-d', pool)
      .claim()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoFreeBridgeId);
    expect((error as Error).message).toMatch(/Every bridge id of the pool \(3\) is held: aws-1 by task-\w for 60 s more, aws-2 by/);
    for (const l of leases) await l.release();
  });

  it('hands an id back on release, so the next task need not wait for the lease to run out', async () => {
    const table = await newTable();
    const first = await holderOn(table, 'task-a', ['aws-1']).claim();
    await first.release();
    expect(await itemOf(table, 'aws-1')).toBeUndefined();
    const second = await holderOn(table, 'task-b', ['aws-1']).claim();
    expect(second.bridgeId).toBe('aws-1');
    // A late release by the first holder leaves the second one's lease alone.
    await first.release();
    expect(await itemOf(table, 'aws-1')).toMatchObject({ holder: 'task-b' });
    await second.release();
  });

  it('lets a task restarted under the same holder name take its own id back at once', async () => {
    const table = await newTable();
    await holderOn(table, 'task-a', ['aws-1']).claim();
    const again = await holderOn(table, 'task-a', ['aws-1']).claim();
    expect(again.bridgeId).toBe('aws-1');
    await again.release();
  });

  it('waits for an id to come free when asked to, instead of failing at once', async () => {
    const table = await newTable();
    // Both on the real clock: a lease of the test clock (1970) would look expired, and no wait would happen.
    const held = await holderOn(table, 'task-a', ['aws-1'], { clock: Date.now }).claim();
    const passes: number[] = [];
    // The first holder leaves only once the second has found every id held: what it then waits for.
    const waiting = holderOn(table, 'task-b', ['aws-1'], {
      leaseMs: 400,
      renewEveryMs: 100,
      waitMs: 60_000,
      clock: Date.now,
      onWaiting: (pass) => {
        passes.push(pass);
        if (pass === 1) void held.release();
      },
    }).claim();
    expect((await waiting).bridgeId).toBe('aws-1');
    expect(passes[0]).toBe(1);
    await (await waiting).release();
  });
});

describe('keeping the lease', () => {
  it('renews while it is held, moving expiresAt on', async () => {
    const table = await newTable();
    const a = holderOn(table, 'task-a', ['aws-1']);
    const lease = await a.claim();
    a.time.now += 20_000;
    expect(await lease.renew()).toBe(true);
    expect(lease.expiresAt()).toBe(1_080_000);
    expect(await itemOf(table, 'aws-1')).toMatchObject({ holder: 'task-a', expiresAt: 1_080_000 });
    expect(a.lost).toEqual([]);
    await lease.release();
  });

  it('loses the id to another task once the lease ran out unrenewed, and says so once', async () => {
    const table = await newTable();
    const a = holderOn(table, 'task-a', ['aws-1', 'aws-2']);
    const stale = await a.claim();
    const b = holderOn(table, 'task-b', ['aws-1']);
    b.time.now += 61_000;
    const taker = await b.claim();
    expect(taker.bridgeId).toBe('aws-1');

    // The first task's clock has not reached its own expiry: only the conditional write tells it.
    expect(await stale.renew()).toBe(false);
    expect(await stale.renew()).toBe(false);
    expect(a.lost).toEqual(['another task holds aws-1 now (its lease ran out before this task renewed it)']);
    expect(await itemOf(table, 'aws-1')).toMatchObject({ holder: 'task-b' });
    // Releasing a lost lease deletes nothing.
    await stale.release();
    expect(await itemOf(table, 'aws-1')).toMatchObject({ holder: 'task-b' });
    await taker.release();
  });

  it('gives up the id when its own clock passes the expiry before a renewal succeeded', async () => {
    const table = await newTable();
    const a = holderOn(table, 'task-a', ['aws-1']);
    const lease = await a.claim();
    a.time.now += 60_000;
    expect(await lease.renew()).toBe(false);
    expect(a.lost).toEqual([expect.stringMatching(/^the lease on aws-1 ran out at .* before a renewal succeeded$/)]);
  });

  it('rides out a renewal DynamoDB did not answer while the lease still runs, and loses it when the lease is over', async () => {
    const table = await newTable();
    const errors: unknown[] = [];
    const a = holderOn(table, 'task-a', ['aws-1'], { onRenewalError: (e) => errors.push(e) });
    const lease = await a.claim();
    // A deleted table stands in for DynamoDB being away: the request fails, not the condition.
    await dynamo.client.send(new DeleteTableCommand({ TableName: table }));
    a.time.now += 30_000;
    expect(await lease.renew()).toBe(true);
    expect(errors).toHaveLength(1);
    expect(a.lost).toEqual([]);
    a.time.now += 31_000;
    expect(await lease.renew()).toBe(false);
    expect(a.lost).toEqual([expect.stringMatching(/^the lease on aws-1 ran out at /)]);
  });

  it('refuses a renewal period that is not shorter than the lease, and an empty pool', async () => {
    const table = await newTable();
    await expect(holderOn(table, 'task-a', ['aws-1'], { renewEveryMs: 60_000 }).claim()).rejects.toThrow(/must be shorter than leaseMs/);
    await expect(holderOn(table, 'task-a', []).claim()).rejects.toThrow(/pool is empty/);
  });
});
