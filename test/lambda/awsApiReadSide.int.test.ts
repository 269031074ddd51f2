import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiGatewayEvent } from '../support/apiGatewayEvent.ts';
import type { z } from 'zod';
import type { NewEvent } from '../../events/envelope.ts';
import { alarmsProjection, deviceStateProjection, devicesProjection, rejectionsProjection } from '../../events/projections/index.ts';
import { DeviceSchema, DirectoryPageSchema, ProblemSchema } from '../../functions/api/openapi/apiSchemas.ts';
import { DeviceAlarmsPageSchema, DeviceHistoryPageSchema, DeviceStateViewSchema, RejectionPageSchema } from '../../functions/deviceViews/deviceViewSchemas.ts';
import { createSqliteDeviceReadModel } from '../../functions/deviceViews/sqliteDeviceReadModel.ts';
import { createSqliteDeviceDirectory } from '../../functions/directory/sqliteDeviceDirectory.ts';
import { createDynamoEventStore } from '../../functions/eventStore/dynamoEventStore.ts';
import { createEventStoreTable } from '../../functions/eventStore/dynamoTableDesign.ts';
import { openSqlite, type SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { awsDeviceDirectory, awsDeviceReadModel } from '../../functions/lambda/awsAdapters.ts';
import { buildAwsApi, type AwsApiDeps } from '../../functions/lambda/awsApi.ts';
import { LAMBDA_ENV } from '../../functions/lambda/env.ts';
import { httpApiHandler } from '../../functions/lambda/httpApiEvent.ts';
import { createProjectionEngine, type ProjectionEngine } from '../../functions/projections/projectionEngine.ts';
import { createSqliteProjectionStore } from '../../functions/projections/sqliteProjectionStore.ts';
import { manualClock } from '../../functions/shared/clock.ts';
import type { LocalWorkflowEngine } from '../../functions/workflows/localWorkflowEngine.ts';
import { createProjectionTables } from '../directory/support/dynamoProjections.ts';
import { rejectedMessage } from '../deviceViews/support.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { sqliteCommandDeps } from './sqliteCommandDeps.ts';
import { newEvent, provisioned, reported } from '../support/events.ts';
import { createTestCognitoPool, type TestCognitoPool } from '../support/cognitoPool.ts';
import { idleProvisioningDeps } from '../support/idleProvisioningDeps.ts';
import { unusedRebuildDeps } from '../support/unusedRebuildDeps.ts';

// The API Lambda's read side on DynamoDB, next to the embedded API's: the same events are appended
// to the DynamoDB event store (on dynalite, folded into the projection tables as the stream
// projector does) and to a SQLite store (folded by the embedded projection engine), both stamped by
// clocks that move together. The AWS app is built with the adapters awsAdapters.ts builds from the
// environment the CDK app sets; every answer must validate against the schemas the embedded e2e
// tests use and equal the embedded app's answer.
const REGION = 'eu-west-1';
const POOL = 'eu-west-1_Fleet0002';
const CLIENT = 'apiclient0002';
const START = '2026-03-01T08:00:00.000Z';

const dir = mkdtempSync(join(tmpdir(), 'api-read-side-'));
let dynamo: LocalDynamo;
let db: SqliteDatabase;
let engine: ProjectionEngine;
let workflows: LocalWorkflowEngine;
let pool: TestCognitoPool;
let onAws: ReturnType<typeof httpApiHandler>;
let embedded: ReturnType<typeof httpApiHandler>;
const savedEnv = new Map<string, string | undefined>();

beforeAll(async () => {
  dynamo = await startDynalite();
  const doc = DynamoDBDocumentClient.from(dynamo.client);
  const awsClock = manualClock(START);
  const localClock = manualClock(START);
  await createEventStoreTable(dynamo.client, 'fleet-events');
  const awsEvents = createDynamoEventStore({ client: doc, tableName: 'fleet-events', clock: awsClock });
  const projections = await createProjectionTables(dynamo, ['directory', 'deviceState', 'alarms', 'rejections']);

  db = openSqlite({ file: join(dir, 'fleet.db'), synchronous: 'NORMAL' });
  const localEvents = createSqliteEventStore(db, localClock);
  engine = createProjectionEngine({
    events: localEvents,
    store: createSqliteProjectionStore(db),
    projections: [devicesProjection, deviceStateProjection, alarmsProjection, rejectionsProjection],
  });

  const append = async (streamId: string, events: readonly NewEvent[]) => {
    for (const clock of [awsClock, localClock]) clock.advance(1500);
    const stored = await awsEvents.append({ streamId, expectedVersion: 'any', events });
    await projections.project(stored.events);
    await localEvents.append({ streamId, expectedVersion: 'any', events });
  };
  const operator = { actor: { kind: 'user' as const, id: 'ada@example.com', role: 'operator' as const } };
  const at = (s: number) => new Date(Date.parse(START) + s * 1000).toISOString();
  for (const [thingName, tenant, latitude, longitude] of [
    ['meter-1', 'city-of-lund', 55.7047, 13.191],
    ['meter-2', 'city-of-lund', 55.71, 13.2],
    ['meter-3', 'city-of-lund', 55.69, 13.18],
    ['meter-4', 'malmo-stad', 55.605, 13.0038],
  ] as const) {
    await append(`device-${thingName}`, [provisioned(thingName, { tenant, location: { latitude, longitude }, attributes: { kind: 'water-meter' } })]);
  }
  await append('device-meter-1', [newEvent('DeviceBootstrapped', { thingName: 'meter-1', endpoint: 'urn:imei:1', bridgeId: 'bridge-1', brokerUri: 'mqtts://broker.example:8883' })]);
  await append('device-meter-1', [reported('meter-1', '/3303/0/5700', 21.5, at(10)), reported('meter-1', '/3/0/9', 87, at(11))]);
  await append('device-meter-1', [newEvent('AlarmRaised', { thingName: 'meter-1', alarmId: 'leak', code: 'LEAK', severity: 'major', raisedAt: at(12) })]);
  await append('device-meter-1', [newEvent('AlarmAcknowledged', { thingName: 'meter-1', alarmId: 'leak', commandId: 'c-1', note: 'on my way' }, operator)]);
  await append('device-meter-1', [newEvent('AlarmRaised', { thingName: 'meter-1', alarmId: 'battery', code: 'LOW', severity: 'minor', raisedAt: at(13) })]);
  await append('device-meter-1', [newEvent('AlarmCleared', { thingName: 'meter-1', alarmId: 'battery', clearedAt: at(14) })]);
  await append('device-meter-1', [rejectedMessage('meter-1', 'decode', new Date(at(15)), 9)]);
  await append('rejected-unattributed', [rejectedMessage(undefined, 'unknown-device', new Date(at(16)), 4)]);
  await append('device-meter-1', [reported('meter-1', '/3303/0/5700', 22.5, at(17))]);
  await append('device-meter-3', [newEvent('DeviceDeprovisioned', { thingName: 'meter-3', reason: 'removed' })]);
  await engine.settled();

  pool = await createTestCognitoPool({ region: REGION, userPoolId: POOL, clientId: CLIENT });
  const verifier = pool.verifier;
  const provisioning = await idleProvisioningDeps(db, dir);
  workflows = provisioning.workflows;
  const common: Omit<AwsApiDeps, 'events' | 'directory' | 'readModel'> = {
    verifier,
    ...provisioning,
    // The command routes on DynamoDB have their own test (commandsApiOnAws.int.test.ts).
    commands: sqliteCommandDeps(db),
    rebuild: unusedRebuildDeps(),
    logLevel: 'silent',
  };
  // The environment the CDK app gives the API Lambda (infra/cdk/constructs/fleetApi.ts), pointed at dynalite.
  const env = {
    [LAMBDA_ENV.eventStoreTable]: 'fleet-events',
    [LAMBDA_ENV.directoryTable]: projections.tables.directory.tableName,
    [LAMBDA_ENV.deviceStateTable]: projections.tables.deviceState.tableName,
    [LAMBDA_ENV.alarmsTable]: projections.tables.alarms.tableName,
    [LAMBDA_ENV.rejectionsTable]: projections.tables.rejections.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'dynalite',
    AWS_SECRET_ACCESS_KEY: 'dynalite',
  };
  // The SDK clients the adapters build read endpoint, region and credentials when they first send.
  for (const [k, v] of Object.entries(env)) {
    savedEnv.set(k, process.env[k]);
    process.env[k] = v;
  }
  onAws = httpApiHandler(buildAwsApi({ ...common, events: awsEvents, directory: awsDeviceDirectory(env), readModel: awsDeviceReadModel(awsEvents, env) }));
  embedded = httpApiHandler(buildAwsApi({ ...common, events: localEvents, directory: createSqliteDeviceDirectory(db), readModel: createSqliteDeviceReadModel(db) }));
}, 60_000);

afterAll(async () => {
  for (const [k, v] of savedEnv) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await workflows?.close();
  await engine?.stop();
  db?.close();
  await dynamo?.close();
  rmSync(dir, { recursive: true, force: true });
});

const token = (groups: string[]) => pool.token(groups);

const request = (path: string, query = '', bearer?: string) => apiGatewayEvent('GET', path, { query, ...(bearer === undefined ? {} : { token: bearer }) });

/** The AWS app's answer, checked against the schema and against the embedded app's answer to the same request. */
const both = async <S extends z.ZodType>(path: string, query: string, schema: S, status = 200, comparable: (body: unknown) => unknown = (b) => b): Promise<z.infer<S>> => {
  const bearer = await token(['viewer']);
  const [aws, local] = await Promise.all([onAws(request(path, query, bearer)), embedded(request(path, query, bearer))]);
  expect(aws.statusCode, aws.body).toBe(status);
  expect(local.statusCode, local.body).toBe(status);
  expect(aws.headers?.['content-type']).toBe(local.headers?.['content-type']);
  const body = JSON.parse(aws.body ?? 'null') as unknown;
  expect(comparable(body)).toEqual(comparable(JSON.parse(local.body ?? 'null')));
  return schema.parse(body);
};

describe('the API Lambda’s directory and device views on DynamoDB', () => {
  it('searches the directory by tenant, attribute and radius, page by page with the same cursors, as the embedded API does', async () => {
    const tenant = await both('/devices', 'tenant=city-of-lund', DirectoryPageSchema);
    expect(tenant.items.map((d) => d.thingName)).toEqual(['meter-1', 'meter-2']);
    expect(tenant.total).toBe(2);
    expect(tenant.items[0]).toMatchObject({ status: 'bootstrapped', bootstrappedAt: expect.any(String) as unknown });

    const near = await both('/devices', 'near=55.7047,13.191,20000&limit=1&status=any', DirectoryPageSchema);
    expect(near.items.map((d) => [d.thingName, d.distanceMeters])).toEqual([['meter-1', 0]]);
    expect(near.total).toBe(4);
    const next = await both('/devices', `near=55.7047,13.191,20000&limit=2&status=any&cursor=${near.nextCursor ?? ''}`, DirectoryPageSchema);
    expect(next.items.map((d) => d.thingName)).toHaveLength(2);
    expect(next.total).toBeUndefined();

    const fleetWide = await both('/devices', 'attr.kind=water-meter&status=deprovisioned', DirectoryPageSchema);
    expect(fleetWide.items.map((d) => d.thingName)).toEqual(['meter-3']);
  });

  it('returns one device, deprovisioned ones too, and the same problems for bad searches and unknown devices', async () => {
    expect(await both('/devices/meter-3', '', DeviceSchema)).toMatchObject({ thingName: 'meter-3', status: 'deprovisioned' });
    expect(await both('/devices', 'tenat=city-of-lund', ProblemSchema, 400)).toMatchObject({ type: '/problems/invalid-search', errors: [{ field: 'tenat', rule: 'unknown-parameter' }] });
    expect(await both('/devices', 'tenant=city-of-lund&cursor=bm90LWEtY3Vyc29y', ProblemSchema, 400)).toMatchObject({ errors: [{ field: 'cursor', rule: 'malformed' }] });
    expect(await both('/devices/nobody', '', ProblemSchema, 404)).toMatchObject({ type: '/problems/device-not-found' });
    expect(await both('/devices/nobody/state', '', ProblemSchema, 404)).toMatchObject({ type: '/problems/device-not-found' });
  });

  it('answers a device’s live state from the DeviceState table, and its state as of an instant by replay', async () => {
    const live = await both('/devices/meter-1/state', '', DeviceStateViewSchema);
    expect(live).toMatchObject({ thingName: 'meter-1', source: 'projection', state: { messages: 3, resources: { '/3303/0/5700': { value: { kind: 'number', v: 22.5 } } } } });
    const before = await both('/devices/meter-1/state', `at=${encodeURIComponent('2026-03-01T08:00:12Z')}`, DeviceStateViewSchema);
    expect(before).toMatchObject({ source: 'replay', state: { messages: 2 } });
    // A device with no state row (deprovisioned: its row was deleted) still answers, with null.
    expect(await both('/devices/meter-3/state', '', DeviceStateViewSchema)).toMatchObject({ state: null });
  });

  it('lists alarms by status, the history, and rejections with their payloads, as the embedded API does', async () => {
    const active = await both('/devices/meter-1/alarms', 'status=active', DeviceAlarmsPageSchema);
    expect(active.items.map((a) => [a.alarmId, a.acknowledged?.by])).toEqual([['leak', 'ada@example.com']]);
    const all = await both('/devices/meter-1/alarms', 'limit=1', DeviceAlarmsPageSchema);
    expect(all.items.map((a) => a.alarmId)).toEqual(['battery']);
    await both('/devices/meter-1/alarms', `limit=1&cursor=${all.nextCursor ?? ''}`, DeviceAlarmsPageSchema);

    // The store-wide position is a SQLite notion (ADR 0002): the rest of each event is the same.
    const withoutGlobal = (body: unknown) => ({
      ...(body as object),
      items: (body as { items: Record<string, unknown>[] }).items.map(({ globalPosition: _g, ...e }) => e),
    });
    const history = await both('/devices/meter-1/history', 'limit=3&direction=backwards', DeviceHistoryPageSchema, 200, withoutGlobal);
    expect(history.items.map((e) => e.type)).toEqual(['DeviceStateReported', 'MessageRejected', 'AlarmCleared']);

    const rejections = await both('/rejections', 'include=payload', RejectionPageSchema);
    expect(rejections.items.map((r) => [r.stage, r.thingName, typeof r.payloadBase64])).toEqual([
      ['unknown-device', undefined, 'string'],
      ['decode', 'meter-1', 'string'],
    ]);
    expect((await both('/rejections', 'thingName=meter-1&stage=decode', RejectionPageSchema)).items).toHaveLength(1);
  });

  it('keeps the permission table: no token is 401, as for every protected route', async () => {
    const response = await onAws(request('/devices', 'tenant=city-of-lund'));
    expect(response.statusCode).toBe(401);
  });
});
