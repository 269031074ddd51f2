import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand, ResourceNotFoundException, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProblemSchema } from '../../functions/api/openapi/apiSchemas.ts';
import { ProjectionBackfillStartedSchema } from '../../functions/api/projections/projectionRebuildSchemas.ts';
import { createSqliteDeviceReadModel } from '../../functions/deviceViews/sqliteDeviceReadModel.ts';
import { createSqliteDeviceDirectory } from '../../functions/directory/sqliteDeviceDirectory.ts';
import { openSqlite, type SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { AWS_API_ROUTES, buildAwsApi } from '../../functions/lambda/awsApi.ts';
import { httpApiHandler } from '../../functions/lambda/httpApiEvent.ts';
import { lambdaAsyncInvoker, type LambdaSender } from '../../functions/lambda/lambdaAsyncInvoke.ts';
import { parseRebuildFunctions, type RebuildFunctions } from '../../functions/lambda/rebuildFunctions.ts';
import { createStepFunctionsExecutions, type SfnSender } from '../../functions/lambda/stepFunctionsExecutions.ts';
import { openEmbeddedObjectStores } from '../../functions/objectStore/embeddedObjectStores.ts';
import { RebuildRequest } from '../../functions/projections/dynamoRebuildRequest.ts';
import { PROJECTION_TABLES, type ProjectionTableName } from '../../functions/projections/projectionTableDesign.ts';
import { createCa } from '../../functions/registry/localCa.ts';
import { createSqliteDeviceRegistry } from '../../functions/registry/sqliteDeviceRegistry.ts';
import { manualClock } from '../../functions/shared/clock.ts';
import { apiGatewayEvent } from '../support/apiGatewayEvent.ts';
import { createTestCognitoPool, type TestCognitoPool } from '../support/cognitoPool.ts';
import { sqliteCommandDeps } from './sqliteCommandDeps.ts';

/*
 * POST /projections/:name/rebuild in the API Lambda: requests as API Gateway delivers them (HTTP
 * API, payload 2.0), tokens as a Cognito pool signs them, and Lambda at the SDK's `send`, which
 * records each InvokeCommand and answers as the Invoke API documents for InvocationType Event
 * (StatusCode 202, no payload), or with the error a test scripts.
 */

const REGION = 'eu-west-1';
const POOL = 'eu-west-1_Rebuild01';
const CLIENT = 'rebuildclient01';
const TABLES = Object.keys(PROJECTION_TABLES) as ProjectionTableName[];

/** Lambda at `send`: InvokeCommands recorded as sent; the next answer can be scripted to fail. */
class ScriptedLambda {
  readonly sent: InvokeCommand[] = [];
  failNext: Error | undefined;
  readonly client: LambdaSender = {
    send: (command: InvokeCommand): Promise<InvokeCommandOutput> => {
      if (!(command instanceof InvokeCommand)) return Promise.reject(new Error('this test’s Lambda answers Invoke only'));
      this.sent.push(command);
      const failure = this.failNext;
      this.failNext = undefined;
      if (failure) return Promise.reject(failure);
      return Promise.resolve({ $metadata: { httpStatusCode: 202 }, StatusCode: 202 });
    },
  };
  /** The payloads sent since `mark`, decoded from their bytes. */
  payloadsSince(mark: number): unknown[] {
    return this.sent.slice(mark).map((c) => JSON.parse(new TextDecoder().decode(c.input.Payload as Uint8Array)) as unknown);
  }
}

// What the CDK app puts in REBUILD_FUNCTIONS: generated names, log groups of their own.
const FUNCTIONS: RebuildFunctions = parseRebuildFunctions(
  JSON.stringify(
    Object.fromEntries(TABLES.map((t) => [t, { functionName: `LwM2MFleet-ProjectionRebuild${t}Function-AbC123`, logGroup: `LwM2MFleet-ProjectionRebuild${t}Logs-XyZ789` }])),
  ),
  'REBUILD_FUNCTIONS',
);

const dir = mkdtempSync(join(tmpdir(), 'api-rebuild-'));
const lambda = new ScriptedLambda();
const clock = manualClock('2026-06-01T12:00:00.000Z');
let runs = 0;
let db: SqliteDatabase;
let pool: TestCognitoPool;
let handler: ReturnType<typeof httpApiHandler>;

const post = async (path: string, query: string, groups: readonly string[] | undefined) =>
  handler(apiGatewayEvent('POST', path, { query, ...(groups ? { token: await pool.token(groups) } : {}) }));

const problemOf = (body: string | undefined) => ProblemSchema.parse(JSON.parse(body ?? ''));

beforeAll(async () => {
  db = openSqlite({ file: join(dir, 'fleet.db'), synchronous: 'NORMAL' });
  const local = await openEmbeddedObjectStores({ dataDir: dir, durable: false });
  pool = await createTestCognitoPool({ region: REGION, userPoolId: POOL, clientId: CLIENT });
  const commands = sqliteCommandDeps(db);
  const noStepFunctions = { send: () => Promise.reject(new Error('the rebuild route must not call Step Functions')) } as unknown as SfnSender;
  handler = httpApiHandler(
    buildAwsApi({
      verifier: pool.verifier,
      events: createSqliteEventStore(db),
      registry: createSqliteDeviceRegistry({ db, ca: await createCa({ commonName: 'rebuild test CA' }) }),
      uploads: local.uploads,
      reports: local.reports,
      workflows: createStepFunctionsExecutions(noStepFunctions),
      directory: createSqliteDeviceDirectory(db),
      readModel: createSqliteDeviceReadModel(db),
      commands,
      stateMachines: { provisioning: 'arn:aws:states:eu-west-1:123456789012:stateMachine:P', deprovisioning: 'arn:aws:states:eu-west-1:123456789012:stateMachine:D' },
      rebuild: { functions: FUNCTIONS, invokeAsync: lambdaAsyncInvoker(lambda.client), clock, newRunId: () => `r-test-${++runs}` },
      logLevel: 'silent',
    }),
  );
}, 60_000);

afterAll(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('POST /projections/:name/rebuild on the API Lambda', () => {
  it('is one of the API Lambda’s routes', () => {
    expect(AWS_API_ROUTES).toContain('POST /projections/:name/rebuild');
  });

  it('starts the backfill of the projection’s table: one asynchronous invoke of its rebuild function, and a 202 saying where the outcome is logged', async () => {
    const mark = lambda.sent.length;
    const res = await post('/projections/devices/rebuild', 'replace=true', ['admin']);
    expect(res.statusCode, res.body).toBe(202);
    expect(res.headers?.['content-type']).toMatch(/^application\/json/);
    const body = ProjectionBackfillStartedSchema.parse(JSON.parse(res.body ?? ''));
    const fn = FUNCTIONS.directory;
    expect(body).toEqual({
      projection: 'devices',
      table: 'directory',
      mode: 'backfill',
      runId: `r-test-${runs}`,
      functionName: fn.functionName,
      startedAt: '2026-06-01T12:00:00.000Z',
      startedBy: 'ada-sub',
      outcome: {
        logGroup: fn.logGroup,
        summaryMessage: 'rebuild invocation',
        query: `fields @timestamp, invocation, outcome, eventsRead, rowsWritten, rowsUnchanged, cursor, error | filter message = "rebuild invocation" and runId = "r-test-${runs}" | sort @timestamp asc`,
        detail: expect.stringMatching(/outcome "done".*outcome "failed" names the cursor to resume from/) as unknown,
      },
    });
    // The Invoke API's input as documented: the function, InvocationType Event, the payload as JSON bytes.
    const sent = lambda.sent.slice(mark);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.input.FunctionName).toBe(fn.functionName);
    expect(sent[0]!.input.InvocationType).toBe('Event');
    expect(sent[0]!.input.Payload).toBeInstanceOf(Uint8Array);
    const [payload] = lambda.payloadsSince(mark);
    expect(payload).toEqual({ projection: 'directory', continue: true, runId: body.runId, startedBy: 'ada-sub' });
    // What the rebuild function accepts.
    expect(RebuildRequest.safeParse(payload).success).toBe(true);
  });

  it('maps every embedded projection name to its table, and accepts the table keys too', async () => {
    for (const table of TABLES) {
      for (const name of new Set([PROJECTION_TABLES[table].projection.name, table])) {
        const mark = lambda.sent.length;
        const res = await post(`/projections/${name}/rebuild`, 'replace=true', ['admin']);
        expect(res.statusCode, `${name}: ${res.body}`).toBe(202);
        expect(JSON.parse(res.body ?? '')).toMatchObject({ projection: PROJECTION_TABLES[table].projection.name, table, functionName: FUNCTIONS[table].functionName });
        expect(lambda.sent.slice(mark).map((c) => c.input.FunctionName)).toEqual([FUNCTIONS[table].functionName]);
        expect(lambda.payloadsSince(mark)).toEqual([expect.objectContaining({ projection: table, continue: true })]);
      }
    }
  });

  it('ignores differences: a backfill compares nothing', async () => {
    const res = await post('/projections/device-state/rebuild', 'replace=true&differences=5', ['admin']);
    expect(res.statusCode, res.body).toBe(202);
    expect(JSON.parse(res.body ?? '')).toMatchObject({ table: 'deviceState', mode: 'backfill' });
  });

  it('refuses compare-only with 400, saying a rebuild on AWS is a backfill and to send replace=true; nothing is invoked', async () => {
    for (const query of ['', 'replace=false', 'differences=3']) {
      const mark = lambda.sent.length;
      const res = await post('/projections/devices/rebuild', query, ['admin']);
      expect(res.statusCode, query).toBe(400);
      expect(res.headers?.['content-type']).toMatch(/^application\/problem\+json/);
      const problem = problemOf(res.body);
      expect(problem).toMatchObject({ type: '/problems/invalid-parameters', status: 400, instance: `/projections/devices/rebuild${query ? `?${query}` : ''}` });
      expect(problem.detail).toMatch(/On AWS a rebuild is a backfill into the live projection table.*Send replace=true/);
      expect((JSON.parse(res.body ?? '') as { errors: unknown[] }).errors).toEqual([expect.objectContaining({ field: 'replace', rule: 'backfill-only' })]);
      expect(lambda.sent.length).toBe(mark);
    }
  });

  it('refuses a malformed query with 400 naming the parameter', async () => {
    const mark = lambda.sent.length;
    const res = await post('/projections/devices/rebuild', 'replace=yes', ['admin']);
    expect(res.statusCode).toBe(400);
    expect((JSON.parse(res.body ?? '') as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(['replace']);
    const extra = await post('/projections/devices/rebuild', 'replace=true&cursor=abc', ['admin']);
    expect(extra.statusCode).toBe(400);
    expect(lambda.sent.length).toBe(mark);
  });

  it('answers 404 for an unknown projection, naming every valid one', async () => {
    const mark = lambda.sent.length;
    for (const name of ['nope', 'Devices', 'device_state']) {
      const res = await post(`/projections/${name}/rebuild`, 'replace=true', ['admin']);
      expect(res.statusCode, name).toBe(404);
      const problem = problemOf(res.body);
      expect(problem.type).toBe('/problems/projection-not-found');
      for (const table of TABLES) expect(problem.detail).toContain(`${PROJECTION_TABLES[table].projection.name} (table ${table})`);
    }
    expect(lambda.sent.length).toBe(mark);
  });

  it('is for admins only: 403 for operators and viewers, 401 without a token, and nothing is invoked', async () => {
    const mark = lambda.sent.length;
    for (const role of ['operator', 'viewer']) {
      const res = await post('/projections/devices/rebuild', 'replace=true', [role]);
      expect(res.statusCode, role).toBe(403);
      expect(problemOf(res.body).type).toBe('/problems/forbidden');
    }
    const anonymous = await post('/projections/devices/rebuild', 'replace=true', undefined);
    expect(anonymous.statusCode).toBe(401);
    expect(problemOf(anonymous.body).type).toBe('/problems/missing-token');
    expect(lambda.sent.length).toBe(mark);
  });

  it('answers 502 when Lambda does not accept the invoke, naming the function and how to start it by hand', async () => {
    lambda.failNext = new ResourceNotFoundException({ message: 'Function not found: LwM2MFleet-ProjectionRebuildalarmsFunction-AbC123', $metadata: { httpStatusCode: 404 } });
    const res = await post('/projections/alarms/rebuild', 'replace=true', ['admin']);
    expect(res.statusCode).toBe(502);
    const problem = problemOf(res.body);
    expect(problem.type).toBe('/problems/backfill-not-started');
    expect(problem.detail).toContain(FUNCTIONS.alarms.functionName);
    expect(problem.detail).toMatch(/ResourceNotFoundException: Function not found.*nothing was started.*\{"projection":"alarms"\}/);
  });
});

describe('the API Lambda’s configuration of the rebuild functions', () => {
  it('refuses a REBUILD_FUNCTIONS that is not JSON, or leaves a table out, saying what sets it', () => {
    expect(() => parseRebuildFunctions('{', 'REBUILD_FUNCTIONS')).toThrow(/REBUILD_FUNCTIONS is not JSON: the CDK app/);
    const partial = JSON.stringify({ directory: FUNCTIONS.directory });
    expect(() => parseRebuildFunctions(partial, 'REBUILD_FUNCTIONS')).toThrow(/does not name a rebuild function for each of deviceState, alarms, directory.*deviceState/);
    const blank = JSON.stringify({ ...FUNCTIONS, alarms: { functionName: '', logGroup: 'x' } });
    expect(() => parseRebuildFunctions(blank, 'REBUILD_FUNCTIONS')).toThrow(/alarms\.functionName/);
  });

  it('treats an invoke Lambda did not queue (any status but 202) as not started', async () => {
    const sync: LambdaSender = { send: () => Promise.resolve({ $metadata: { httpStatusCode: 200 }, StatusCode: 200 }) };
    await expect(lambdaAsyncInvoker(sync)('fn-1', { projection: 'alarms' })).rejects.toThrow(/answered 200 instead of 202 to the asynchronous invoke of fn-1/);
  });
});
