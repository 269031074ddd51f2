import { CreateTableCommand, ScanCommand, type AttributeValue as SdkAttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentDefinition, type DomainEvent } from '../../events/catalog/index.ts';
import type { StoredEvent } from '../../events/envelope.ts';
import { foldProjection } from '../../events/projections/projection.ts';
import { upcast } from '../../events/upcasting.ts';
import type { Bus } from '../../functions/bus/bus.ts';
import type { EventBridgeEnvelope } from '../../functions/bus/envelope.ts';
import { createInProcessBus, type InProcessBus } from '../../functions/bus/inProcessBus.ts';
import { matchesPattern } from '../../functions/bus/patternMatcher.ts';
import { createDynamoEventStore } from '../../functions/eventStore/dynamoEventStore.ts';
import { createEventStoreTable } from '../../functions/eventStore/dynamoTableDesign.ts';
import type { EventStore } from '../../functions/eventStore/eventStore.ts';
import { publishedEnvelopeSchema } from '../../functions/lambda/publishedEventSchemas.ts';
import { busEntryFor, DOMAIN_EVENT_SOURCE, EVENT_TOO_LARGE_DETAIL_TYPE, publishStoredEvents } from '../../functions/lambda/storedEventPublisher.ts';
import { projectStreamBatch } from '../../functions/lambda/streamProjector.ts';
import { createDynamoProjector, type ProjectionTable } from '../../functions/projections/dynamoProjectionTables.ts';
import { PROJECTION_TABLES } from '../../functions/projections/projectionTableDesign.ts';
import { projectionCreateTableInput } from '../../functions/projections/dynamoProjectionRows.ts';
import { COMMIT_INSERT_FILTER } from '../../infra/cdk/constructs/streamConsumer.ts';
import { newEvent, provisioned, reported } from '../support/events.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';

// dynalite has no Streams, so the stream records are built from the very items the DynamoDB event
// store adapter wrote (a Scan returns them in the stream's AttributeValue form): INSERTs of every
// commit, claim and meta item, plus MODIFYs like the claim confirmations, which must all be skipped.
let dynamo: LocalDynamo;
let doc: DynamoDBDocumentClient;
let store: EventStore;
let stored: StoredEvent[];
let batch: DynamoDBStreamEvent;
let bus: InProcessBus | undefined;
let tableCount = 0;

const record = (eventName: 'INSERT' | 'MODIFY', image: Record<string, SdkAttributeValue>, seq: number): DynamoDBRecord => ({
  eventName,
  eventSource: 'aws:dynamodb',
  dynamodb: { NewImage: image as never, SequenceNumber: String(seq).padStart(21, '0'), StreamViewType: 'NEW_IMAGE' },
});

const streamBatch = (items: Record<string, SdkAttributeValue>[]): DynamoDBStreamEvent => {
  const commits = items.filter((i) => i.gsk !== undefined).sort((a, b) => (a.pk!.S! + String(a.sk!.N).padStart(9, '0') < b.pk!.S! + String(b.sk!.N).padStart(9, '0') ? -1 : 1));
  const others = items.filter((i) => i.gsk === undefined);
  const records: DynamoDBRecord[] = [];
  let seq = 1000;
  // Interleave: a claim before each commit (as the adapter writes them), a MODIFY after.
  for (const [i, commit] of commits.entries()) {
    if (others[i]) records.push(record('INSERT', others[i], seq++));
    records.push(record('INSERT', commit, seq++));
    if (others[i]) records.push(record('MODIFY', others[i], seq++));
  }
  for (const rest of others.slice(commits.length)) records.push(record('INSERT', rest, seq++));
  return { Records: records };
};

const T0 = '2026-05-01T08:00:00Z';
const alarm = (thingName: string, alarmId: string, raisedAt: string) =>
  newEvent('AlarmRaised', { thingName, alarmId, code: 'leak', severity: 'major', raisedAt });

beforeAll(async () => {
  dynamo = await startDynalite();
  doc = DynamoDBDocumentClient.from(dynamo.client);
  await createEventStoreTable(dynamo.client, 'events');
  store = createDynamoEventStore({ client: doc, tableName: 'events' });
  for (const thing of ['meter-1', 'meter-2', 'meter-3']) {
    await store.append({ streamId: `device-${thing}`, expectedVersion: 0, events: [provisioned(thing)] });
    await store.append({
      streamId: `device-${thing}`,
      expectedVersion: 'any',
      events: [reported(thing, '/3303/0/5700', 20.5, T0), reported(thing, '/3303/0/5700', 21.5, '2026-05-01T08:05:00Z')],
    });
  }
  await store.append({ streamId: 'device-meter-1', expectedVersion: 'any', events: [alarm('meter-1', 'leak-1', T0)] });
  await store.append({
    streamId: 'device-meter-2',
    expectedVersion: 'any',
    events: [alarm('meter-2', 'leak-1', T0), newEvent('AlarmCleared', { thingName: 'meter-2', alarmId: 'leak-1', clearedAt: '2026-05-01T09:00:00Z' })],
  });
  await store.append({ streamId: 'device-meter-3', expectedVersion: 'any', events: [newEvent('DeviceDeprovisioned', { thingName: 'meter-3', reason: 'pole replaced' })] });
  stored = (await Promise.all(['meter-1', 'meter-2', 'meter-3'].map((t) => store.readStream(`device-${t}`)))).flat();
  const scan = await dynamo.client.send(new ScanCommand({ TableName: 'events' }));
  batch = streamBatch(scan.Items ?? []);
});

afterAll(async () => {
  await bus?.close();
  await store?.close();
  await dynamo?.close();
});

const inbox = (pattern: unknown) => {
  bus ??= createInProcessBus();
  const got: EventBridgeEnvelope[] = [];
  bus.subscribe({ name: `inbox-${JSON.stringify(pattern)}`, pattern, target: (e) => (got.push(e), Promise.resolve()) });
  return got;
};

describe('the stream records this test feeds', () => {
  it('hold every stored event in commit inserts, beside claim and meta records that the mapping filter drops', () => {
    const kept = batch.Records.filter((r) => matchesPattern(COMMIT_INSERT_FILTER, r));
    expect(kept.length).toBe(3 * 2 + 3); // two commits per device, then the alarm/clear/deprovision commits
    expect(batch.Records.length).toBeGreaterThan(kept.length + 5);
    expect(stored).toHaveLength(3 * 3 + 1 + 2 + 1);
  });
});

describe('the outbox (stream → bus)', () => {
  it('publishes every stored event once, as the stored event, in stream order per device', async () => {
    const all = inbox({ source: [DOMAIN_EVENT_SOURCE] });
    const result = await publishStoredEvents({ bus: bus ?? (bus = createInProcessBus()) })(batch);
    await bus.drain();
    expect(result).toEqual({ batchItemFailures: [] });
    expect(all.map((e) => e.detail.eventId).sort()).toEqual(stored.map((e) => e.eventId).sort());
    for (const e of stored) {
      const published = all.find((p) => p.detail.eventId === e.eventId)!;
      expect(published['detail-type']).toBe(e.type);
      expect(published.time).toBe(e.recordedAt.replace(/\.\d{3}Z$/, 'Z'));
      expect(published.detail).toEqual(JSON.parse(JSON.stringify({ ...e, globalPosition: undefined })));
    }
    const meter1 = all.filter((p) => p.detail.streamId === 'device-meter-1').map((p) => p.detail.streamPosition);
    expect(meter1).toEqual([1, 2, 3, 4]);
    // Each envelope is what its registry schema describes (the JSON Schemas are generated from these).
    for (const envelope of all) expect(publishedEnvelopeSchema(currentDefinition.get(envelope['detail-type'])!).safeParse(envelope).error).toBeUndefined();
  });

  it('announces an event too large for PutEvents by reference instead of dropping it', () => {
    const rejection = stored[0]!;
    const huge = { ...rejection, data: { ...(rejection.data as object), note: 'x'.repeat(300 * 1024) } };
    const entry = busEntryFor(huge);
    expect(entry.DetailType).toBe(EVENT_TOO_LARGE_DETAIL_TYPE);
    expect(entry.Detail).toMatchObject({ eventId: rejection.eventId, streamId: rejection.streamId, streamPosition: rejection.streamPosition, type: rejection.type });
    expect(entry.Detail.data).toBeUndefined();
    expect(String(entry.Detail.reason)).toMatch(/256 KB/);
    expect(busEntryFor(rejection).DetailType).toBe(rejection.type);
  });

  it('lets a downstream rule take every AlarmRaised (the documented subscription) and nothing else', async () => {
    const alarms = inbox({ source: [DOMAIN_EVENT_SOURCE], 'detail-type': ['AlarmRaised'] });
    await publishStoredEvents({ bus: bus! })(batch);
    await bus!.drain();
    expect(alarms.map((a) => a.detail.streamId).sort()).toEqual(['device-meter-1', 'device-meter-2']);
  });

  it('answers with the record of the first refused entry, so Lambda retries from there', async () => {
    const puts: number[] = [];
    let call = 0;
    const refusing: Pick<Bus, 'put'> = {
      put: (entries) => {
        puts.push(entries.length);
        call++;
        // The second PutEvents refuses its third entry.
        return Promise.resolve({
          FailedEntryCount: call === 2 ? 1 : 0,
          Entries: entries.map((_, i) => (call === 2 && i === 2 ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' } : { EventId: `e${i}` })),
        });
      },
    };
    const logs: string[] = [];
    const result = await publishStoredEvents({ bus: refusing, log: (m) => logs.push(m) })(batch);
    expect(puts[0]).toBe(10);
    // The 13th entry: which record holds it?
    const commitRecords = batch.Records.filter((r) => matchesPattern(COMMIT_INSERT_FILTER, r));
    let seen = 0;
    const holder = commitRecords.find((r) => {
      seen += (JSON.parse(r.dynamodb!.NewImage!.events!.S!) as unknown[]).length;
      return seen >= 13;
    })!;
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: holder.dynamodb!.SequenceNumber }] });
    expect(logs[0]).toMatch(/ThrottlingException/);
  });

  it('retries from the first unsent record when PutEvents throws, and from an unreadable commit after publishing what precedes it', async () => {
    const throwing: Pick<Bus, 'put'> = { put: () => Promise.reject(new Error('network down')) };
    const first = batch.Records.find((r) => matchesPattern(COMMIT_INSERT_FILTER, r))!;
    await expect(publishStoredEvents({ bus: throwing, log: () => undefined })(batch)).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: first.dynamodb!.SequenceNumber }],
    });

    const broken = structuredClone(batch);
    const commits = broken.Records.filter((r) => matchesPattern(COMMIT_INSERT_FILTER, r));
    commits[2]!.dynamodb!.NewImage!.events = { S: 'not json' };
    const sent: string[] = [];
    const recording: Pick<Bus, 'put'> = {
      put: (entries) => (sent.push(...entries.map((e) => String(e.Detail.eventId))), Promise.resolve({ FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: 'x' })) })),
    };
    const result = await publishStoredEvents({ bus: recording, log: () => undefined })(broken);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: commits[2]!.dynamodb!.SequenceNumber }] });
    const before = commits.slice(0, 2).flatMap((r) => (JSON.parse(r.dynamodb!.NewImage!.events!.S!) as { eventId: string }[]).map((e) => e.eventId));
    expect(sent).toEqual(before);
  });
});

describe('the projector (stream → projection tables)', () => {
  const createTables = async (): Promise<ProjectionTable[]> => {
    const n = ++tableCount;
    return Promise.all(
      Object.entries(PROJECTION_TABLES).map(async ([name, design]) => {
        const tableName = `${name}-${n}`;
        await dynamo.client.send(new CreateTableCommand(projectionCreateTableInput(tableName, design)));
        return { ...design, tableName };
      }),
    );
  };

  const rowsOf = async (table: ProjectionTable) => {
    const scan = await dynamo.client.send(new ScanCommand({ TableName: table.tableName }));
    const out = new Map<string, unknown>();
    for (const item of scan.Items ?? []) if (item.row?.S) out.set(item.pk!.S!, JSON.parse(item.row.S));
    return out;
  };

  const expectedRows = (table: ProjectionTable) => foldProjection(table.projection, stored.map((e): DomainEvent => upcast(e)));

  it('builds device state, alarms and the directory exactly as the pure folds do', async () => {
    const tables = await createTables();
    const result = await projectStreamBatch({ projector: createDynamoProjector({ client: doc, tables }) })(batch);
    expect(result).toEqual({ batchItemFailures: [] });
    for (const table of tables) expect(Object.fromEntries(await rowsOf(table))).toEqual(Object.fromEntries(expectedRows(table)));
    // Sanity: the fold is not trivially empty, and a deprovisioned device lost its state row.
    const [deviceState, alarms, directory] = tables;
    expect([...(await rowsOf(deviceState!)).keys()].sort()).toEqual(['meter-1', 'meter-2']);
    expect((await rowsOf(alarms!)).get('meter-2/leak-1')).toMatchObject({ state: 'cleared' });
    expect((await rowsOf(directory!)).get('meter-3')).toMatchObject({ status: 'deprovisioned' });
  });

  it('folds each event once per row when batches are redelivered or overlap', async () => {
    const tables = await createTables();
    const project = projectStreamBatch({ projector: createDynamoProjector({ client: doc, tables }) });
    const records = batch.Records;
    const half = Math.floor(records.length / 2);
    await project({ Records: records.slice(0, half + 4) });
    await project({ Records: records.slice(half - 4) }); // overlaps the first
    await project(batch); // the whole batch again, as after a failed invocation
    for (const table of tables) expect(Object.fromEntries(await rowsOf(table))).toEqual(Object.fromEntries(expectedRows(table)));
    const meter1 = await doc.send(new GetCommand({ TableName: tables[0]!.tableName, Key: { pk: 'meter-1' } }));
    expect((meter1.Item!.row as string).includes('"messages":2')).toBe(true);
    expect(JSON.parse(meter1.Item!.applied as string)).toEqual({ 'device-meter-1': 3 });
  });

  it('copies the index attributes, so the directory can be queried by tenant', async () => {
    const tables = await createTables();
    await projectStreamBatch({ projector: createDynamoProjector({ client: doc, tables }) })(batch);
    const directory = await doc.send(new GetCommand({ TableName: tables[2]!.tableName, Key: { pk: 'meter-1' } }));
    expect(directory.Item).toMatchObject({ tenant: 'city-of-lund', status: 'provisioned', pv: PROJECTION_TABLES.directory.projection.version });
  });

  it('does not overwrite a row another projector changed meanwhile: the write fails, the batch retries from that row’s first record', async () => {
    const tables = await createTables();
    // Everything but meter-2's alarm commit (raise and clear) first.
    const alarmRecord = batch.Records.find((r) => r.dynamodb?.NewImage?.events?.S?.includes('AlarmCleared'))!;
    const project = projectStreamBatch({ projector: createDynamoProjector({ client: doc, tables }) });
    await project({ Records: batch.Records.filter((r) => r !== alarmRecord) });
    const alarmsTable = tables[1]!.tableName;
    // The row exists (rev 1, nothing folded yet), so the projector's write is conditional on rev 1.
    await doc.send(new UpdateCommand({ TableName: alarmsTable, Key: { pk: 'meter-2/leak-1' }, UpdateExpression: 'SET rev = :r, applied = :a', ExpressionAttributeValues: { ':r': 1, ':a': '{}' } }));
    // Another writer bumps the row between this projector's read and its write.
    const racing = {
      send: async (command: { input: { TableName?: string; Item?: Record<string, unknown> } }) => {
        if (command.input.TableName === alarmsTable && command.input.Item?.pk === 'meter-2/leak-1') {
          await doc.send(new UpdateCommand({ TableName: alarmsTable, Key: { pk: 'meter-2/leak-1' }, UpdateExpression: 'SET rev = rev + :one', ExpressionAttributeValues: { ':one': 1 } }));
        }
        return doc.send(command as never);
      },
    } as unknown as DynamoDBDocumentClient;
    const logs: string[] = [];
    const result = await projectStreamBatch({ projector: createDynamoProjector({ client: racing, tables }), log: (m) => logs.push(m) })({ Records: [alarmRecord] });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: alarmRecord.dynamodb!.SequenceNumber }] });
    expect(logs.join('\n')).toMatch(/alarms row meter-2\/leak-1 was not written \(ConditionalCheckFailedException/);
    // The retry (no race this time) folds the record.
    await expect(project({ Records: [alarmRecord] })).resolves.toEqual({ batchItemFailures: [] });
    const row = await doc.send(new GetCommand({ TableName: alarmsTable, Key: { pk: 'meter-2/leak-1' } }));
    expect(JSON.parse(row.Item!.row as string)).toMatchObject({ state: 'cleared', alarmId: 'leak-1' });
  });
});
