import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { TooManyRequestsException, type InvokeCommand, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent, StoredEvent } from '../../events/envelope.ts';
import { installApiAccess } from '../../functions/api/auth/apiAccess.ts';
import { projectionBackfillRoutes, type BackfillFunction } from '../../functions/api/projections/projectionBackfillRoutes.ts';
import { lambdaAsyncInvoker, type LambdaSender } from '../../functions/lambda/lambdaAsyncInvoke.ts';
import { createDynamoEventStore } from '../../functions/eventStore/dynamoEventStore.ts';
import { createEventStoreTable } from '../../functions/eventStore/dynamoTableDesign.ts';
import type { EventStore } from '../../functions/eventStore/eventStore.ts';
import { openSqlite, type SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { createDynamoProjector, type ProjectionTable } from '../../functions/projections/dynamoProjectionTables.ts';
import { projectionCreateTableInput, rowOfItem } from '../../functions/projections/dynamoProjectionRows.ts';
import { createDynamoRebuild, RebuildInterruptedError, type RebuildProgress } from '../../functions/projections/dynamoRebuild.ts';
import {
  ContinuationFailedError,
  InvalidRebuildRequestError,
  rebuildInvocation,
  type RebuildAnswer,
  type RebuildContext,
  type RebuildSummary,
} from '../../functions/projections/dynamoRebuildRequest.ts';
import { createProjectionEngine } from '../../functions/projections/projectionEngine.ts';
import type { ProjectionStore } from '../../functions/projections/projectionStore.ts';
import { PROJECTION_TABLES, type ProjectionTableName } from '../../functions/projections/projectionTableDesign.ts';
import { createSqliteProjectionStore } from '../../functions/projections/sqliteProjectionStore.ts';
import { manualClock } from '../../functions/shared/clock.ts';
import { deviceLife } from '../deviceViews/support.ts';
import { createTestCognitoPool } from '../support/cognitoPool.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { newEvent } from '../support/events.ts';

// The AWS backfill of a projection table against the embedded fold of the same events: the events
// are appended to the DynamoDB event store (dynalite) and to a SQLite store, the SQLite engine folds
// them, and every DynamoDB table rebuilt page by page must hold exactly the engine's rows.
const dir = mkdtempSync(join(tmpdir(), 'rebuild-projection-'));
const START = '2026-05-01T08:00:00.000Z';
const NAMES = Object.keys(PROJECTION_TABLES) as ProjectionTableName[];
let dynamo: LocalDynamo;
let doc: DynamoDBDocumentClient;
let db: SqliteDatabase;
let awsEvents: EventStore;
let embeddedRows: ProjectionStore;
const stored: StoredEvent[] = [];
let tableCount = 0;

const operator = { actor: { kind: 'user' as const, id: 'ada@example.com', role: 'operator' as const } };

/** Commands, registrations and a deprovisioning beside the device lives: every projection gets rows. */
const extraAppends = (): { streamId: string; events: NewEvent[] }[] => [
  ...['meter-1', 'meter-2'].map((thingName, i) => ({
    streamId: `device-${thingName}`,
    events: [
      newEvent('DeviceRegistered', {
        thingName,
        endpoint: thingName,
        bridgeId: `b-${i + 1}`,
        lwm2mVersion: '1.1',
        lifetimeSeconds: 300,
        bindingMode: 'UQ',
        queueMode: true,
        objectLinks: '</3/0>,</18830>',
        registeredAt: START,
      }),
    ],
  })),
  ...['c-1', 'c-2', 'c-3'].map((commandId, i) => ({
    streamId: `command-${commandId}`,
    events: [
      newEvent('CommandRequested', { commandId, thingName: 'meter-1', operation: 'read', path: '/3/0/0', expiresAt: `2026-05-01T09:0${i}:00.000Z` }, operator),
      newEvent('CommandPublished', { commandId, thingName: 'meter-1', bridgeId: 'b-1', queueMode: false, topic: `cmd/lwm2m/meter-1/req/${commandId}` }),
    ],
  })),
  { streamId: 'device-meter-3', events: [newEvent('DeviceDeprovisioned', { thingName: 'meter-3', reason: 'pole replaced' })] },
];

beforeAll(async () => {
  dynamo = await startDynalite();
  doc = DynamoDBDocumentClient.from(dynamo.client);
  await createEventStoreTable(dynamo.client, 'events');
  // One clock per store, moved together: both record the same times, which some rows carry.
  const awsClock = manualClock(START);
  const localClock = manualClock(START);
  awsEvents = createDynamoEventStore({ client: doc, tableName: 'events', clock: awsClock });
  db = openSqlite({ file: join(dir, 'fleet.db'), synchronous: 'NORMAL' });
  const localEvents = createSqliteEventStore(db, localClock);
  embeddedRows = createSqliteProjectionStore(db);

  const appends: { streamId: string; events: readonly NewEvent[]; advanceMs: number }[] = [];
  const lives = ['meter-1', 'meter-2', 'meter-3'].map((thing, i) => deviceLife(thing, 6, 100 + i, Date.parse(START)));
  for (let step = 0; lives.some((l) => step < l.length); step++) {
    lives.forEach((life, i) => {
      const s = life[step];
      if (s) appends.push({ streamId: `device-meter-${i + 1}`, events: s.events, advanceMs: s.advanceMs });
    });
  }
  for (const a of extraAppends()) appends.push({ ...a, advanceMs: 500 });
  for (const a of appends) {
    for (const clock of [awsClock, localClock]) clock.advance(a.advanceMs);
    stored.push(...(await awsEvents.append({ streamId: a.streamId, expectedVersion: 'any', events: a.events })).events);
    await localEvents.append({ streamId: a.streamId, expectedVersion: 'any', events: a.events });
  }
  const engine = createProjectionEngine({ events: localEvents, store: embeddedRows, projections: NAMES.map((n) => PROJECTION_TABLES[n].projection) });
  await engine.settled();
  await engine.stop();
}, 60_000);

afterAll(async () => {
  await awsEvents?.close();
  await dynamo?.close();
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

const createTable = async (name: ProjectionTableName): Promise<ProjectionTable> => {
  const tableName = `${name}-${++tableCount}`;
  await dynamo.client.send(new CreateTableCommand(projectionCreateTableInput(tableName, PROJECTION_TABLES[name])));
  return { ...PROJECTION_TABLES[name], tableName };
};

/** Every item of a table, raw (markers and revisions included), by key. */
const items = async (tableName: string): Promise<Map<string, Record<string, unknown>>> => {
  const out = new Map<string, Record<string, unknown>>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: tableName, ...(start ? { ExclusiveStartKey: start } : {}) }));
    for (const item of page.Items ?? []) out.set(String(item.pk), item);
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
};

/** The rows a table holds (tombstones left out), as the read adapters see them. */
const rowsOf = async (table: ProjectionTable): Promise<Record<string, unknown>> => {
  const out: Record<string, unknown> = {};
  for (const [key, item] of await items(table.tableName)) {
    const row = rowOfItem(item, table.tableName);
    if (row !== undefined) out[key] = row;
  }
  return out;
};

const embeddedOf = (name: ProjectionTableName): Record<string, unknown> => Object.fromEntries(embeddedRows.allRows(PROJECTION_TABLES[name].projection.name));

/** Invokes the operator's entry as Lambda would, with `pages` pages of time per invocation, until done. */
const invokeUntilDone = async (table: ProjectionTable, name: ProjectionTableName, pageSize: number, pagesPerInvocation: number) => {
  const handler = rebuildInvocation({ projection: name, rebuild: (_name, size) => createDynamoRebuild({ events: awsEvents, client: doc, table, ...(size === undefined ? {} : { pageSize: size }) }) });
  const answers: RebuildAnswer[] = [];
  let payload: unknown = { projection: name, pageSize };
  for (let i = 0; i < 500; i++) {
    let asked = 0;
    // Plenty of time until this invocation has folded its pages, then under the reserve.
    const context = { getRemainingTimeInMillis: () => (++asked < pagesPerInvocation ? 600_000 : 1_000) };
    const answer = await handler(payload, context);
    answers.push(answer);
    if (answer.done) return answers;
    expect(answer.next).toBeDefined();
    payload = answer.next;
  }
  throw new Error('the rebuild never reported done');
};

const total = (answers: readonly RebuildProgress[], field: 'eventsRead' | 'rowsWritten' | 'rowsUnchanged' | 'unreadable') => answers.reduce((sum, a) => sum + a[field], 0);

describe('rebuilding a projection table on DynamoDB from the event store', () => {
  it('has events for every projection, including an upcast and an unreadable one', () => {
    expect(stored.length).toBeGreaterThan(100);
    for (const name of NAMES) expect({ name, rows: Object.keys(embeddedOf(name)).length > 0 }).toEqual({ name, rows: true });
  });

  it.each(NAMES)('fills an empty %s table in several invocations with the rows the embedded engine folds', async (name) => {
    const table = await createTable(name);
    const answers = await invokeUntilDone(table, name, 17, 2);
    expect(answers.length).toBeGreaterThan(2);
    expect(total(answers, 'eventsRead')).toBe(stored.length);
    expect(total(answers, 'unreadable')).toBe(3); // one event of version 99 per device life
    expect(total(answers, 'rowsWritten')).toBeGreaterThan(0);
    // A fresh table: every row a page touched was written.
    expect(total(answers, 'rowsUnchanged')).toBe(0);
    expect(await rowsOf(table)).toEqual(embeddedOf(name));
  });

  it('changes nothing when run again over a complete table, and says so in its counts', async () => {
    const table = await createTable('alarms');
    const rebuild = createDynamoRebuild({ events: awsEvents, client: doc, table, pageSize: 40 });
    const first = await rebuild();
    expect(first).toMatchObject({ done: true, eventsRead: stored.length });
    const before = await items(table.tableName);
    const second = await rebuild();
    expect(second).toMatchObject({ done: true, eventsRead: stored.length, rowsWritten: 0 });
    expect(second.rowsUnchanged).toBeGreaterThanOrEqual(before.size);
    // Not one item was written: revisions and markers are the same.
    expect(await items(table.tableName)).toEqual(before);
  });

  it('backfills a table emptied after the stream projector had filled it (a table replaced by a deploy)', async () => {
    const old = await createTable('directory');
    const live = createDynamoProjector({ client: doc, tables: [old] });
    expect((await live.project(stored)).failures).toEqual([]);
    // A deploy that replaces a table creates a new, empty one (CloudFormation names it anew) and
    // deletes the old one; the stream projector has already folded every event into the old table.
    // (Deleting and re-creating one name races dynalite's asynchronous delete under load.)
    const table = await createTable('directory');
    await dynamo.client.send(new DeleteTableCommand({ TableName: old.tableName }));
    expect(await rowsOf(table)).toEqual({});
    const answers = await invokeUntilDone(table, 'directory', 25, 1);
    expect(answers.length).toBeGreaterThan(3);
    expect(await rowsOf(table)).toEqual(embeddedOf('directory'));
  });

  it.each(['deviceState', 'alarms', 'commandAudit'] as const)('ends with the same %s rows when the stream projector folds the same events meanwhile', async (name) => {
    const table = await createTable(name);
    const stream = createDynamoProjector({ client: doc, tables: [table] });
    // The stream Lambda: one stream's events per batch, a failed batch retried from its start.
    const byStream = new Map<string, StoredEvent[]>();
    for (const e of stored) byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e]);
    const batches = [...byStream.values()].flatMap((events) => Array.from({ length: Math.ceil(events.length / 9) }, (_, i) => events.slice(i * 9, i * 9 + 9)));
    const streamProjector = async () => {
      for (const batch of batches) {
        while ((await stream.project(batch)).failures.length > 0);
      }
    };
    const rebuild = createDynamoRebuild({ events: awsEvents, client: doc, table, pageSize: 7, retryDelayMs: 1 });
    const rebuilding = async () => {
      const runs: RebuildProgress[] = [];
      let cursor: string | undefined;
      for (let run = 0; run < 500; run++) {
        let pages = 0;
        const progress = await rebuild({ cursor, hasTimeForPage: () => ++pages < 3 });
        runs.push(progress);
        if (progress.done) return runs;
        cursor = progress.cursor;
      }
      throw new Error('the rebuild never reported done');
    };
    const [runs] = await Promise.all([rebuilding(), streamProjector()]);
    expect(total(runs, 'eventsRead')).toBe(stored.length);
    expect(await rowsOf(table)).toEqual(embeddedOf(name));
    // Both wrote: the rebuild found some rows already complete (or the stream found them so).
    expect(total(runs, 'rowsWritten') + total(runs, 'rowsUnchanged')).toBeGreaterThan(0);
    // And a rebuild after both changes nothing.
    const before = await items(table.tableName);
    expect((await rebuild()).rowsWritten).toBe(0);
    expect(await items(table.tableName)).toEqual(before);
  });
});

describe('the operator request', () => {
  const handlerFor = (table: ProjectionTable) =>
    rebuildInvocation({ projection: 'alarms', rebuild: (_name, size) => createDynamoRebuild({ events: awsEvents, client: doc, table, ...(size === undefined ? {} : { pageSize: size }) }) });
  const roomy = { getRemainingTimeInMillis: () => 600_000 };

  it('refuses a request for another projection than the function writes, naming the one to invoke', async () => {
    const table = await createTable('alarms');
    await expect(handlerFor(table)({ projection: 'directory' }, roomy)).rejects.toThrow(/rebuilds alarms, not directory: invoke the rebuild function of directory \(stack output RebuildDirectoryFunction\)/);
    expect(await items(table.tableName)).toEqual(new Map());
  });

  it('fails every invocation of a function configured for a projection that does not exist, saying what to fix', async () => {
    const misconfigured = rebuildInvocation({ projection: 'registry-test', rebuild: () => () => Promise.reject(new Error('must not run')) });
    await expect(misconfigured({ projection: 'alarms' }, roomy)).rejects.toThrow(/configured for projection "registry-test", which is not one of deviceState, .*: fix the CDK app/);
  });

  it('refuses unknown projections, fields and page sizes with what to send instead', async () => {
    const handler = handlerFor(await createTable('alarms'));
    const invalid = [{ projection: 'nope' }, { projection: 'alarms', pageSize: 0 }, { projection: 'alarms', pageSize: 1001 }, { projection: 'alarms', extra: 1 }, 'alarms', null, { projection: 'alarms', cursor: '' }];
    for (const payload of invalid) {
      const error = await handler(payload, roomy).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidRebuildRequestError);
      expect(String((error as Error).message)).toMatch(/Send \{"projection": one of deviceState, alarms, directory, rejections, deviceSessions, commandAudit/);
    }
  });

  it('stops at a cursor the store never issued with the cursor to resume from, having written nothing', async () => {
    const table = await createTable('alarms');
    const error = await handlerFor(table)({ projection: 'alarms', cursor: 'v1.bm90LWEtY3Vyc29y' }, roomy).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RebuildInterruptedError);
    expect((error as RebuildInterruptedError).resumeCursor).toBe('v1.bm90LWEtY3Vyc29y');
    expect((error as Error).message).toMatch(/is not one this store issued.*invoke again with cursor/);
    expect(await items(table.tableName)).toEqual(new Map());
  });

  it('answers the last cursor and no next request once the store is read to its end', async () => {
    const table = await createTable('rejections');
    const answer = await rebuildInvocation({ projection: 'rejections', rebuild: () => createDynamoRebuild({ events: awsEvents, client: doc, table }) })({ projection: 'rejections' }, roomy);
    expect(answer).toMatchObject({ projection: 'rejections', done: true, pages: 1, eventsRead: stored.length });
    expect(answer.next).toBeUndefined();
    expect(answer.cursor).toMatch(/^v1\./);
    // Continuing from that cursor later reads only what was appended since: here, nothing.
    const again = await rebuildInvocation({ projection: 'rejections', rebuild: () => createDynamoRebuild({ events: awsEvents, client: doc, table }) })({ projection: 'rejections', cursor: answer.cursor }, roomy);
    expect(again).toMatchObject({ done: true, pages: 0, eventsRead: 0, rowsWritten: 0, cursor: answer.cursor });
  });
});

/**
 * Lambda as a self-invoking rebuild function meets it, at the SDK's `send`: each InvokeCommand is
 * recorded as sent, answered 202 as the Invoke API answers InvocationType Event, and its payload
 * queued; `runQueued` then runs the queued events one after another, as Lambda would.
 */
class QueuedLambda {
  readonly sent: InvokeCommand[] = [];
  readonly queue: { functionName: string; payload: unknown }[] = [];
  failNext: Error | undefined;
  readonly client: LambdaSender = {
    send: (command: InvokeCommand): Promise<InvokeCommandOutput> => {
      this.sent.push(command);
      const failure = this.failNext;
      this.failNext = undefined;
      if (failure) return Promise.reject(failure);
      const payload = JSON.parse(new TextDecoder().decode(command.input.Payload as Uint8Array)) as unknown;
      this.queue.push({ functionName: command.input.FunctionName!, payload });
      return Promise.resolve({ $metadata: { httpStatusCode: 202 }, StatusCode: 202 });
    },
  };
}

const FUNCTION_NAME = 'LwM2MFleet-ProjectionRebuildDirectoryFunction-AbC123';

/** The function's context with time for `pages` pages (the reserve is crossed at the next ask). */
const budgetOf = (pages: number): RebuildContext => {
  let asked = 0;
  return { functionName: FUNCTION_NAME, getRemainingTimeInMillis: () => (++asked < pages ? 600_000 : 1_000) };
};

describe('running unattended (continue), as POST /projections/:name/rebuild starts it', () => {
  const chainFor = (table: ProjectionTable, lambda: QueuedLambda, logs: RebuildSummary[]) =>
    rebuildInvocation({
      projection: 'directory',
      rebuild: (_name, size) => createDynamoRebuild({ events: awsEvents, client: doc, table, pageSize: size ?? 11 }),
      invokeAsync: lambdaAsyncInvoker(lambda.client),
      log: (summary) => logs.push(summary),
    });

  /** Runs what Lambda has queued, each event with time for `pages` pages, until nothing is queued. */
  const runQueued = async (lambda: QueuedLambda, handler: ReturnType<typeof chainFor>, pages: number) => {
    const answers: RebuildAnswer[] = [];
    for (let event = lambda.queue.shift(); event; event = lambda.queue.shift()) {
      expect(event.functionName).toBe(FUNCTION_NAME);
      answers.push(await handler(event.payload, budgetOf(pages)));
      if (answers.length > 500) throw new Error('the chain never ended');
    }
    return answers;
  };

  it('folds the whole store across several self-invocations started by the API route, ending with the embedded rows', async () => {
    const table = await createTable('directory');
    const lambda = new QueuedLambda();
    const logs: RebuildSummary[] = [];
    // The API route, with the access hook it runs behind on AWS, starting this table's function.
    const pool = await createTestCognitoPool({ region: 'eu-west-1', userPoolId: 'eu-west-1_Chain0001', clientId: 'chainclient01' });
    const app = Fastify({ logger: false });
    installApiAccess(app, { verifier: pool.verifier });
    const functions = Object.fromEntries(NAMES.map((n) => [n, { functionName: n === 'directory' ? FUNCTION_NAME : `other-${n}`, logGroup: `logs-${n}` }])) as Record<ProjectionTableName, BackfillFunction>;
    await app.register(projectionBackfillRoutes({ functions, invokeAsync: lambdaAsyncInvoker(lambda.client), clock: manualClock(START), newRunId: () => 'r-chain-1' }));
    const started = await app.inject({ method: 'POST', url: '/projections/devices/rebuild?replace=true', headers: { authorization: `Bearer ${await pool.token(['admin'])}` } });
    await app.close();
    expect(started.statusCode, started.body).toBe(202);
    expect(lambda.queue).toHaveLength(1);

    // 11 events a page, 2 pages an invocation: the store needs several.
    const answers = await runQueued(lambda, chainFor(table, lambda, logs), 2);
    expect(answers.length).toBeGreaterThan(3);
    expect(answers.slice(0, -1).every((a) => a.pages === 2)).toBe(true);
    expect(answers.slice(0, -1).every((a) => a.continued === true && !a.done)).toBe(true);
    expect(answers.at(-1)).toMatchObject({ done: true });
    expect(answers.at(-1)!.continued).toBeUndefined();
    expect(total(answers, 'eventsRead')).toBe(stored.length);
    expect(await rowsOf(table)).toEqual(embeddedOf('directory'));

    // Every invoke as the Invoke API documents it: the function itself, InvocationType Event, JSON bytes that keep the flag and the run.
    expect(lambda.sent).toHaveLength(answers.length);
    for (const command of lambda.sent) {
      expect(command.input).toMatchObject({ FunctionName: FUNCTION_NAME, InvocationType: 'Event' });
      expect(command.input.Payload).toBeInstanceOf(Uint8Array);
    }
    const payloads = lambda.sent.map((c) => JSON.parse(new TextDecoder().decode(c.input.Payload as Uint8Array)) as Record<string, unknown>);
    expect(payloads[0]).toEqual({ projection: 'directory', continue: true, runId: 'r-chain-1', startedBy: 'ada-sub' });
    payloads.slice(1).forEach((p, i) => {
      expect(p).toEqual({ projection: 'directory', continue: true, runId: 'r-chain-1', startedBy: 'ada-sub', cursor: answers[i]!.cursor, invocation: i + 2 });
    });

    // One summary line per invocation, each going on where the previous one stopped.
    expect(logs.map((l) => [l.invocation, l.outcome])).toEqual(answers.map((_, i) => [i + 1, i === answers.length - 1 ? 'done' : 'continued']));
    expect(logs.every((l) => l.runId === 'r-chain-1' && l.startedBy === 'ada-sub' && l.projection === 'directory')).toBe(true);
    logs.slice(1).forEach((l, i) => expect(l.startCursor).toBe(logs[i]!.cursor));
    expect(logs.reduce((sum, l) => sum + (l.eventsRead ?? 0), 0)).toBe(stored.length);
  });

  it('fails an invocation whose next one could not be started with the cursor to continue from; Lambda’s retry of it writes nothing twice and goes on to the end', async () => {
    const table = await createTable('directory');
    const lambda = new QueuedLambda();
    const logs: RebuildSummary[] = [];
    const handler = chainFor(table, lambda, logs);
    const first = await handler({ projection: 'directory', continue: true, runId: 'r-retry-1' }, budgetOf(3));
    expect(first.continued).toBe(true);
    const event = lambda.queue.shift()!;

    lambda.failNext = new TooManyRequestsException({ message: 'Rate Exceeded.', $metadata: { httpStatusCode: 429 }, Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
    const error = await handler(event.payload, budgetOf(3)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ContinuationFailedError);
    const failed = logs.at(-1)!;
    expect(failed).toMatchObject({ outcome: 'failed', invocation: 2, runId: 'r-retry-1' });
    expect((error as ContinuationFailedError).resumeCursor).toBe(failed.cursor);
    expect(failed.cursor).not.toBe(failed.startCursor);
    expect((error as Error).message).toMatch(/Folded 33 events of directory up to cursor "v1\..*but the next invocation could not be started \(Rate Exceeded\.\)\. Invoke LwM2MFleet-ProjectionRebuildDirectoryFunction-AbC123 with \{.*"invocation":3\} to continue\./);
    expect(lambda.queue).toHaveLength(0);

    // Lambda retries the failed event: its pages are already folded, so nothing is written again.
    const retried = await handler(event.payload, budgetOf(3));
    expect(retried).toMatchObject({ continued: true, eventsRead: 33, rowsWritten: 0 });
    const rest = await runQueued(lambda, handler, 3);
    expect(rest.at(-1)!.done).toBe(true);
    expect(await rowsOf(table)).toEqual(embeddedOf('directory'));
  });

  it('refuses continue where the function cannot invoke itself, before folding anything', async () => {
    const table = await createTable('directory');
    const logs: RebuildSummary[] = [];
    const manualOnly = rebuildInvocation({ projection: 'directory', rebuild: () => createDynamoRebuild({ events: awsEvents, client: doc, table }), log: (l) => logs.push(l) });
    await expect(manualOnly({ projection: 'directory', continue: true }, budgetOf(3))).rejects.toThrow(InvalidRebuildRequestError);
    await expect(manualOnly({ projection: 'directory', continue: true }, budgetOf(3))).rejects.toThrow(/leave "continue" out and invoke again with each answer's "next"/);
    expect(await items(table.tableName)).toEqual(new Map());
    expect(logs.map((l) => l.outcome)).toEqual(['failed', 'failed']);
  });

  it('without continue, answers next and leaves going on to the operator, saying so in its summary line', async () => {
    const table = await createTable('directory');
    const lambda = new QueuedLambda();
    const logs: RebuildSummary[] = [];
    const answer = await chainFor(table, lambda, logs)({ projection: 'directory' }, budgetOf(1));
    expect(answer).toMatchObject({ done: false, pages: 1, next: { projection: 'directory', cursor: answer.cursor, invocation: 2 } });
    expect(answer.continued).toBeUndefined();
    expect(lambda.sent).toHaveLength(0);
    expect(logs).toEqual([{ outcome: 'stopped', projection: 'directory', invocation: 1, cursor: answer.cursor, pages: 1, eventsRead: 11, rowsWritten: answer.rowsWritten, rowsUnchanged: 0, unreadable: answer.unreadable }]);
  });
});
