import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type DescribeExecutionCommandOutput,
  type GetExecutionHistoryCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiGatewayEvent } from '../support/apiGatewayEvent.ts';
import { streamIdFor } from '../../events/envelope.ts';
import { ProblemSchema } from '../../functions/api/openapi/apiSchemas.ts';
import { openSqlite, type SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { createSqliteDeviceReadModel } from '../../functions/deviceViews/sqliteDeviceReadModel.ts';
import { createSqliteDeviceDirectory } from '../../functions/directory/sqliteDeviceDirectory.ts';
import { AWS_API_ROUTES, buildAwsApi } from '../../functions/lambda/awsApi.ts';
import { httpApiHandler } from '../../functions/lambda/httpApiEvent.ts';
import { createStepFunctionsExecutions, executionArnOf, type SfnSender } from '../../functions/lambda/stepFunctionsExecutions.ts';
import { openEmbeddedObjectStores } from '../../functions/objectStore/embeddedObjectStores.ts';
import { createS3ObjectStore } from '../../functions/objectStore/s3ObjectStore.ts';
import { BatchListPageSchema, BatchNotStartedSchema, BatchSchema } from '../../functions/provisioning/batchListSchemas.ts';
import { createCa } from '../../functions/registry/localCa.ts';
import { createSqliteDeviceRegistry } from '../../functions/registry/sqliteDeviceRegistry.ts';
import { createTestCognitoPool, type TestCognitoPool } from '../support/cognitoPool.ts';
import { newEvent } from '../support/events.ts';
import { startS3StandIn, type S3StandIn } from '../support/s3StandIn.ts';
import { sqliteCommandDeps } from './sqliteCommandDeps.ts';
import { unusedRebuildDeps } from '../support/unusedRebuildDeps.ts';

/*
 * GET /provisioning/batches and GET /provisioning/batches/:batchId in the API Lambda: requests as
 * API Gateway delivers them (HTTP API, payload 2.0), tokens as a Cognito pool signs them, manifests
 * in an S3 bucket reached by a real S3Client over HTTP (the loopback stand-in, so the listing's
 * query parameters are checked on the wire), and Step Functions at the SDK's `send`, answering
 * DescribeExecution and GetExecutionHistory with the shapes the Step Functions API reference gives.
 */

const REGION = 'eu-west-1';
const POOL = 'eu-west-1_Batches01';
const CLIENT = 'batchesclient01';
const BUCKET = 'fleet-uploads';
const PROVISIONING = 'arn:aws:states:eu-west-1:123456789012:stateMachine:LwM2MFleet-Provisioning';

interface ScriptedExecution {
  readonly status: NonNullable<DescribeExecutionCommandOutput['status']>;
  readonly startDate: Date;
  readonly stopDate?: Date;
  readonly error?: string;
  readonly cause?: string;
  readonly history: HistoryEvent[];
}

/** Step Functions at `send`: the runs the test scripts, ExecutionDoesNotExist for any other. */
class ScriptedStepFunctions {
  readonly executions = new Map<string, ScriptedExecution>();
  readonly sent: { name: string; executionArn: string }[] = [];

  readonly client = {
    send: (command: unknown): Promise<unknown> => {
      if (command instanceof DescribeExecutionCommand) {
        const arn = command.input.executionArn!;
        this.sent.push({ name: 'DescribeExecution', executionArn: arn });
        const run = this.executions.get(arn);
        if (!run) return Promise.reject(new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${arn}'`, $metadata: { httpStatusCode: 400 } }));
        const name = arn.slice(arn.lastIndexOf(':') + 1);
        const out: DescribeExecutionCommandOutput = {
          $metadata: { httpStatusCode: 200 },
          executionArn: arn,
          stateMachineArn: PROVISIONING,
          name,
          status: run.status,
          startDate: run.startDate,
          input: JSON.stringify({ batchId: name, manifestKey: `manifests/${name}.csv`, format: 'csv' }),
          inputDetails: { included: true },
          ...(run.stopDate ? { stopDate: run.stopDate } : {}),
          ...(run.error ? { error: run.error, cause: run.cause } : {}),
        };
        return Promise.resolve(out);
      }
      if (command instanceof GetExecutionHistoryCommand) {
        const arn = command.input.executionArn!;
        this.sent.push({ name: 'GetExecutionHistory', executionArn: arn });
        const run = this.executions.get(arn);
        if (!run) return Promise.reject(new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${arn}'`, $metadata: { httpStatusCode: 400 } }));
        const out: GetExecutionHistoryCommandOutput = { $metadata: { httpStatusCode: 200 }, events: run.history };
        return Promise.resolve(out);
      }
      return Promise.reject(new Error(`this test's Step Functions does not answer ${(command as object).constructor.name}: the route should not call it`));
    },
  } as unknown as SfnSender;

  callsSince(mark: number) {
    return this.sent.slice(mark).map((c) => `${c.name} ${c.executionArn.slice(c.executionArn.lastIndexOf(':') + 1)}`);
  }
}

const chunkExited = (id: number, counts: Record<string, number>): HistoryEvent => ({
  id,
  previousEventId: id - 1,
  timestamp: new Date('2026-03-01T10:00:30Z'),
  type: 'TaskStateExited',
  stateExitedEventDetails: { name: 'ProvisionChunk', output: JSON.stringify(counts), outputDetails: { truncated: false } },
});

const dir = mkdtempSync(join(tmpdir(), 'api-batches-'));
let s3: S3StandIn;
let s3Client: S3Client;
let db: SqliteDatabase;
let pool: TestCognitoPool;
let handler: ReturnType<typeof httpApiHandler>;
const sfn = new ScriptedStepFunctions();
/** Oldest first: A succeeded, B failed, C runs, D has no execution yet. */
const ids: string[] = [];

const request = apiGatewayEvent;

const viewerGet = async (path: string, query = '') => handler(request('GET', path, { token: await pool.token(['viewer']), query }));

/** The listing requests S3 received since `mark`: their query parameters, as sent. */
const listingsSince = (mark: number) =>
  s3.seen
    .slice(mark)
    .filter((r) => r.method === 'GET' && r.query.get('list-type') === '2')
    .map((r) => ({ prefix: r.query.get('prefix'), maxKeys: r.query.get('max-keys'), startAfter: r.query.get('start-after') }));
const headsSince = (mark: number) => s3.seen.slice(mark).filter((r) => r.method === 'HEAD').length;

beforeAll(async () => {
  s3 = await startS3StandIn(BUCKET);
  s3Client = new S3Client({
    region: REGION,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  });
  const uploads = createS3ObjectStore({ bucket: BUCKET, client: s3Client });
  db = openSqlite({ file: join(dir, 'fleet.db'), synchronous: 'NORMAL' });
  const events = createSqliteEventStore(db);
  const local = await openEmbeddedObjectStores({ dataDir: dir, durable: false });
  pool = await createTestCognitoPool({ region: REGION, userPoolId: POOL, clientId: CLIENT });
  // First: it creates the projection store the directory and device views read.
  const commands = sqliteCommandDeps(db);
  handler = httpApiHandler(
    buildAwsApi({
      verifier: pool.verifier,
      events,
      registry: createSqliteDeviceRegistry({ db, ca: await createCa({ commonName: 'batches test CA' }) }),
      uploads,
      reports: local.reports,
      workflows: createStepFunctionsExecutions(sfn.client),
      directory: createSqliteDeviceDirectory(db),
      readModel: createSqliteDeviceReadModel(db),
      commands,
      stateMachines: { provisioning: PROVISIONING, deprovisioning: 'arn:aws:states:eu-west-1:123456789012:stateMachine:LwM2MFleet-Deprovisioning' },
      rebuild: unusedRebuildDeps(),
      logLevel: 'silent',
    }),
  );

  // Four uploads through the API, as an admin's browser sends them.
  const admin = await pool.token(['admin']);
  for (const name of ['lund-north.csv', 'lund-south.csv', 'malmö hamn.csv', 'ystad.csv']) {
    const res = await handler(request('POST', '/provisioning/manifests', { token: admin, query: `name=${encodeURIComponent(name)}`, body: 'serial,tenant,latitude,longitude\nm-1,lund,55.7,13.19\n', headers: { 'content-type': 'text/csv' } }));
    expect(res.statusCode, res.body).toBe(202);
    ids.push((JSON.parse(res.body ?? '{}') as { batchId: string }).batchId);
  }
  // A manifest put in the bucket directly (aws s3 cp): no metadata. And an object that is no manifest.
  await uploads.put('manifests/b-harbour.csv', 'serial,tenant,latitude,longitude\n', { contentType: 'text/csv' });
  await uploads.put('manifests/README.txt', 'not a manifest', { contentType: 'text/plain' });

  const [a, b, c] = ids as [string, string, string, string];
  sfn.executions.set(executionArnOf(PROVISIONING, a), { status: 'SUCCEEDED', startDate: new Date('2026-03-01T09:00:00Z'), stopDate: new Date('2026-03-01T09:01:00Z'), history: [] });
  await events.append({
    streamId: streamIdFor.batch(a),
    expectedVersion: 'any',
    events: [
      newEvent('ProvisioningBatchStarted', { batchId: a, manifestKey: `manifests/${a}.csv`, format: 'csv', totalRows: 3, invalidRows: 1 }),
      newEvent('ProvisioningBatchCompleted', { batchId: a, provisioned: 2, updated: 0, unchanged: 0, failed: 0, invalid: 1, reportKey: `batches/${a}/report.csv` }),
    ],
  });
  sfn.executions.set(executionArnOf(PROVISIONING, b), {
    status: 'FAILED',
    startDate: new Date('2026-03-01T09:30:00Z'),
    stopDate: new Date('2026-03-01T09:30:05Z'),
    error: 'ManifestUnreadable',
    cause: 'the manifest is not UTF-8',
    history: [],
  });
  sfn.executions.set(executionArnOf(PROVISIONING, c), {
    status: 'RUNNING',
    startDate: new Date('2026-03-01T10:00:00Z'),
    history: [
      { id: 1, timestamp: new Date('2026-03-01T10:00:00Z'), type: 'ExecutionStarted' },
      chunkExited(2, { rows: 500, provisioned: 498, updated: 0, unchanged: 1, failed: 1 }),
    ],
  });
  await events.append({
    streamId: streamIdFor.batch(c),
    expectedVersion: 'any',
    events: [newEvent('ProvisioningBatchStarted', { batchId: c, manifestKey: `manifests/${c}.csv`, format: 'csv', totalRows: 1200, invalidRows: 3 })],
  });
}, 60_000);

afterAll(async () => {
  s3Client?.destroy();
  await s3?.close();
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /provisioning/batches on the API Lambda', () => {
  it('is one of the API Lambda’s routes', () => {
    expect(AWS_API_ROUTES).toContain('GET /provisioning/batches');
  });

  it('pages through the uploads bucket newest first, one bounded listing per page, with each batch’s metadata and Step Functions progress', async () => {
    const [a, b, c, d] = ids as [string, string, string, string];
    const s3Mark = s3.seen.length;
    const sfnMark = sfn.sent.length;
    const first = await viewerGet('/provisioning/batches', 'limit=2');
    expect(first.statusCode, first.body).toBe(200);
    const page1 = BatchListPageSchema.parse(JSON.parse(first.body ?? ''));
    expect(page1.items.map((i) => [i.batchId, i.status])).toEqual([
      [d, 'PENDING'],
      [c, 'RUNNING'],
    ]);
    expect(page1.items[0]).toMatchObject({ fileName: 'ystad.csv', uploadedBy: 'ada-sub', format: 'csv' });
    expect(page1.items[0]!.progress).toBeUndefined();
    expect(page1.items[1]).toMatchObject({
      fileName: 'malmö hamn.csv',
      progress: { totalRows: 1200, invalidRows: 3, rowsDone: 500, provisioned: 498, unchanged: 1, failed: 1, startedAt: '2026-03-01T10:00:00.000Z' },
    });
    // One listing of manifests/ asking for one more key than the page shows, a HEAD per batch shown.
    // A listing of manifests/ asking for one more key than the page shows. README.txt sorts first
    // (capitals before lower case) and is no manifest, so that listing held two of the three
    // manifests asked for: one more listing goes on from where it stopped. A HEAD per batch shown.
    expect(listingsSince(s3Mark)).toEqual([
      { prefix: 'manifests/', maxKeys: '3', startAfter: null },
      { prefix: 'manifests/', maxKeys: '1000', startAfter: `manifests/${c}.csv` },
    ]);
    expect(headsSince(s3Mark)).toBe(2);
    expect(sfn.callsSince(sfnMark).sort()).toEqual([`DescribeExecution ${c}`, `DescribeExecution ${d}`, `GetExecutionHistory ${c}`].sort());

    const s3Mark2 = s3.seen.length;
    const sfnMark2 = sfn.sent.length;
    const page2 = BatchListPageSchema.parse(JSON.parse((await viewerGet('/provisioning/batches', `limit=2&cursor=${page1.nextCursor!}`)).body ?? ''));
    expect(page2.items.map((i) => [i.batchId, i.status])).toEqual([
      [b, 'FAILED'],
      [a, 'SUCCEEDED'],
    ]);
    expect(page2.items[0]!.progress).toMatchObject({ error: { name: 'ManifestUnreadable', cause: 'the manifest is not UTF-8' }, rowsDone: 0 });
    expect(page2.items[1]!.progress).toMatchObject({ provisioned: 2, invalidRows: 1, reportKey: `batches/${a}/report.csv`, stoppedAt: '2026-03-01T09:01:00.000Z' });
    // The next page starts after the last batch shown; a finished batch's counts come from its stream, not its history.
    expect(listingsSince(s3Mark2)).toEqual([{ prefix: 'manifests/', maxKeys: '3', startAfter: `manifests/${c}.csv` }]);
    expect(sfn.callsSince(sfnMark2).sort()).toEqual([`DescribeExecution ${a}`, `DescribeExecution ${b}`, `GetExecutionHistory ${b}`].sort());

    // Then the manifest put in the bucket directly, after every API upload; README.txt is no batch.
    const page3 = BatchListPageSchema.parse(JSON.parse((await viewerGet('/provisioning/batches', `limit=2&cursor=${page2.nextCursor!}`)).body ?? ''));
    expect(page3.items.map((i) => [i.batchId, i.status])).toEqual([['b-harbour', 'PENDING']]);
    expect(page3.items[0]!.fileName).toBeUndefined();
    expect(page3.items[0]!.uploadedBy).toBeUndefined();
    expect(page3.nextCursor).toBeUndefined();
  });

  it('gives the same batches in the same order whatever the page size', async () => {
    const all = BatchListPageSchema.parse(JSON.parse((await viewerGet('/provisioning/batches')).body ?? ''));
    expect(all.items.map((i) => i.batchId)).toEqual([...ids].reverse().concat('b-harbour'));
    expect(all.nextCursor).toBeUndefined();
    const one: string[] = [];
    let cursor: string | undefined;
    do {
      const page = BatchListPageSchema.parse(JSON.parse((await viewerGet('/provisioning/batches', `limit=1${cursor ? `&cursor=${cursor}` : ''}`)).body ?? ''));
      one.push(...page.items.map((i) => i.batchId));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(one).toEqual(all.items.map((i) => i.batchId));
  });

  it('lets every role read, and refuses a caller without a token or with a forged cursor', async () => {
    for (const groups of [['viewer'], ['operator'], ['admin']]) {
      expect((await handler(request('GET', '/provisioning/batches', { token: await pool.token(groups), query: 'limit=1' }))).statusCode, groups[0]).toBe(200);
    }
    const anonymous = await handler(request('GET', '/provisioning/batches'));
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers?.['content-type']).toMatch(/^application\/problem\+json/);
    const s3Mark = s3.seen.length;
    const outside = Buffer.from(JSON.stringify({ k: 'other/secret.csv' })).toString('base64url');
    const forged = await viewerGet('/provisioning/batches', `cursor=${outside}`);
    expect(forged.statusCode).toBe(400);
    expect(ProblemSchema.parse(JSON.parse(forged.body ?? ''))).toMatchObject({ type: '/problems/invalid-cursor' });
    // Refused before S3 was asked anything.
    expect(s3.seen.length).toBe(s3Mark);
  });
});

describe('GET /provisioning/batches/:batchId on the API Lambda', () => {
  it('adds the upload’s file name, uploader and time to the progress, from the manifest’s S3 metadata', async () => {
    const c = ids[2]!;
    const s3Mark = s3.seen.length;
    const res = await viewerGet(`/provisioning/batches/${c}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(BatchSchema.parse(JSON.parse(res.body ?? ''))).toMatchObject({
      batchId: c,
      status: 'RUNNING',
      rowsDone: 500,
      fileName: 'malmö hamn.csv',
      uploadedBy: 'ada-sub',
      uploadedAt: '2026-01-01T00:00:00.000Z',
    });
    // Found by listing its own prefix (whatever its format), then one HEAD.
    expect(listingsSince(s3Mark)).toEqual([{ prefix: `manifests/${c}.`, maxKeys: '3', startAfter: null }]);
    expect(headsSince(s3Mark)).toBe(1);
  });

  it('answers a stored batch whose execution has not started with batch-not-started and what the upload stored; an unknown one with batch-not-found', async () => {
    const waiting = await viewerGet(`/provisioning/batches/${ids[3]!}`);
    expect(waiting.statusCode).toBe(404);
    expect(BatchNotStartedSchema.parse(JSON.parse(waiting.body ?? ''))).toMatchObject({ batchId: ids[3], fileName: 'ystad.csv', uploadedBy: 'ada-sub' });
    const unknown = await viewerGet('/provisioning/batches/b-0000000000000-ffffffffffffffff');
    expect(unknown.statusCode).toBe(404);
    expect(ProblemSchema.parse(JSON.parse(unknown.body ?? ''))).toMatchObject({ type: '/problems/batch-not-found' });
    expect((await handler(request('GET', `/provisioning/batches/${ids[3]!}`))).statusCode).toBe(401);
  });
});
