import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DescribeEndpointCommand } from '@aws-sdk/client-iot';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BootstrapDelivery } from '../../schemas/bridge/bootstrapMessages.ts';
import { createDynamoEventStore } from '../../functions/eventStore/dynamoEventStore.ts';
import { createEventStoreTable } from '../../functions/eventStore/dynamoTableDesign.ts';
import type { EventStore } from '../../functions/eventStore/eventStore.ts';
import { amazonRootCa1Pem } from '../../functions/lambda/amazonTrustAnchor.ts';
import { awsBootstrapTasks, type AwsBootstrapTasks } from '../../functions/lambda/awsBootstrapTasks.ts';
import { openFolderObjectStore } from '../../functions/objectStore/folderObjectStore.ts';
import type { ObjectStore } from '../../functions/objectStore/objectStore.ts';
import { credentialKeys } from '../../functions/provisioning/batchObjects.ts';
import { manualClock } from '../../functions/shared/clock.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { provisioned } from '../support/events.ts';
import { capturingLogger, failureOf, startLocalDataPlane, type LocalDataPlane } from './support.ts';

// DeliverCredentials as the bootstrap Lambda runs it (awsBootstrapTasks, the entry's composition):
// the DynamoDB event store on dynalite, a credentials store on disk, the real IoT data plane client
// against a loopback HTTP server. Only DescribeEndpoint is answered by the test: no local server
// speaks the IoT control plane.
const HOST = 'a1b2c3d4e5-ats.iot.eu-west-1.amazonaws.com';
const CERT_ID = 'ab'.repeat(32);
const privateKeyPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const certificatePem = `-----BEGIN CERTIFICATE-----\n${randomBytes(300).toString('base64')}\n-----END CERTIFICATE-----\n`;
const keyPieces = () => {
  const body = privateKeyPem.replace(/-----[A-Z ]+-----|\s/g, '');
  return ['PRIVATE KEY', ...Array.from({ length: Math.floor(body.length / 24) }, (_, i) => body.slice(i * 24, i * 24 + 24))];
};

let dynamo: LocalDynamo;
let plane: LocalDataPlane;
let events: EventStore;
let credentials: ObjectStore;
let folder: string;
const sdkLog = capturingLogger();

/** The composition with a DescribeEndpoint that answers as told and counts its calls. */
const compose = (describe: (c: DescribeEndpointCommand) => Promise<{ endpointAddress?: string }>) => {
  const asked: string[] = [];
  const built: string[] = [];
  const tasks: AwsBootstrapTasks = awsBootstrapTasks({
    eventStore: events,
    registry: { certificateStatus: () => Promise.reject(new Error('DeliverCredentials does not ask the registry')) },
    credentials,
    allowPlainCoap: false,
    clock: manualClock('2026-05-01T10:00:00.000Z'),
    iot: {
      send: async (c) => {
        asked.push(c.input.endpointType ?? '');
        return { ...(await describe(c)), $metadata: {} };
      },
    },
    dataPlane: (host) => {
      built.push(host);
      return plane.client({ logger: sdkLog.logger });
    },
  });
  return { tasks, asked, built };
};

const input = (thingName: string, executionName = `bs-${thingName}-1`) => ({ thingName, bridgeId: 'aws-1', certificateId: CERT_ID, executionName });

beforeAll(async () => {
  dynamo = await startDynalite();
  await createEventStoreTable(dynamo.client, 'events');
  events = createDynamoEventStore({ client: DynamoDBDocumentClient.from(dynamo.client), tableName: 'events' });
  plane = await startLocalDataPlane();
  folder = await mkdtemp(join(tmpdir(), 'aws-bootstrap-'));
  credentials = await openFolderObjectStore({ root: folder, area: 'credentials', durable: false });
  for (const thing of ['meter-1', 'meter-2']) {
    await events.append({ streamId: `device-${thing}`, expectedVersion: 0, events: [provisioned(thing, { certificateId: CERT_ID })] });
    await credentials.put(credentialKeys.mqtt(thing), JSON.stringify({ certificateId: CERT_ID, certificatePem, privateKeyPem }));
  }
});

afterAll(async () => {
  await plane.close();
  await dynamo.close();
  await rm(folder, { recursive: true, force: true });
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('DeliverCredentials on AWS', () => {
  it('publishes the device’s credentials to its bridge, telling it this account’s endpoint and Amazon Root CA 1', async () => {
    const { tasks, asked, built } = compose(() => Promise.resolve({ endpointAddress: HOST }));
    const from = plane.received.length;
    const result = await tasks.deliverBootstrapCredentials(input('meter-1'));

    const [request] = plane.received.slice(from);
    expect(request!.topic).toBe('cmd/lwm2m-bridge/aws-1/bootstrap/meter-1');
    expect(request!.query).toEqual({ qos: '1', retain: 'false' });
    const delivered = BootstrapDelivery.parse(JSON.parse(request!.body.toString('utf8')));
    expect(delivered).toMatchObject({
      endpoint: 'meter-1',
      clientId: 'meter-1',
      brokerUri: `mqtts://${HOST}:8883`,
      securityMode: 'certificate',
      certificatePem,
      privateKeyPem,
      trustAnchorPem: amazonRootCa1Pem(),
      expiresAt: '2026-05-01T10:01:00.000Z',
    });
    // The workflow keeps ids, a position and times: never the certificate or the key.
    expect(result).toEqual({ requestId: delivered.requestId, fromPosition: 1, expiresAt: '2026-05-01T10:01:00.000Z', brokerUri: `mqtts://${HOST}:8883` });
    expect(asked).toEqual(['iot:Data-ATS']);
    expect(built).toEqual([HOST]);

    // A second delivery (another device) asks IoT for nothing and builds no second client.
    await tasks.deliverBootstrapCredentials(input('meter-2'));
    expect(plane.received.at(-1)!.topic).toBe('cmd/lwm2m-bridge/aws-1/bootstrap/meter-2');
    expect(asked).toHaveLength(1);
    expect(built).toHaveLength(1);
  });

  it('fails as BridgePublishFailed (retried by the definition) when the endpoint cannot be looked up, and looks again next time', async () => {
    let fail = true;
    const { tasks, asked } = compose(() => (fail ? Promise.reject(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' })) : Promise.resolve({ endpointAddress: HOST })));
    const from = plane.received.length;
    const error = await failureOf(tasks.deliverBootstrapCredentials(input('meter-1')));
    expect(error.name).toBe('BridgePublishFailed');
    expect(error.message).toMatch(/AccessDeniedException: User is not authorized.*iot:DescribeEndpoint/);
    expect(plane.received.length).toBe(from);
    fail = false;
    await expect(tasks.deliverBootstrapCredentials(input('meter-1'))).resolves.toMatchObject({ brokerUri: `mqtts://${HOST}:8883` });
    expect(asked).toHaveLength(2);
  });

  it('fails as BridgePublishFailed when IoT refuses the publish, and no log line or error carries the key', async () => {
    const lines: string[] = [];
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')));
    }
    const { tasks } = compose(() => Promise.resolve({ endpointAddress: HOST }));
    sdkLog.lines.length = 0;
    plane.refuseNext(403, 'ForbiddenException', 'Not authorized');
    const error = await failureOf(tasks.deliverBootstrapCredentials(input('meter-2', 'bs-meter-2-refused')));
    expect(error.name).toBe('BridgePublishFailed');
    expect(error.message).toMatch(/could not be published to bridge aws-1: AWS IoT did not take the message for cmd\/lwm2m-bridge\/aws-1\/bootstrap\/meter-2 \(ForbiddenException/);
    // What the Lambda runtime would log for the failure, and what the SDK logged.
    const logged = [...lines, ...sdkLog.lines, error.message, error.stack ?? ''];
    expect(sdkLog.lines.some((l) => l.startsWith('error ') && l.includes('ForbiddenException'))).toBe(true);
    for (const piece of keyPieces()) expect(logged.filter((l) => l.includes(piece))).toEqual([]);
  });

  it('refuses credentials of another certificate without publishing or quoting them', async () => {
    const { tasks } = compose(() => Promise.resolve({ endpointAddress: HOST }));
    const from = plane.received.length;
    const error = await failureOf(tasks.deliverBootstrapCredentials({ ...input('meter-1'), certificateId: 'cd'.repeat(32) }));
    expect(error.name).toBe('CredentialsMismatch');
    expect(plane.received.length).toBe(from);
    for (const piece of keyPieces()) expect(error.message).not.toContain(piece);
  });
});

describe('the other bootstrap tasks on AWS', () => {
  it('record the outcome in the device’s stream on DynamoDB, once however often the task is retried', async () => {
    const { tasks } = compose(() => Promise.resolve({ endpointAddress: HOST }));
    const recorded = { thingName: 'meter-1', bridgeId: 'aws-1', trigger: 'register /rd/1 2026-05-01T09:59:58Z', brokerUri: `mqtts://${HOST}:8883` };
    const first = await tasks.recordDeviceBootstrapped(recorded);
    await expect(tasks.recordDeviceBootstrapped(recorded)).resolves.toEqual(first);
    const stream = await events.readStream('device-meter-1');
    expect(stream.filter((e) => e.type === 'DeviceBootstrapped').map((e) => e.data)).toEqual([{ thingName: 'meter-1', endpoint: 'meter-1', bridgeId: 'aws-1', brokerUri: `mqtts://${HOST}:8883` }]);
    // And a check of the same device now refuses it: it has its credentials.
    await expect(tasks.checkBootstrapDevice({ thingName: 'meter-1', transport: 'coaps' })).resolves.toEqual({ decision: 'reject', reason: 'already-bootstrapped', known: true, certificateId: null });
  });
});
