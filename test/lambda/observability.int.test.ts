import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDynamoEventStore } from '../../functions/eventStore/dynamoEventStore.ts';
import { createEventStoreTable } from '../../functions/eventStore/dynamoTableDesign.ts';
import { INGEST_SOURCE } from '../../schemas/bus/ingest.ts';
import { encodeSenmlCbor } from '../../schemas/senml/index.ts';
import { createProjectionTables } from '../directory/support/dynamoProjections.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';

// Real Lambda entry files (functions/lambda/*.ts), imported as Lambda imports them: config from the
// environment, SDK clients pointed at loopback servers through AWS_ENDPOINT_URL_<SERVICE> (dynalite
// for DynamoDB, a small PutEvents server for EventBridge). What they write on stdout and stderr is
// what CloudWatch Logs would receive: structured log lines and EMF metric blobs.

interface PutEventsRequest {
  Entries: { DetailType: string; Detail: string }[];
}

let dynamo: LocalDynamo;
let eventBridge: Server;
const putEvents: PutEventsRequest[] = [];
const savedEnv = { ...process.env };

/** Answers PutEvents as EventBridge does (awsJson1_1), accepting every entry. */
const startLocalEventBridge = async (): Promise<{ server: Server; endpoint: string }> => {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as PutEventsRequest;
      putEvents.push(body);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ FailedEntryCount: 0, Entries: body.Entries.map((_, i) => ({ EventId: `eb-${putEvents.length}-${i}` })) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
};

const lambdaContext = (functionName: string, requestId: string): Context => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
  memoryLimitInMB: '256',
  awsRequestId: requestId,
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: '2026/05/01/[$LATEST]abc',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

interface Output {
  readonly stdout: Record<string, unknown>[];
  /** Powertools' logger writes WARN and ERROR through console.warn/error, so to stderr. */
  readonly stderr: Record<string, unknown>[];
  readonly raw: string;
}

/** Runs `call` with stdout and stderr captured; stdout lines parsed as the JSON Powertools writes. */
const captured = async <T>(call: () => Promise<T>): Promise<{ result: T | undefined; error: unknown; out: Output }> => {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
  let result: T | undefined;
  let error: unknown;
  try {
    result = await call();
  } catch (e) {
    error = e;
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  const json = (text: string) =>
    text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { result, error, out: { stdout: json(out), stderr: json(err), raw: out + err } };
};

const emfBlobs = (o: Output) => o.stdout.filter((l) => '_aws' in l);
const logLines = (o: Output) => [...o.stdout.filter((l) => !('_aws' in l)), ...o.stderr];

/** Imports an entry file fresh, as a new container would, with POWERTOOLS_SERVICE_NAME set as the CDK construct sets it. */
const coldStart = async <M>(service: string, load: () => Promise<M>): Promise<M> => {
  process.env.POWERTOOLS_SERVICE_NAME = service;
  vi.resetModules();
  return load();
};

beforeAll(async () => {
  dynamo = await startDynalite();
  await createEventStoreTable(dynamo.client, 'events');
  const { commandAudit } = (await createProjectionTables(dynamo, ['commandAudit'])).tables;
  const local = await startLocalEventBridge();
  eventBridge = local.server;
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    // Set by Lambda in an on-demand execution environment; Powertools reads cold starts from it.
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: local.endpoint,
    EVENT_STORE_TABLE: 'events',
    EVENT_BUS_NAME: 'fleet',
    COMMAND_AUDIT_TABLE: commandAudit.tableName,
    POWERTOOLS_METRICS_NAMESPACE: 'LwM2MFleet',
    POWERTOOLS_LOG_LEVEL: 'INFO',
  });
});

afterAll(async () => {
  process.env = savedEnv;
  vi.resetModules();
  await new Promise<void>((resolve, reject) => {
    eventBridge.closeAllConnections();
    eventBridge.close((e) => (e ? reject(e) : resolve()));
  });
  await dynamo.close();
});

const stateFact = {
  eventId: 'obs-msg-1#0',
  thingName: 'meter-1',
  messageId: 'obs-msg-1',
  data: {
    thingName: 'meter-1',
    messageId: 'obs-msg-1',
    topic: 'dt/lwm2m/meter-1/state',
    values: [{ name: '/3303/0/5700', path: '/3303/0/5700', time: '2026-01-01T00:00:00Z', value: { kind: 'number', v: 21.5 }, unit: 'Cel' }],
  },
};
const ingestEnvelope = {
  version: '0',
  id: 'bus-1',
  source: INGEST_SOURCE,
  'detail-type': 'DeviceStateReported',
  time: '2026-01-01T00:00:00Z',
  account: '123456789012',
  region: 'us-east-1',
  resources: [],
  detail: stateFact,
};

describe('append entry (appendIngestedEvent.ts)', () => {
  it('emits EventsAppended then DuplicatesIgnored as EMF in the LwM2MFleet namespace, with only the service dimension', async () => {
    const { handler } = await coldStart('appendIngestedEvent', () => import('../../functions/lambda/appendIngestedEvent.ts'));
    const first = await captured(() => handler(ingestEnvelope as never, lambdaContext('fleet-append', 'req-1')));
    const again = await captured(() => handler(ingestEnvelope as never, lambdaContext('fleet-append', 'req-2')));
    expect(first.result).toMatchObject({ status: 'appended' });
    expect(again.result).toMatchObject({ status: 'duplicate' });

    const [blob] = emfBlobs(first.out);
    expect(emfBlobs(first.out)).toHaveLength(1);
    expect(blob).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'LwM2MFleet', Dimensions: [['service']], Metrics: [{ Name: 'EventsAppended', Unit: 'Count' }] }] },
      service: 'appendIngestedEvent',
      EventsAppended: 1,
    });
    expect(typeof (blob!._aws as { Timestamp: unknown }).Timestamp).toBe('number');
    expect(emfBlobs(again.out)).toHaveLength(1);
    expect(emfBlobs(again.out)[0]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'LwM2MFleet', Dimensions: [['service']], Metrics: [{ Name: 'DuplicatesIgnored', Unit: 'Count' }] }] },
      DuplicatesIgnored: 1,
    });
    expect(again.out.stdout.some((l) => 'EventsAppended' in l)).toBe(false);

    // The fact really is in the store the entry was configured with.
    const store = createDynamoEventStore({ client: DynamoDBDocumentClient.from(dynamo.client), tableName: 'events' });
    expect((await store.readStream('device-meter-1')).map((e) => e.eventId)).toEqual(['obs-msg-1#0']);
  });

  it('logs a failed invocation once, structured, with the Lambda context fields and without the event', async () => {
    const { handler } = await coldStart('appendIngestedEvent', () => import('../../functions/lambda/appendIngestedEvent.ts'));
    const bad = { ...ingestEnvelope, detail: { ...stateFact, eventId: 42 } };
    const run = await captured(() => handler(bad as never, lambdaContext('fleet-append', 'req-bad')));
    expect((run.error as Error).name).toBe('InputValidationError');

    const logs = logLines(run.out);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      level: 'ERROR',
      message: 'invocation failed',
      service: 'appendIngestedEvent',
      cold_start: true,
      function_name: 'fleet-append',
      function_arn: 'arn:aws:lambda:us-east-1:123456789012:function:fleet-append',
      function_memory_size: '256',
      function_request_id: 'req-bad',
      error: { name: 'InputValidationError' },
    });
    expect(run.out.raw).not.toContain('21.5');
    // Nothing was counted, so no EMF blob and no "No application metrics" warning.
    expect(emfBlobs(run.out)).toEqual([]);
    expect(run.out.stderr.filter((l) => l.message !== 'invocation failed')).toEqual([]);

    // The logger lives as long as the container: the next invocation is warm and has its own request id.
    const next = await captured(() => handler(bad as never, lambdaContext('fleet-append', 'req-bad-2')));
    expect(logLines(next.out)).toEqual([expect.objectContaining({ cold_start: false, function_request_id: 'req-bad-2' })]);
  });
});

describe('decode entry (decodeDeviceMessage.ts)', () => {
  const payload = Buffer.from(encodeSenmlCbor([{ bn: '/3303/0/', bt: 1767225600, n: '5700', v: 21.5, u: 'Cel' }], { profile: 'lwm2m' }));
  const ruleMessage = (bytes: Buffer) => ({ topic: 'dt/lwm2m/meter-1/state', thingName: 'meter-1', payloadBase64: bytes.toString('base64'), receivedAt: Date.parse('2026-01-01T00:00:01Z') });

  it('counts a decoded message and a rejected one, and puts both on the bus through the real SDK client', async () => {
    const { handler } = await coldStart('decodeDeviceMessage', () => import('../../functions/lambda/decodeDeviceMessage.ts'));
    const before = putEvents.length;
    const good = await captured(() => handler(ruleMessage(payload), lambdaContext('fleet-decode', 'req-d1')));
    const junk = Buffer.from('not cbor at all, secret-ish bytes');
    const bad = await captured(() => handler(ruleMessage(junk), lambdaContext('fleet-decode', 'req-d2')));

    expect(good.result).toEqual({ put: 1, rejected: false });
    expect(bad.result).toMatchObject({ rejected: true });
    expect(putEvents.slice(before).map((p) => p.Entries.map((e) => e.DetailType))).toEqual([['DeviceStateReported'], ['MessageRejected']]);

    expect(emfBlobs(good.out)).toHaveLength(1);
    expect(emfBlobs(good.out)[0]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'LwM2MFleet', Dimensions: [['service']], Metrics: [{ Name: 'MessagesDecoded', Unit: 'Count' }] }] },
      service: 'decodeDeviceMessage',
      MessagesDecoded: 1,
    });
    expect(emfBlobs(bad.out)).toEqual([expect.objectContaining({ MessagesRejected: 1 })]);
    expect(emfBlobs(bad.out)[0]).not.toHaveProperty('MessagesDecoded');
    // Device payload bytes never reach the log, in either encoding.
    for (const run of [good, bad]) {
      expect(run.out.raw).not.toContain(payload.toString('base64'));
      expect(run.out.raw).not.toContain(junk.toString('base64'));
      expect(run.out.raw).not.toContain('secret-ish');
    }
  });
});

describe('command expiry entry (expireCommands.ts)', () => {
  it('writes nothing at all when the sweep finds nothing due: no empty EMF blob, no Powertools warning', async () => {
    const { handler } = await coldStart('expireCommands', () => import('../../functions/lambda/expireCommands.ts'));
    const run = await captured(() => handler({}, lambdaContext('fleet-expire', 'req-e1')));
    expect(run.error).toBeUndefined();
    expect(run.result).toEqual({ due: 0, expired: 0 });
    expect(run.out.raw).toBe('');
  });
});
