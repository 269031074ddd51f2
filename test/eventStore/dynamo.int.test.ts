import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent, StoredEvent } from '../../events/envelope.ts';
import {
  commitItemBytes,
  dayPartition,
  dayShardOf,
  daySortKey,
  encodeEvents,
} from '../../functions/eventStore/dynamoCommitItem.ts';
import { createDynamoEventStore, type DynamoEventStoreOptions } from '../../functions/eventStore/dynamoEventStore.ts';
import { claimKey, createEventStoreTable, DAY_SHARDS, MAX_ITEM_BYTES, META_KEY } from '../../functions/eventStore/dynamoTableDesign.ts';
import {
  AppendInFlightError,
  EventStoreError,
  InvalidAppendError,
  WrongExpectedVersionError,
  type EventStore,
} from '../../functions/eventStore/eventStore.ts';
import { manualClock } from '../../functions/shared/clock.ts';
import { testEventStore } from '../suites/eventStore.suite.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';

let dynamo: LocalDynamo | undefined;
let tables = 0;
const extraClients: DynamoDBClient[] = [];

const local = async () => (dynamo ??= await startDynalite());

const freshTable = async () => {
  const d = await local();
  const tableName = `events-${++tables}`;
  await createEventStoreTable(d.client, tableName);
  return tableName;
};

// Each suite case group gets a fresh table; the suite itself closes dynalite in dispose.
testEventStore('DynamoDB', {
  create: async () => {
    const d = await local();
    return createDynamoEventStore({ client: DynamoDBDocumentClient.from(d.client), tableName: await freshTable() });
  },
});

afterAll(async () => {
  for (const c of extraClients) c.destroy();
  await dynamo?.close();
});

/** What an injected fault does to a request: fail before sending it, or let it land and lose the answer. */
type Fault = 'before' | 'after' | (() => Promise<void>) | undefined;
interface Request {
  readonly command: string;
  readonly input: { Item?: Record<string, unknown>; ExpressionAttributeValues?: Record<string, unknown>; TableName?: string };
}

/**
 * Another process's client to the same dynalite. `fault` sees every request and may break it the way a
 * crash or a lost connection would, or run a rival write first: real races, not mocks.
 */
const processClient = (fault: (r: Request) => Fault = () => undefined) => {
  const base = new DynamoDBClient({
    endpoint: dynamo!.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'dynalite', secretAccessKey: 'dynalite' },
  });
  extraClients.push(base);
  const doc = DynamoDBDocumentClient.from(base);
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const f = fault({ command: context.commandName ?? '', input: args.input as Request['input'] });
      if (f === 'before') throw new Error('connect ECONNRESET (injected before sending)');
      if (typeof f === 'function') await f();
      const out = await next(args);
      if (f === 'after') throw new Error('socket hang up (injected after the write landed)');
      return out;
    },
    { step: 'initialize', name: 'injectFault' },
  );
  return doc;
};

const isCommitPut = (r: Request, streamId: string) => r.command === 'PutItemCommand' && r.input.Item?.pk === streamId;

const ev = (n: number, extra: Partial<NewEvent> = {}): NewEvent => ({
  eventId: randomUUID(),
  type: 'DeviceStateReported',
  typeVersion: 1,
  data: { n },
  actor: { kind: 'device', id: 'dev-1' },
  ...extra,
});

const ns = (events: readonly StoredEvent[]) => events.map((e) => (e.data as { n: number }).n);

const store = (tableName: string, options: Partial<DynamoEventStoreOptions> = {}): EventStore =>
  createDynamoEventStore({ client: processClient(), tableName, ...options });

const readEverything = async (s: EventStore, limit: number) => {
  const all: StoredEvent[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await s.readAll({ after: cursor, limit });
    if (page.events.length === 0) return { all, cursor };
    expect(page.events.length).toBeLessThanOrEqual(limit);
    all.push(...page.events);
    cursor = page.cursor;
  }
};

describe('DynamoDB event store', () => {
  let raw: DynamoDBDocumentClient;
  beforeAll(async () => {
    await local();
    raw = processClient();
  });

  describe('stored format', () => {
    it('reads a commit an older writer left (no format marker, no optional fields, a clock ahead) and never records earlier than it', async () => {
      const tableName = await freshTable();
      const streamId = 'device-legacy-1';
      const at = '2026-03-02T10:00:00.000Z';
      const old = [1, 2].map((n) => ({ eventId: `old-${n}`, type: 'DeviceStateReported', typeVersion: 1, actor: { kind: 'system', id: 'old' }, data: { n } }));
      await raw.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: streamId,
            sk: 1,
            last: 2,
            recordedAt: at,
            events: JSON.stringify(old),
            gpk: dayPartition('2026-03-02', dayShardOf(streamId)),
            gsk: daySortKey(at, streamId, 1),
          },
        }),
      );
      await raw.send(new PutCommand({ TableName: tableName, Item: { ...META_KEY, firstDay: '2026-03-02', lastDay: '2026-03-02' } }));

      // This writer's clock is an hour behind the older writer's.
      const s = store(tableName, { clock: manualClock('2026-03-02T09:00:00.000Z') });
      const r = await s.append({ streamId, expectedVersion: 2, events: [ev(3)] });
      expect(r.events[0]).toMatchObject({ streamPosition: 3, recordedAt: at });

      const read = await s.readStream(streamId);
      expect(read.map((e) => [e.eventId, e.streamPosition])).toEqual([
        ['old-1', 1],
        ['old-2', 2],
        [r.events[0]!.eventId, 3],
      ]);
      expect(read[0]).toMatchObject({ type: 'DeviceStateReported', actor: { kind: 'system', id: 'old' }, data: { n: 1 }, recordedAt: at });
      expect(read[0]).not.toHaveProperty('correlationId');
      expect(ns((await s.readAll()).events)).toEqual([1, 2, 3]);
    });

    it('reads a stream from any position across commit boundaries, both ways', async () => {
      const s = store(await freshTable());
      const streamId = 'device-commits-1';
      let n = 0;
      for (const size of [3, 1, 3, 1]) {
        await s.append({ streamId, expectedVersion: n, events: Array.from({ length: size }, () => ev(++n)) });
      }
      expect(ns(await s.readStream(streamId, { from: 2 }))).toEqual([2, 3, 4, 5, 6, 7, 8]);
      expect(ns(await s.readStream(streamId, { from: 6 }))).toEqual([6, 7, 8]);
      expect(ns(await s.readStream(streamId, { from: 5, limit: 2 }))).toEqual([5, 6]);
      expect(ns(await s.readStream(streamId, { from: 4, limit: 1 }))).toEqual([4]);
      expect(ns(await s.readStream(streamId, { from: 9 }))).toEqual([]);
      expect(ns(await s.readStream(streamId, { direction: 'backwards', from: 6, limit: 4 }))).toEqual([6, 5, 4, 3]);
      expect(ns(await s.readStream(streamId, { direction: 'backwards', limit: 2 }))).toEqual([8, 7]);
      await expect(s.readStream(streamId, { from: 1.5 })).rejects.toThrow(/must be integers >= 0/);
      expect(await s.readStream('$meta')).toEqual([]);
    });

    it('refuses commits it cannot read with an error naming the item and what to do', async () => {
      const tableName = await freshTable();
      const s = store(tableName);
      const item = { recordedAt: '2026-01-01T00:00:00.000Z', last: 1, events: JSON.stringify([{ eventId: 'x', type: 't', typeVersion: 1, actor: { kind: 'system', id: 's' }, data: 1 }]) };
      await raw.send(new PutCommand({ TableName: tableName, Item: { ...item, pk: 'device-newer', sk: 1, fmt: 2 } }));
      await raw.send(new PutCommand({ TableName: tableName, Item: { ...item, pk: 'device-broken', sk: 1, events: '[{"eventId":' } }));
      await raw.send(new PutCommand({ TableName: tableName, Item: { ...item, pk: 'device-lying', sk: 1, last: 5 } }));

      await expect(s.readStream('device-newer')).rejects.toThrow(/device-newer@1 has format 2, newer than this code reads \(1\): deploy the newer adapter/);
      await expect(s.readStream('device-broken')).rejects.toThrow(/device-broken@1 has an "events" attribute that is not valid JSON/);
      await expect(s.readStream('device-lying')).rejects.toThrow(/last position is 5 but holds 1 events/);
      await expect(s.readStream('device-broken')).rejects.toBeInstanceOf(EventStoreError);
    });

    it('keeps an append under the 400 KB item limit: refuses a bigger one before writing anything, and stores one just under it', async () => {
      const tableName = await freshTable();
      const s = store(tableName);
      const streamId = 'device-big-1';
      const big = [ev(1, { data: { n: 1, blob: 'x'.repeat(210_000) } }), ev(2, { data: { n: 2, blob: 'y'.repeat(210_000) } })];

      const refused = s.append({ streamId, expectedVersion: 0, events: big });
      await expect(refused).rejects.toBeInstanceOf(InvalidAppendError);
      await expect(s.append({ streamId, expectedVersion: 0, events: big })).rejects.toThrow(
        /Append to device-big-1 \(2 events\) needs a 420\d{3}-byte DynamoDB item; the limit is 409600 bytes/,
      );
      expect(await s.streamVersion(streamId)).toBe(0);
      // No claim was left behind: the same ids with smaller data go in.
      const small = big.map((e, i) => ({ ...e, data: { n: i + 1 } }));
      expect((await s.append({ streamId, expectedVersion: 0, events: small })).status).toBe('appended');

      // Fill an item to within 16 bytes of the limit: DynamoDB (dynalite) must accept what we let through.
      const other = 'device-big-2';
      const shape = [ev(1, { data: { n: 1, blob: '' } }), ev(2, { data: { n: 2, blob: '' } })];
      const json = (events: NewEvent[]) => encodeEvents(events, events.map((e) => JSON.stringify(e.data)));
      const room = MAX_ITEM_BYTES - 16 - commitItemBytes(other, json(shape));
      const nearly = shape.map((e, i) => ({ ...e, data: { n: i + 1, blob: 'z'.repeat(Math.floor(room / 2)) } }));
      expect(commitItemBytes(other, json(nearly))).toBeGreaterThan(MAX_ITEM_BYTES - 18);
      expect((await s.append({ streamId: other, expectedVersion: 0, events: nearly })).status).toBe('appended');
      const back = await s.readStream(other);
      expect((back[1]!.data as { blob: string }).blob).toHaveLength(Math.floor(room / 2));
    });
  });

  describe('crashed writers', () => {
    it('finds an event a writer committed before it crashed unconfirmed: waits while its claim is live, then reports a duplicate', async () => {
      const tableName = await freshTable();
      const clock = manualClock('2026-05-01T12:00:00.000Z');
      const streamId = 'device-crash-1';
      const healthy = store(tableName, { clock, inFlightWaitMs: 150 });
      await healthy.append({ streamId, expectedVersion: 0, events: [ev(1), ev(2)] });

      // The commit lands; the writer never hears back and never confirms its claim.
      const crashing = createDynamoEventStore({ client: processClient((r) => (isCommitPut(r, streamId) ? 'after' : undefined)), tableName, clock });
      const lost = ev(3);
      await expect(crashing.append({ streamId, expectedVersion: 'any', events: [lost] })).rejects.toThrow(/socket hang up/);
      await healthy.append({ streamId, expectedVersion: 3, events: [ev(4)] }); // the stream moves on past the orphan
      const claim = await raw.send(new GetCommand({ TableName: tableName, Key: claimKey(lost.eventId) }));
      expect(claim.Item).toMatchObject({ state: 'pending', headAtClaim: 2 });

      // The redelivery arrives while the crashed writer's lease still runs: it cannot know yet.
      await expect(healthy.append({ streamId, expectedVersion: 'any', events: [lost] })).rejects.toBeInstanceOf(AppendInFlightError);

      clock.advance(31_000);
      const redelivered = await healthy.append({ streamId, expectedVersion: 'any', events: [lost] });
      expect(redelivered.status).toBe('duplicate');
      expect(redelivered.events.map((e) => [e.eventId, e.streamPosition])).toEqual([[lost.eventId, 3]]);
      expect(ns(await healthy.readStream(streamId))).toEqual([1, 2, 3, 4]);
      const fixed = await raw.send(new GetCommand({ TableName: tableName, Key: claimKey(lost.eventId) }));
      expect(fixed.Item).toMatchObject({ state: 'committed', position: 3, streamId });
      // With the claim confirmed, a stale-version redelivery is a duplicate at once.
      expect((await healthy.append({ streamId, expectedVersion: 0, events: [lost] })).status).toBe('duplicate');
    });

    it('takes over the claim of a writer that crashed before committing, once its lease ran out, and appends the event once', async () => {
      const tableName = await freshTable();
      const clock = manualClock('2026-05-01T12:00:00.000Z');
      const streamId = 'device-crash-2';
      const crashing = createDynamoEventStore({ client: processClient((r) => (isCommitPut(r, streamId) ? 'before' : undefined)), tableName, clock });
      const e = ev(1);
      await expect(crashing.append({ streamId, expectedVersion: 0, events: [e] })).rejects.toThrow(/ECONNRESET/);
      expect(await crashing.streamVersion(streamId)).toBe(0);

      const healthy = store(tableName, { clock, inFlightWaitMs: 100 });
      await expect(healthy.append({ streamId, expectedVersion: 0, events: [e] })).rejects.toBeInstanceOf(AppendInFlightError);
      clock.advance(30_001);
      const r = await healthy.append({ streamId, expectedVersion: 0, events: [e] });
      expect(r.status).toBe('appended');
      expect((await healthy.readStream(streamId)).map((x) => x.eventId)).toEqual([e.eventId]);
      expect((await raw.send(new GetCommand({ TableName: tableName, Key: claimKey(e.eventId) }))).Item).toMatchObject({ state: 'committed', position: 1 });
    });
  });

  describe('writers in one process', () => {
    it('take turns on a stream, so concurrent appends lose no races and waste no writes', async () => {
      const tableName = await freshTable();
      const streamId = 'device-busy-1';
      let commitPuts = 0;
      const s = createDynamoEventStore({
        client: processClient((r) => {
          if (isCommitPut(r, streamId)) commitPuts++;
          return undefined;
        }),
        tableName,
      });
      const results = await Promise.all(Array.from({ length: 25 }, (_, i) => s.append({ streamId, expectedVersion: 'any', events: [ev(i)] })));
      expect(results.map((r) => r.nextExpectedVersion).sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      expect(commitPuts).toBe(25);
    });
  });

  describe('writers in separate processes', () => {
    it('resolves real races between processes: every event once, each redelivery a duplicate, no gaps', async () => {
      const tableName = await freshTable();
      const streamId = 'device-shared-1';
      const processes = Array.from({ length: 4 }, () => store(tableName));
      const events = Array.from({ length: 20 }, (_, i) => ev(i));
      // Each event reaches two different processes at once, as an at-least-once transport would.
      const results = await Promise.all(
        events.flatMap((e, i) => [0, 1].map((k) => processes[(i + k) % processes.length]!.append({ streamId, expectedVersion: 'any', events: [e] }))),
      );
      expect(results.filter((r) => r.status === 'duplicate')).toHaveLength(20);
      const read = await processes[0]!.readStream(streamId);
      expect(read.map((e) => e.streamPosition)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(new Set(read.map((e) => e.eventId))).toEqual(new Set(events.map((e) => e.eventId)));
      const times = read.map((e) => e.recordedAt);
      expect([...times].sort()).toEqual(times);
    });

    it('retries an "any" append that loses its position, gives up after the bound with a clear error, and frees its event ids', async () => {
      const tableName = await freshTable();
      const streamId = 'device-contended-1';
      const rival = store(tableName);
      let interfere = 0;
      // Just before each of our commits, a rival process takes the position we read.
      const unlucky = createDynamoEventStore({
        client: processClient((r) =>
          isCommitPut(r, streamId) && interfere > 0
            ? async () => {
                interfere--;
                await rival.append({ streamId, expectedVersion: 'any', events: [ev(100)] });
              }
            : undefined,
        ),
        tableName,
        maxAnyAttempts: 3,
      });

      interfere = 1;
      const once = await unlucky.append({ streamId, expectedVersion: 'any', events: [ev(1)] });
      expect(once.nextExpectedVersion).toBe(2);
      expect(ns(await rival.readStream(streamId))).toEqual([100, 1]);

      interfere = 3;
      const e = ev(2);
      await expect(unlucky.append({ streamId, expectedVersion: 'any', events: [e] })).rejects.toThrow(
        /Append to device-contended-1 lost its position to other writers 3 times in a row/,
      );
      expect(ns(await rival.readStream(streamId))).toEqual([100, 1, 100, 100, 100]);
      expect((await rival.append({ streamId, expectedVersion: 'any', events: [e] })).status).toBe('appended');

      // With a numeric expected version, losing the position is a conflict that names the winner's version.
      interfere = 1;
      const attempt = unlucky.append({ streamId, expectedVersion: 6, events: [ev(3)] });
      await expect(attempt).rejects.toBeInstanceOf(WrongExpectedVersionError);
      await expect(attempt).rejects.toMatchObject({ expected: 6, actual: 7 });
    });
  });

  describe('readAll', () => {
    it('walks day buckets and shards in time order, keeps each stream in order, and pages exactly, even mid-commit', async () => {
      const tableName = await freshTable();
      const clock = manualClock();
      const s = store(tableName, { clock });
      const streams = Array.from({ length: 16 }, (_, i) => `device-r${i}`);
      const shards = new Set(streams.map(dayShardOf)).size;
      expect(shards).toBeGreaterThanOrEqual(5);

      const written: StoredEvent[] = [];
      let n = 0;
      // The first round crosses midnight, the next day stays empty, the last round is on the day after;
      // several streams share each millisecond.
      for (const start of ['2026-04-01T23:59:59.997Z', '2026-04-04T08:00:00.000Z']) {
        clock.set(start);
        for (const [i, streamId] of streams.entries()) {
          if (i % 3 === 0) clock.advance(1);
          const count = (i % 3) + 1;
          written.push(...(await s.append({ streamId, expectedVersion: 'any', events: Array.from({ length: count }, () => ev(++n)) })).events);
        }
      }
      // A writer whose clock is two days behind records the earliest commits.
      const behind = store(tableName, { clock: manualClock('2026-03-30T08:00:00.000Z') });
      const early = (await behind.append({ streamId: 'device-early', expectedVersion: 0, events: [ev(0), ev(-1)] })).events;

      const paged = await readEverything(s, 5);
      const whole = await s.readAll({ limit: 1000 });
      expect(paged.all.map((e) => e.eventId)).toEqual(whole.events.map((e) => e.eventId));
      expect(paged.all).toHaveLength(written.length + 2);
      expect(paged.all.slice(0, 2).map((e) => e.eventId)).toEqual(early.map((e) => e.eventId));
      for (const streamId of streams) {
        const mine = paged.all.filter((e) => e.streamId === streamId);
        expect(mine.map((e) => e.streamPosition)).toEqual(mine.map((_, i) => i + 1));
      }
      const times = paged.all.map((e) => e.recordedAt);
      expect([...times].sort()).toEqual(times);
      expect(new Set(times.map((t) => t.slice(0, 10)))).toEqual(new Set(['2026-03-30', '2026-04-01', '2026-04-02', '2026-04-04']));

      // One day's commits really are spread over the index partitions.
      const perShard = await Promise.all(
        Array.from({ length: DAY_SHARDS }, (_, shard) =>
          raw.send(
            new QueryCommand({ TableName: tableName, IndexName: 'byDay', KeyConditionExpression: 'gpk = :p', ExpressionAttributeValues: { ':p': dayPartition('2026-04-04', shard) } }),
          ),
        ),
      );
      expect(perShard.filter((r) => (r.Items ?? []).length > 0)).toHaveLength(shards);

      // Resuming from the last cursor finds exactly what came later, and nothing twice.
      clock.set('2026-04-05T10:00:00.000Z');
      const later = await s.append({ streamId: streams[3]!, expectedVersion: 'any', events: [ev(1000), ev(1001), ev(1002)] });
      const first = await s.readAll({ after: paged.cursor, limit: 2 });
      const rest = await s.readAll({ after: first.cursor, limit: 2 });
      expect([...first.events, ...rest.events].map((e) => e.eventId)).toEqual(later.events.map((e) => e.eventId));
      const none = await s.readAll({ after: rest.cursor, limit: 2 });
      expect(none).toEqual({ events: [], cursor: rest.cursor });
    });

    it('says so when a cursor or limit is not one it can use', async () => {
      const s = store(await freshTable());
      await expect(s.readAll({ after: 'v1.bm90IGpzb24' })).rejects.toThrow(/Cursor "v1.bm90IGpzb24" is not one this store issued/);
      await expect(s.readAll({ after: '42' })).rejects.toBeInstanceOf(EventStoreError);
      await expect(s.readAll({ limit: -1 })).rejects.toThrow(/limit -1 must be an integer >= 0/);
      expect(await s.readAll()).toEqual({ events: [], cursor: undefined });
    });
  });

  describe('appendBatch', () => {
    it('keeps each stream in request order with fewer lanes than streams', async () => {
      const s = store(await freshTable(), { batchConcurrency: 2 });
      const requests = Array.from({ length: 20 }, (_, i) => ({ streamId: `device-b${i % 5}`, expectedVersion: Math.floor(i / 5), events: [ev(i)] }));
      const outcomes = await s.appendBatch(requests);
      expect(outcomes.map((o) => o.ok && o.result.nextExpectedVersion)).toEqual(requests.map((r) => r.expectedVersion + 1));
      expect(ns(await s.readStream('device-b2'))).toEqual([2, 7, 12, 17]);
    });

    it('rejects on a network error instead of reporting it as an outcome, after the requests under way settled', async () => {
      const tableName = await freshTable();
      const s = createDynamoEventStore({
        client: processClient((r) => (r.command === 'QueryCommand' && r.input.ExpressionAttributeValues?.[':s'] === 'device-unreachable' ? 'before' : undefined)),
        tableName,
      });
      const batch = s.appendBatch([
        { streamId: 'device-fine', expectedVersion: 'any', events: [ev(1)] },
        { streamId: 'device-unreachable', expectedVersion: 'any', events: [ev(2)] },
      ]);
      await expect(batch).rejects.toThrow(/ECONNRESET/);
      // The request already under way finished before the batch failed: nothing writes behind the caller's back.
      expect(await s.streamVersion('device-fine')).toBe(1);
    });
  });

  describe('table design', () => {
    it('accepts an existing event store table and refuses one with other keys', async () => {
      const d = await local();
      const tableName = await freshTable();
      await expect(createEventStoreTable(d.client, tableName)).resolves.toBeUndefined();
      await d.client.send(
        new CreateTableCommand({
          TableName: 'not-an-event-store',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        }),
      );
      await expect(createEventStoreTable(d.client, 'not-an-event-store')).rejects.toThrow(/exists with other keys or indexes than the event store needs/);
    });
  });
});
