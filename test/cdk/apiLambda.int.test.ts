import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiGatewayEvent } from '../support/apiGatewayEvent.ts';
import { streamIdFor } from '../../events/envelope.ts';
import { DEPROVISIONING_DEFINITION_FILE, DEPROVISIONING_FUNCTIONS, deprovisioningTasks } from '../../functions/deprovisioning/deprovisioningTasks.ts';
import { createSqliteDeviceReadModel } from '../../functions/deviceViews/sqliteDeviceReadModel.ts';
import { createSqliteDeviceDirectory } from '../../functions/directory/sqliteDeviceDirectory.ts';
import { openSqlite, type SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { buildAwsApi } from '../../functions/lambda/awsApi.ts';
import { httpApiHandler } from '../../functions/lambda/httpApiEvent.ts';
import { executionArnOf } from '../../functions/lambda/stepFunctionsExecutions.ts';
import { openEmbeddedObjectStores } from '../../functions/objectStore/embeddedObjectStores.ts';
import { createSqliteProjectionStore } from '../../functions/projections/sqliteProjectionStore.ts';
import type { ObjectStore } from '../../functions/objectStore/objectStore.ts';
import { createCa } from '../../functions/registry/localCa.ts';
import { createSqliteDeviceRegistry, type SqliteDeviceRegistry } from '../../functions/registry/sqliteDeviceRegistry.ts';
import { createLocalWorkflowEngine, localFunctionArn, type LocalWorkflowEngine } from '../../functions/workflows/localWorkflowEngine.ts';
import { createSqliteWorkflowPersistence } from '../../functions/workflows/sqliteWorkflowPersistence.ts';
import { sqliteCommandDeps } from '../lambda/sqliteCommandDeps.ts';
import { createTestCognitoPool, type TestCognitoPool } from '../support/cognitoPool.ts';
import { unusedRebuildDeps } from '../support/unusedRebuildDeps.ts';

// The API Lambda's handler with everything behind it real except AWS itself: Cognito-shaped RS256
// tokens checked against the pool's key set, the embedded deprovisioning workflow run by the local
// engine through the same port the Step Functions adapter implements (execution ARNs included),
// SQLite store and registry, folder object stores. Requests arrive as API Gateway HTTP API events.
const REGION = 'eu-west-1';
const POOL = 'eu-west-1_Fleet0001';
const CLIENT = 'apiclient0001';
const DEPROVISIONING_ARN = 'arn:aws:states:local:000000000000:stateMachine:deprovisioning';

const dir = mkdtempSync(join(tmpdir(), 'api-lambda-'));
let db: SqliteDatabase;
let engine: LocalWorkflowEngine;
let registry: SqliteDeviceRegistry;
let uploads: ObjectStore;
let pool: TestCognitoPool;
let handler: ReturnType<typeof httpApiHandler>;

beforeAll(async () => {
  db = openSqlite({ file: join(dir, 'fleet.db'), synchronous: 'NORMAL' });
  const events = createSqliteEventStore(db);
  registry = createSqliteDeviceRegistry({ db, ca: await createCa({ commonName: 'api test CA' }) });
  const stores = await openEmbeddedObjectStores({ dataDir: dir, durable: false });
  uploads = stores.uploads;
  engine = createLocalWorkflowEngine({
    persistence: createSqliteWorkflowPersistence(db),
    handlers: deprovisioningTasks({ eventStore: events, registry, credentials: stores.credentials }),
    stateMachines: [
      {
        name: 'deprovisioning',
        definitionFile: resolve(import.meta.dirname, '../..', DEPROVISIONING_DEFINITION_FILE),
        substitutions: Object.fromEntries(Object.entries(DEPROVISIONING_FUNCTIONS).map(([sub, fn]) => [sub, localFunctionArn(fn)])),
      },
    ],
    timeScale: 0.001,
  });

  pool = await createTestCognitoPool({ region: REGION, userPoolId: POOL, clientId: CLIENT });
  const verifier = pool.verifier;
  // The directory and device views read the projection store's table.
  createSqliteProjectionStore(db);
  handler = httpApiHandler(
    buildAwsApi({
      verifier,
      events,
      registry,
      uploads: stores.uploads,
      reports: stores.reports,
      workflows: engine,
      stateMachines: { provisioning: 'arn:aws:states:local:000000000000:stateMachine:provisioning', deprovisioning: DEPROVISIONING_ARN },
      // The read side on DynamoDB has its own test (test/lambda/awsApiReadSide.int.test.ts).
      directory: createSqliteDeviceDirectory(db),
      readModel: createSqliteDeviceReadModel(db),
      commands: sqliteCommandDeps(db),
      rebuild: unusedRebuildDeps(),
      logLevel: 'silent',
    }),
  );

  await registry.ensureThing({ thingName: 'lamp-1', attributes: { kind: 'lamp' } });
  const certificate = await registry.createKeysAndCertificate({ thingName: 'lamp-1' });
  await registry.attachThingPrincipal('lamp-1', certificate.certificateId);
  await events.append({
    streamId: streamIdFor.device('lamp-1'),
    expectedVersion: 0,
    events: [
      {
        eventId: 'provisioned-lamp-1',
        type: 'DeviceProvisioned',
        typeVersion: 1,
        data: { thingName: 'lamp-1', tenant: 'city-of-lund', location: { latitude: 55.7, longitude: 13.19 }, attributes: { kind: 'lamp' }, certificateId: certificate.certificateId },
        actor: { kind: 'system', id: 'test' },
      },
    ],
  });
});

afterAll(async () => {
  await engine?.close();
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

const token = (groups: string[]) => pool.token(groups);

const request = apiGatewayEvent;

const json = (body: string | undefined) => JSON.parse(body ?? 'null') as Record<string, unknown>;

describe('the API Lambda', () => {
  it('answers the public routes without a token', async () => {
    const health = await handler(request('GET', '/health'));
    expect(health).toMatchObject({ statusCode: 200, isBase64Encoded: false });
    expect(json(health.body)).toMatchObject({ status: 'ok' });
    const openapi = await handler(request('GET', '/openapi.json'));
    expect(openapi.statusCode).toBe(200);
    expect(json(openapi.body)).toMatchObject({ openapi: expect.stringMatching(/^3\.1/) as unknown });
  });

  it('refuses a protected route without a token (401 with a challenge) and with the wrong group (403), as problem+json', async () => {
    const anonymous = await handler(request('DELETE', '/devices/lamp-1'));
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers?.['www-authenticate']).toMatch(/^Bearer/);
    expect(anonymous.headers?.['content-type']).toMatch(/application\/problem\+json/);
    const viewer = await handler(request('DELETE', '/devices/lamp-1', { token: await token(['viewer']) }));
    expect(viewer.statusCode).toBe(403);
  });

  it('answers a forwarded CORS preflight 204 without a token, and the preflight changes nothing', async () => {
    const preflight = await handler(
      request('OPTIONS', '/devices/lamp-1', { headers: { origin: 'https://d111.cloudfront.net', 'access-control-request-method': 'DELETE' } }),
    );
    expect(preflight.statusCode).toBe(204);
    expect(preflight.body).toBe('');
    // The device is still there: a preflight never reaches a route.
    const viewer = await handler(request('GET', '/devices/lamp-1', { token: await token(['viewer']) }));
    expect(viewer.statusCode).not.toBe(401);
    expect(await registry.describeThing('lamp-1')).toBeDefined();
  });

  it('stores an admin’s manifest upload byte for byte in the uploads area, under the key that starts provisioning', async () => {
    const csv = Buffer.from('serial,tenant,latitude,longitude\nlamp-9,city-of-lund,55.7,13.19\n');
    const response = await handler(request('POST', '/provisioning/manifests', { token: await token(['admin']), body: csv, headers: { 'content-type': 'text/csv' } }));
    expect(response.statusCode).toBe(202);
    const { batchId, manifestKey } = json(response.body) as { batchId: string; manifestKey: string };
    expect(manifestKey).toBe(`manifests/${batchId}.csv`);
    expect((await uploads.getBytes(manifestKey)).equals(csv)).toBe(true);
    const operator = await handler(request('POST', '/provisioning/manifests', { token: await token(['operator']), body: csv, headers: { 'content-type': 'text/csv' } }));
    expect(operator.statusCode).toBe(403);
  });

  it('deprovisions through the workflow port and shows the run under the execution ARN the Step Functions adapter derives', async () => {
    const admin = await token(['admin']);
    const started = await handler(request('DELETE', '/devices/lamp-1', { token: admin, query: 'reason=pole%20replaced' }));
    expect(started.statusCode).toBe(202);
    const location = String(started.headers?.location ?? '');
    const name = location.replace('/deprovisioning/', '');
    expect(name).toMatch(/^d-/);
    await engine.waitForCompletion(executionArnOf(DEPROVISIONING_ARN, name));
    const status = await handler(request('GET', location, { token: await token(['viewer']) }));
    expect(status.statusCode).toBe(200);
    expect(json(status.body)).toMatchObject({ executionName: name, thingName: 'lamp-1', reason: 'pole replaced', status: 'SUCCEEDED' });
    expect(await registry.describeThing('lamp-1')).toBeUndefined();
  });

  it('answers 404 problem+json for an unknown device, an unknown run and an unknown route; serves the command routes', async () => {
    const admin = await token(['admin']);
    expect((await handler(request('DELETE', '/devices/nobody', { token: admin }))).statusCode).toBe(404);
    expect((await handler(request('GET', '/deprovisioning/d-unknown', { token: admin }))).statusCode).toBe(404);
    expect((await handler(request('GET', '/provisioning/batches/b-unknown', { token: admin }))).statusCode).toBe(404);
    const unknown = await handler(request('GET', '/no-such-thing', { token: admin }));
    expect(unknown.statusCode).toBe(404);
    expect(json(unknown.body)).toMatchObject({ type: '/problems/no-such-route' });
    const commands = await handler(request('GET', '/commands', { token: admin }));
    expect(commands.statusCode).toBe(200);
    expect(json(commands.body)).toEqual({ items: [] });
  });
});
