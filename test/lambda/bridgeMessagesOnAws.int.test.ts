import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import type { PutEventsCommand, PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import type { StartExecutionCommand, StartExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceRow } from '../../events/projections/devices.ts';
import { bootstrapExecution } from '../../functions/bootstrap/bootstrapTrigger.ts';
import { recordFailed } from '../../functions/bootstrap/recordFailed.ts';
import type { BridgeRuleMessage } from '../../functions/bridgeMessages/bridgeRuleMessage.ts';
import { handleBridgeMessage } from '../../functions/bridgeMessages/handleBridgeMessage.ts';
import { createEventBridgeBus } from '../../functions/bus/eventBridgeBus.ts';
import { createDynamoEventStore } from '../../functions/eventStore/dynamoEventStore.ts';
import { createEventStoreTable } from '../../functions/eventStore/dynamoTableDesign.ts';
import type { EventStore } from '../../functions/eventStore/eventStore.ts';
import { awsBridgePorts } from '../../functions/lambda/awsBridgePorts.ts';
import { stepFunctionsBootstrapStarter } from '../../functions/lambda/startBootstrapExecution.ts';
import { dynamoHolderLookup } from '../../functions/projections/dynamoDeviceSessions.ts';
import { createDynamoProjector } from '../../functions/projections/dynamoProjectionTables.ts';
import { projectionCreateTableInput } from '../../functions/projections/dynamoProjectionRows.ts';
import { PROJECTION_ROW_KEY, PROJECTION_TABLES } from '../../functions/projections/projectionTableDesign.ts';
import { encodeSenmlCbor } from '../../schemas/senml/index.ts';
import { topics, type BridgeEvent } from '../../schemas/topics/topics.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { newEvent, provisioned } from '../support/events.ts';

// The bridge rules' Lambda as bridgeMessages.ts composes it (handleBridgeMessage over awsBridgePorts):
// the DynamoDB event store and the directory table on dynalite, written by the real projector;
// Step Functions and EventBridge are answered at their SDK `send`, where the adapters end.
const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:BootstrapStateMachine';
let dynamo: LocalDynamo;
let events: EventStore;
const starts: StartExecutionCommand['input'][] = [];
const puts: PutEventsCommand['input'][] = [];
/** Step Functions as it answers a second start of a name it already ran. */
let startedNames = new Set<string>();
/** Streams the handler read: a data message should cost a directory read, not a stream fold. */
const streamReads: string[] = [];
let handler: ReturnType<typeof handleBridgeMessage>;
let doc: DynamoDBDocumentClient;

const T = '2026-05-01T10:00:00.000Z';
const run = (topic: string, payload: Buffer | string, clientId = 'bridge:aws-1') =>
  handler({ topic, clientId, payloadBase64: Buffer.from(payload).toString('base64'), receivedAt: Date.parse(T) } satisfies BridgeRuleMessage, {} as Context);
const event = (e: BridgeEvent, thing: string, body: unknown) => run(topics.bridgeEvent('aws-1', e, thing), Buffer.isBuffer(body) ? body : JSON.stringify(body));
const register = (thing: string, objectLinks: string, at = '2026-05-01T09:59:58.000Z') =>
  event('register', thing, { endpoint: thing, lwm2mVersion: '1.1', lifetimeSeconds: 300, queueMode: false, objectLinks, location: '/rd/7', registeredAt: at, transport: 'coaps' });

beforeAll(async () => {
  dynamo = await startDynalite();
  doc = DynamoDBDocumentClient.from(dynamo.client);
  await dynamo.client.send(new CreateTableCommand(projectionCreateTableInput('sessions', PROJECTION_TABLES.deviceSessions)));
  await createEventStoreTable(dynamo.client, 'events');
  await dynamo.client.send(
    new CreateTableCommand({ TableName: 'directory', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }),
  );
  events = createDynamoEventStore({ client: doc, tableName: 'events' });
  // meter-1 and meter-3 are in the directory (the projector folded them); meter-2 is provisioned
  // but not projected yet; meter-3 was deprovisioned since.
  for (const thing of ['meter-1', 'meter-2', 'meter-3']) await events.append({ streamId: `device-${thing}`, expectedVersion: 0, events: [provisioned(thing)] });
  await events.append({ streamId: 'device-meter-3', expectedVersion: 1, events: [newEvent('DeviceDeprovisioned', { thingName: 'meter-3', reason: 'pole replaced' })] });
  const projector = createDynamoProjector({ client: doc, tables: [{ ...PROJECTION_TABLES.directory, tableName: 'directory' }] });
  const result = await projector.project([...(await events.readStream('device-meter-1')), ...(await events.readStream('device-meter-3'))]);
  expect(result.failures).toEqual([]);

  handler = handleBridgeMessage(
    awsBridgePorts({
      events: { ...events, readStream: (streamId, range) => (streamReads.push(streamId), events.readStream(streamId, range)) },
      directory: { client: doc, tableName: 'directory' },
      sessions: { client: doc, tableName: 'sessions' },
      bus: createEventBridgeBus({
        client: {
          send: (c: PutEventsCommand) => {
            puts.push(c.input);
            return Promise.resolve({ FailedEntryCount: 0, Entries: (c.input.Entries ?? []).map((_, i) => ({ EventId: `e-${puts.length}-${i}` })), $metadata: {} } as PutEventsCommandOutput);
          },
        },
        eventBusName: 'fleet',
      }),
      startBootstrap: stepFunctionsBootstrapStarter(
        {
          send: (c: StartExecutionCommand) => {
            starts.push(c.input);
            if (startedNames.has(c.input.name!)) return Promise.reject(Object.assign(new Error(`Execution Already Exists: '${c.input.name}'`), { name: 'ExecutionAlreadyExists' }));
            startedNames.add(c.input.name!);
            return Promise.resolve({ executionArn: `${STATE_MACHINE}:${c.input.name}`, startDate: new Date(), $metadata: {} } as StartExecutionCommandOutput);
          },
        },
        STATE_MACHINE,
      ),
    }),
  );
});

afterAll(() => dynamo.close());

describe('registrations on AWS: the embedded trigger decision, starting the bootstrap state machine', () => {
  it('starts the state machine for a registration without MQTT credentials, under the name derived from it', async () => {
    starts.length = 0;
    const result = await register('meter-1', '</1/0>,</3/0>,</18830>');
    const input = { thingName: 'meter-1', bridgeId: 'aws-1', transport: 'coaps', trigger: 'register /rd/7 2026-05-01T09:59:58.000Z' } as const;
    const name = bootstrapExecution(input).name;
    expect(result).toEqual({ outcome: 'recorded', events: ['DeviceRegistered'], bootstrap: name });
    expect(starts).toEqual([{ stateMachineArn: STATE_MACHINE, name, input: JSON.stringify(input) }]);
  });

  it('treats ExecutionAlreadyExists on a redelivered registration as already started, and records nothing twice', async () => {
    starts.length = 0;
    const again = await register('meter-1', '</1/0>,</3/0>,</18830>');
    expect(again.bootstrap).toMatch(/^bs-meter-1-/);
    expect(starts).toHaveLength(1);
    const registered = (await events.readStream('device-meter-1')).filter((e) => e.type === 'DeviceRegistered');
    expect(registered).toHaveLength(1);
  });

  it('starts nothing for a device that has credentials, or cannot take them, or no manifest brought in', async () => {
    starts.length = 0;
    await expect(register('meter-1', '</1/0>,</3/0>,</18830/0>', '2026-05-01T10:05:00.000Z')).resolves.toEqual({ outcome: 'recorded', events: ['DeviceRegistered'] });
    await expect(register('meter-1', '</1/0>,</3/0>', '2026-05-01T10:06:00.000Z')).resolves.toEqual({ outcome: 'recorded', events: ['DeviceRegistered'] });
    await expect(register('stranger-9', '</1/0>,</18830>')).resolves.toEqual({ outcome: 'rejected', events: ['BootstrapRejected'] });
    // A deprovisioned device is refused from its own stream, which the directory need not have caught up with.
    await expect(register('meter-3', '</1/0>,</18830>')).resolves.toEqual({ outcome: 'rejected', events: ['BootstrapRejected'] });
    expect(starts).toEqual([]);
    expect((await events.readStream('endpoint-stranger-9')).map((e) => [e.type, (e.data as { reason: string }).reason])).toEqual([['BootstrapRejected', 'unknown-device']]);
    expect(await events.readStream('device-stranger-9')).toEqual([]);
  });

  it('starts one for a bootstrap request, as plain CoAP when the session is not authenticated', async () => {
    starts.length = 0;
    startedNames = new Set();
    await event('bootstrap-request', 'meter-2', { endpoint: 'meter-2', at: T, authenticated: false });
    expect(starts.map((s) => JSON.parse(s.input!) as unknown)).toEqual([{ thingName: 'meter-2', bridgeId: 'aws-1', transport: 'coap', trigger: `bootstrap-request ${T}` }]);
  });
});

describe('other bridge messages on AWS', () => {
  const senml = encodeSenmlCbor([{ bn: '/3303/0/', bt: 1777629600, n: '5700', v: 21.5, u: 'Cel' }], { profile: 'lwm2m' });

  it('relays notify data onto the fleet bus as the decode step does, for devices the directory knows and ones it does not know yet', async () => {
    puts.length = 0;
    streamReads.length = 0;
    await expect(event('notify', 'meter-1', Buffer.from(senml))).resolves.toEqual({ outcome: 'ingested', events: [] });
    expect(streamReads).toEqual([]);
    await expect(event('notify', 'meter-2', Buffer.from(senml))).resolves.toEqual({ outcome: 'ingested', events: [] });
    expect(streamReads).toEqual(['device-meter-2']);
    const entries = puts.flatMap((p) => p.Entries ?? []);
    expect(entries.map((e) => [e.EventBusName, e.DetailType])).toEqual([
      ['fleet', 'DeviceStateReported'],
      ['fleet', 'DeviceStateReported'],
    ]);
    expect(entries.map((e) => (JSON.parse(e.Detail!) as { data: { thingName: string; topic: string } }).data)).toMatchObject([
      { thingName: 'meter-1', topic: 'dt/lwm2m-bridge/aws-1/notify/meter-1' },
      { thingName: 'meter-2', topic: 'dt/lwm2m-bridge/aws-1/notify/meter-2' },
    ]);
  });

  it('keeps data about a deprovisioned device as a rejection in the bridge’s stream, off the bus', async () => {
    puts.length = 0;
    await expect(event('notify', 'meter-3', Buffer.from(senml))).resolves.toEqual({ outcome: 'rejected', events: ['MessageRejected'] });
    expect(puts).toEqual([]);
    const kept = (await events.readStream('bridge-aws-1')).filter((e) => e.type === 'MessageRejected').map((e) => e.data as { stage: string; reason: string });
    expect(kept.at(-1)!.stage).toBe('unknown-device');
    expect(kept.at(-1)!.reason).toMatch(/meter-3, which was deprovisioned/);
  });

  it('records a bridge online, and an offline that ends the sessions the device-sessions table says it held', async () => {
    // The projector folds meter-1's registrations at aws-1 into the sessions table, as the stream would.
    const sessions = createDynamoProjector({ client: doc, tables: [{ ...PROJECTION_TABLES.deviceSessions, tableName: 'sessions' }] });
    expect((await sessions.project(await events.readStream('device-meter-1'))).failures).toEqual([]);
    const holder = dynamoHolderLookup({ client: doc, tableName: 'sessions' });
    await expect(holder('meter-1', new Date('2026-05-01T10:07:00.000Z'))).resolves.toEqual({ held: true, bridgeId: 'aws-1', queueMode: false });

    await expect(run(topics.bridgeStatus('aws-1'), JSON.stringify({ bridgeId: 'aws-1', status: 'online', at: T }))).resolves.toEqual({ outcome: 'recorded', events: ['BridgeStatusChanged'] });
    await expect(run(topics.bridgeStatus('aws-1'), JSON.stringify({ bridgeId: 'aws-1', status: 'offline', at: T }))).resolves.toEqual({
      outcome: 'recorded',
      events: ['DeviceSessionLost', 'BridgeStatusChanged'],
    });
    const lost = (await events.readStream('device-meter-1')).filter((e) => e.type === 'DeviceSessionLost');
    expect(lost.map((e) => e.data)).toEqual([{ thingName: 'meter-1', endpoint: 'meter-1', bridgeId: 'aws-1', reason: 'bridge-offline', at: T }]);
    expect((await events.readStream('bridge-aws-1')).at(-1)!.data).toMatchObject({ status: 'offline', devicesLost: 1 });

    // Folded, the loss takes meter-1 out of aws-1's sessions: a command to it is ignored, and a second offline ends nothing.
    expect((await sessions.project(lost)).failures).toEqual([]);
    await expect(holder('meter-1', new Date('2026-05-01T10:07:00.000Z'))).resolves.toEqual({ held: false, reason: `no bridge holds meter-1: the bridge that held it went offline at ${T}` });
    await expect(run(topics.bridgeStatus('aws-1'), JSON.stringify({ bridgeId: 'aws-1', status: 'offline', at: '2026-05-01T10:08:00.000Z' }))).resolves.toEqual({
      outcome: 'recorded',
      events: ['BridgeStatusChanged'],
    });
  });
});

describe('a bootstrap result after the workflow gave up, on AWS', () => {
  const BROKER = 'mqtts://abc123-ats.iot.eu-west-1.amazonaws.com:8883';
  const REQUEST = 'bs-00112233445566778899aabbccddeeff';
  const TRIGGER = 'register /rd/9 2026-05-01T09:50:00.000Z';
  const result = (ok: boolean, at = '2026-05-01T09:59:00.000Z') => event('bootstrap-result', 'meter-4', { endpoint: 'meter-4', requestId: REQUEST, ok, lwm2mCode: ok ? '2.04' : '4.04', at });

  it('concludes the timed-out bootstrap from the DynamoDB stream, once however often the ok comes, and the directory shows it bootstrapped', async () => {
    await events.append({ streamId: 'device-meter-4', expectedVersion: 0, events: [provisioned('meter-4')] });
    // RecordFailed as the TimedOut state calls it, against the same table.
    const failure = { lwm2mCode: 'timeout', message: 'no result', delivery: { requestId: REQUEST, brokerUri: BROKER, fromPosition: 1, expiresAt: T } };
    await expect(recordFailed({ eventStore: events })({ thingName: 'meter-4', bridgeId: 'aws-1', trigger: TRIGGER, failure })).resolves.toMatchObject({ lateEventId: null });
    await expect(result(false)).resolves.toEqual({ outcome: 'recorded', events: ['BootstrapResultReported'] });

    streamReads.length = 0;
    await expect(result(true)).resolves.toEqual({ outcome: 'recorded', events: ['BootstrapResultReported', 'DeviceBootstrapped'] });
    expect(streamReads).toContain('device-meter-4');
    await expect(result(true)).resolves.toEqual({ outcome: 'recorded', events: ['BootstrapResultReported', 'DeviceBootstrapped'] });
    const stream = await events.readStream('device-meter-4');
    expect(stream.map((e) => e.type)).toEqual(['DeviceProvisioned', 'BootstrapFailed', 'BootstrapResultReported', 'BootstrapResultReported', 'DeviceBootstrapped']);
    expect(stream[4]).toMatchObject({ correlationId: TRIGGER, causationId: stream[3]!.eventId, data: { thingName: 'meter-4', bridgeId: 'aws-1', brokerUri: BROKER, late: true } });

    const directory = createDynamoProjector({ client: doc, tables: [{ ...PROJECTION_TABLES.directory, tableName: 'directory' }] });
    expect((await directory.project(stream)).failures).toEqual([]);
    const row = await doc.send(new GetCommand({ TableName: 'directory', Key: { [PROJECTION_ROW_KEY]: 'meter-4' } }));
    expect((JSON.parse(row.Item!.row as string) as DeviceRow).status).toBe('bootstrapped');
  });
});

describe('auth-failed messages on AWS', () => {
  const report = { identity: 'meter-1', reason: 'bad-psk', transport: 'coaps', remote: { address: '198.51.100.4', port: 50000 }, attempts: 1, firstAttemptAt: T, lastAttemptAt: T };
  const authFailed = (body: unknown) => run(topics.bridgeAuthFailed('aws-1'), typeof body === 'string' ? body : JSON.stringify(body));
  const authEvents = async (streamId: string) => (await events.readStream(streamId)).filter((e) => e.type === 'DeviceAuthenticationFailed').map((e) => e.data as Record<string, unknown>);

  it("appends DeviceAuthenticationFailed in the device's stream, for a device the directory knows and one only its stream knows", async () => {
    await expect(authFailed({ ...report, thingName: 'meter-1' })).resolves.toEqual({ outcome: 'recorded', events: ['DeviceAuthenticationFailed'] });
    expect(await authEvents('device-meter-1')).toEqual([{ ...report, thingName: 'meter-1', bridgeId: 'aws-1' }]);
    await expect(authFailed({ ...report, identity: 'meter-2', reason: 'unknown-identity' })).resolves.toEqual({ outcome: 'recorded', events: ['DeviceAuthenticationFailed'] });
    expect(await authEvents('device-meter-2')).toEqual([{ ...report, identity: 'meter-2', reason: 'unknown-identity', thingName: 'meter-2', bridgeId: 'aws-1' }]);
  });

  it('keeps a stranger in identity-<identity>, and records a redelivery once', async () => {
    const stranger = { ...report, identity: 'ghost\\x01', reason: 'unknown-identity', attempts: 12, lastAttemptAt: '2026-05-01T10:00:59.000Z' };
    await authFailed(stranger);
    await authFailed(stranger);
    expect(await authEvents('identity-ghost\\x01')).toEqual([{ ...stranger, bridgeId: 'aws-1' }]);
  });

  it('refuses a malformed message as MessageRejected in the bridge’s stream', async () => {
    await expect(authFailed({ ...report, attempts: -3 })).resolves.toEqual({ outcome: 'rejected', events: ['MessageRejected'] });
    const kept = (await events.readStream('bridge-aws-1')).filter((e) => e.type === 'MessageRejected').map((e) => e.data as { stage: string; reason: string; topic: string });
    expect(kept.at(-1)).toMatchObject({ stage: 'validate', topic: 'dt/lwm2m-bridge/aws-1/auth-failed', reason: expect.stringMatching(/attempts/) as unknown });
  });
});
