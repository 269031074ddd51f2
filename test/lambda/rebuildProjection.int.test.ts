import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent, StoredEvent } from '../../events/envelope.ts';
import { createDynamoEventStore } from '../../functions/eventStore/dynamoEventStore.ts';
import { createEventStoreTable } from '../../functions/eventStore/dynamoTableDesign.ts';
import type { EventStore } from '../../functions/eventStore/eventStore.ts';
import { openSqlite, type SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { createDynamoProjector, type ProjectionTable } from '../../functions/projections/dynamoProjectionTables.ts';
import { projectionCreateTableInput, rowOfItem } from '../../functions/projections/dynamoProjectionRows.ts';
import { createDynamoRebuild, RebuildInterruptedError, type RebuildProgress } from '../../functions/projections/dynamoRebuild.ts';
import { InvalidRebuildRequestError, rebuildInvocation, type RebuildAnswer } from '../../functions/projections/dynamoRebuildRequest.ts';
import { createProjectionEngine } from '../../functions/projections/projectionEngine.ts';
import type { ProjectionStore } from '../../functions/projections/projectionStore.ts';
import { PROJECTION_TABLES, type ProjectionTableName } from '../../functions/projections/projectionTableDesign.ts';
import { createSqliteProjectionStore } from '../../functions/projections/sqliteProjectionStore.ts';
import { manualClock } from '../../functions/shared/clock.ts';
import { deviceLife } from '../deviceViews/support.ts';
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
