import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PublishCommand, PublishCommandOutput } from '@aws-sdk/client-iot-data-plane';
import type { Context } from 'aws-lambda';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../events/envelope.ts';
import { CommandAcceptedSchema, CommandDetailSchema, CommandPageSchema } from '../../functions/commands/commandApiSchemas.ts';
import { expireCommand } from '../../functions/commands/commandExpiry.ts';
import { dynamoAlarmLookup } from '../../functions/commands/dynamoAlarmLookup.ts';
import { createDynamoCommandAudit } from '../../functions/commands/dynamoCommandAudit.ts';
import { sweepDueCommands } from '../../functions/commands/sweepDueCommands.ts';
import { createDynamoDeviceDirectory } from '../../functions/directory/dynamoDeviceDirectory.ts';
import { createDynamoDeviceReadModel } from '../../functions/deviceViews/dynamoDeviceReadModel.ts';
import { createDynamoEventStore } from '../../functions/eventStore/dynamoEventStore.ts';
import { createEventStoreTable } from '../../functions/eventStore/dynamoTableDesign.ts';
import type { EventStore } from '../../functions/eventStore/eventStore.ts';
import { openSqlite, type SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import { buildAwsApi } from '../../functions/lambda/awsApi.ts';
import { handleCommandAnswerRule } from '../../functions/lambda/commandAnswerRule.ts';
import { iotDataPlaneCommandPublisher } from '../../functions/lambda/iotDataPlanePublisher.ts';
import { dynamoHolderLookup } from '../../functions/projections/dynamoDeviceSessions.ts';
import { manualClock } from '../../functions/shared/clock.ts';
import type { LocalWorkflowEngine } from '../../functions/workflows/localWorkflowEngine.ts';
import { CommandRequestMessage } from '../../schemas/bridge/commandMessages.ts';
import { createProjectionTables } from '../directory/support/dynamoProjections.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { newEvent, provisioned } from '../support/events.ts';
import { createTestCognitoPool, type TestCognitoPool } from '../support/cognitoPool.ts';
import { idleProvisioningDeps } from '../support/idleProvisioningDeps.ts';
import { unusedRebuildDeps } from '../support/unusedRebuildDeps.ts';

// Device control on AWS end to end without AWS: buildAwsApi over the DynamoDB event store and
// projection tables on dynalite (folded by the stream projector), commands published through the
// IoT data plane adapter down to the SDK's `send`, answers through the command-answer rule's
// handler, expiry through the scheduled sweep's code.
const REGION = 'eu-west-1';
const POOL = 'eu-west-1_Fleet0007';
const CLIENT = 'apiclient0007';
const START = '2026-05-01T10:00:00.000Z';

let dynamo: LocalDynamo;
let db: SqliteDatabase;
let workflows: LocalWorkflowEngine;
let app: FastifyInstance;
let events: EventStore;
let pool: TestCognitoPool;
let project: (e: Awaited<ReturnType<EventStore['readStream']>>) => Promise<void>;
let sweep: ReturnType<typeof sweepDueCommands>;
const clock = manualClock(START);
const dir = mkdtempSync(join(tmpdir(), 'commands-aws-'));
/** What reached the IoT data plane client's send. */
const published: PublishCommand['input'][] = [];

const token = (groups: string[]) => pool.token(groups);

const call = async (method: 'GET' | 'POST', url: string, body?: unknown) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${await token(['operator'])}` }, ...(body === undefined ? {} : { payload: body as object }) });

/** Folds every stream the store holds for these ids into the projection tables, as the stream projector would. */
const fold = async (...streamIds: string[]) => {
  for (const id of streamIds) await project(await events.readStream(id));
};

beforeAll(async () => {
  dynamo = await startDynalite();
  await createEventStoreTable(dynamo.client, 'fleet-events');
  const tables = await createProjectionTables(dynamo, ['directory', 'deviceState', 'alarms', 'rejections', 'deviceSessions', 'commandAudit']);
  events = createDynamoEventStore({ client: tables.doc, tableName: 'fleet-events', clock });
  project = tables.project;
  const append = (streamId: string, list: NewEvent[]) => events.append({ streamId, expectedVersion: 'any', events: list });
  // meter-1 is registered at bridge aws-1; meter-2 is provisioned but never registered.
  await append('device-meter-1', [
    provisioned('meter-1'),
    newEvent('DeviceRegistered', { thingName: 'meter-1', endpoint: 'meter-1', bridgeId: 'aws-1', lifetimeSeconds: 86_400, queueMode: false, objectLinks: '</3303/0>', registeredAt: START }),
    newEvent('AlarmRaised', { thingName: 'meter-1', alarmId: 'leak', code: 'LEAK', severity: 'major', raisedAt: START }),
  ]);
  await append('device-meter-2', [provisioned('meter-2')]);
  // The directory and sessions know both devices; the alarm is in the store only (the projector is behind on it).
  await project((await events.readStream('device-meter-1')).slice(0, 2));
  await fold('device-meter-2');

  pool = await createTestCognitoPool({ region: REGION, userPoolId: POOL, clientId: CLIENT });
  const verifier = pool.verifier;
  db = openSqlite({ file: join(dir, 'unused-by-commands.db'), synchronous: 'NORMAL' });
  const provisioning = await idleProvisioningDeps(db, dir);
  workflows = provisioning.workflows;
  const t = tables.tables;
  const audit = createDynamoCommandAudit({ client: tables.doc, tableName: t.commandAudit.tableName });
  let ids = 0;
  app = await buildAwsApi({
    verifier,
    events,
    ...provisioning,
    directory: createDynamoDeviceDirectory({ client: tables.doc, tableName: t.directory.tableName }),
    readModel: createDynamoDeviceReadModel({
      client: tables.doc,
      tables: { deviceState: t.deviceState.tableName, alarms: t.alarms.tableName, rejections: t.rejections.tableName },
      eventStore: { tableName: 'fleet-events', events },
    }),
    commands: {
      audit,
      holderOf: dynamoHolderLookup({ client: tables.doc, tableName: t.deviceSessions.tableName }),
      publisher: iotDataPlaneCommandPublisher({
        send: (c: PublishCommand) => {
          published.push(c.input);
          return Promise.resolve({ $metadata: { httpStatusCode: 200 } } as PublishCommandOutput);
        },
      }),
      alarmOf: dynamoAlarmLookup({ client: tables.doc, tableName: t.alarms.tableName, events }),
      clock,
      newCommandId: () => `c-${++ids}`,
      newAcknowledgementId: () => `a-${++ids}`,
    },
    rebuild: unusedRebuildDeps(),
    logLevel: 'silent',
  });
  sweep = sweepDueCommands({ clock, due: (now, limit) => audit.due(now, limit), expire: expireCommand({ events, clock }) });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await workflows?.close();
  db?.close();
  await dynamo?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('device control through the API Lambda on DynamoDB', () => {
  it('publishes a read on cmd/lwm2m/<thing>/req/<id> at QoS 1, records the bridge’s answer, and shows the lifecycle and the audit', async () => {
    const accepted = await call('POST', '/commands', { thingName: 'meter-1', operation: 'read', path: '/3303/0/5700' });
    expect(accepted.statusCode, accepted.body).toBe(202);
    const { commandId, status } = CommandAcceptedSchema.parse(accepted.json());
    expect(status).toBe('published');

    // The request as it reached the SDK: the PublishCommand input AWS documents (topic, qos, retain, payload bytes).
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ topic: `cmd/lwm2m/meter-1/req/${commandId}`, qos: 1, retain: false });
    const message = CommandRequestMessage.parse(JSON.parse(Buffer.from(published[0]!.payload as Uint8Array).toString('utf8')));
    expect(message).toMatchObject({ commandId, operation: 'read', path: '/3303/0/5700' });

    const answer = handleCommandAnswerRule({ events });
    const rule = (body: unknown) =>
      answer({ topic: `cmd/lwm2m/meter-1/res/${commandId}`, clientId: 'bridge:aws-1', payloadBase64: Buffer.from(JSON.stringify(body)).toString('base64'), receivedAt: Date.parse(START) + 2000 }, {} as Context);
    clock.advance(2000);
    await expect(rule({ commandId, bridgeId: 'aws-1', status: 'succeeded', lwm2mCode: '2.05', values: [{ path: '/3303/0/5700', value: { kind: 'number', v: 21.5 } }], at: START })).resolves.toEqual({
      kind: 'applied',
      eventTypes: ['CommandSucceeded'],
    });
    await fold(`command-${commandId}`);

    const detail = await call('GET', `/commands/${commandId}`);
    expect(detail.statusCode, detail.body).toBe(200);
    const parsed = CommandDetailSchema.parse(detail.json());
    expect(parsed.command).toMatchObject({ commandId, thingName: 'meter-1', operator: 'ada-sub', status: 'succeeded', lwm2mCode: '2.05', bridgeId: 'aws-1', latencyMs: 2000 });
    expect(parsed.lifecycle.map((l) => l.type)).toEqual(['CommandRequested', 'CommandPublished', 'CommandSucceeded']);

    const list = CommandPageSchema.parse((await call('GET', '/commands?thingName=meter-1')).json());
    expect(list.items.map((i) => [i.commandId, i.status])).toEqual([[commandId, 'succeeded']]);
    const exported = await call('GET', '/audit/commands?format=ndjson&operator=ada-sub');
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(exported.body.trim().split('\n').map((l) => JSON.parse(l) as { commandId: string; status: string })).toMatchObject([{ commandId, status: 'succeeded', operator: 'ada-sub' }]);
    const csv = await call('GET', '/audit/commands');
    expect(csv.body.split('\r\n').filter(Boolean)).toHaveLength(2);
  });

  it('ends a command to a device no bridge holds as CommandIgnored, and publishes nothing', async () => {
    const before = published.length;
    const accepted = await call('POST', '/commands', { thingName: 'meter-2', operation: 'read', path: '/3/0/0' });
    expect(accepted.statusCode, accepted.body).toBe(202);
    const { commandId, status } = CommandAcceptedSchema.parse(accepted.json());
    expect(status).toBe('ignored');
    expect(published).toHaveLength(before);
    await fold(`command-${commandId}`);
    const parsed = CommandDetailSchema.parse((await call('GET', `/commands/${commandId}`)).json());
    expect(parsed.command).toMatchObject({ status: 'ignored', detail: 'no bridge holds meter-2: it has not registered with an LwM2M server' });
  });

  it('times out an unanswered command through the scheduled sweep, once', async () => {
    const accepted = await call('POST', '/commands', { thingName: 'meter-1', operation: 'read', path: '/3/0/0', timeoutSeconds: 5 });
    const { commandId } = CommandAcceptedSchema.parse(accepted.json());
    await fold(`command-${commandId}`);
    await expect(sweep()).resolves.toEqual({ due: 0, expired: 0 });
    clock.advance(6000);
    await expect(sweep()).resolves.toEqual({ due: 1, expired: 1 });
    await fold(`command-${commandId}`);
    await expect(sweep()).resolves.toEqual({ due: 0, expired: 0 });
    const parsed = CommandDetailSchema.parse((await call('GET', `/commands/${commandId}`)).json());
    expect(parsed.command).toMatchObject({ status: 'timed-out', open: false });
    expect(parsed.lifecycle.map((l) => l.type)).toEqual(['CommandRequested', 'CommandPublished', 'CommandTimedOut']);
  });

  it('acknowledges an alarm the projector has not folded yet, once, and audits it', async () => {
    const first = await call('POST', '/devices/meter-1/alarms/leak/ack', { note: 'on it' });
    expect(first.statusCode, first.body).toBe(201);
    const second = await call('POST', '/devices/meter-1/alarms/leak/ack', {});
    expect(second.statusCode, second.body).toBe(409);
    expect((await call('POST', '/devices/meter-1/alarms/nothing/ack', {})).statusCode).toBe(404);
    const { commandId } = first.json<{ commandId: string }>();
    await fold('device-meter-1');
    const parsed = CommandDetailSchema.parse((await call('GET', `/commands/${commandId}`)).json());
    expect(parsed.command).toMatchObject({ operation: 'acknowledge-alarm', alarmId: 'leak', status: 'succeeded', detail: 'on it' });
  });
});
