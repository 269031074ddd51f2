import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readStoredBridgeIdentity } from '../../functions/bridge/storedBridgeIdentity.ts';
import { openSqlite, type SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import {
  BRIDGE_IDENTITIES_RESOURCE_ID,
  bridgeIdentitiesHandler,
  type BridgeIdentitiesDeps,
} from '../../functions/lambda/bridgeIdentitiesResource.ts';
import type { CustomResourceResponse } from '../../functions/lambda/customResourceResponse.ts';
import { LAMBDA_ENV } from '../../functions/lambda/env.ts';
import { openEmbeddedObjectStores } from '../../functions/objectStore/embeddedObjectStores.ts';
import { EMBEDDED_ARN } from '../../functions/registry/devicePolicy.ts';
import { RegistryError, type DeviceRegistry } from '../../functions/registry/deviceRegistry.ts';
import { createCa, issueServerCertificate, type LocalCa } from '../../functions/registry/localCa.ts';
import { createSqliteDeviceRegistry } from '../../functions/registry/sqliteDeviceRegistry.ts';

// The custom resource handler answering a local stand-in for CloudFormation's presigned S3 URL:
// an HTTPS server on loopback with a certificate from a local CA (the handler is given that CA, as
// Lambda's trust store holds Amazon's). The stand-in records each PUT as it arrived on the wire.

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

interface StandIn {
  readonly url: (path?: string) => string;
  readonly received: Received[];
  /** Answer the next requests with these statuses (200 once they are used up). */
  readonly statuses: number[];
  close(): Promise<void>;
}

const recordingHandler = (received: Received[], statuses: number[]) => (req: IncomingMessage, res: ServerResponse) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
    res.writeHead(statuses.shift() ?? 200, { 'content-length': '0' });
    res.end();
  });
};

const listen = async (server: ReturnType<typeof createHttpServer>, scheme: 'http' | 'https', received: Received[], statuses: number[]): Promise<StandIn> => {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: (path = '/cloudformation-response/stack/fleet/req-1?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=c0ffee') => `${scheme}://127.0.0.1:${port}${path}`,
    received,
    statuses,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

const dir = mkdtempSync(join(tmpdir(), 'bridge-identities-resource-'));
const opened: SqliteDatabase[] = [];
let ca: LocalCa;
let https: StandIn;
let plain: StandIn;
let n = 0;

beforeAll(async () => {
  ca = await createCa({ commonName: 'response URL test CA' });
  const cert = await issueServerCertificate(ca);
  const received: Received[] = [];
  const statuses: number[] = [];
  https = await listen(createHttpsServer({ key: cert.privateKeyPem, cert: cert.certificatePem }, recordingHandler(received, statuses)), 'https', received, statuses);
  const plainReceived: Received[] = [];
  const plainStatuses: number[] = [];
  plain = await listen(createHttpServer(recordingHandler(plainReceived, plainStatuses)), 'http', plainReceived, plainStatuses);
});

afterAll(async () => {
  await Promise.all([https.close(), plain.close()]);
  for (const db of opened) if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

const embeddedDeps = async (): Promise<BridgeIdentitiesDeps> => {
  const db = openSqlite({ file: join(dir, `registry-${++n}.db`) });
  opened.push(db);
  const stores = await openEmbeddedObjectStores({ dataDir: join(dir, `data-${n}`), durable: false });
  return { registry: createSqliteDeviceRegistry({ db, ca }), credentials: stores.credentials, arn: EMBEDDED_ARN };
};

const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/fleet/5b9e3a40-0000-11f0-9a1b-0a1b2c3d4e5f';

/** A request as CloudFormation sends it (crpg-ref: Create, Update, Delete). */
const request = (type: 'Create' | 'Update' | 'Delete', bridgeIds: unknown = ['aws-1', 'aws-2'], responseUrl = https.url()) => ({
  RequestType: type,
  ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:fleet-bridgeIdentities',
  ResponseURL: responseUrl,
  StackId: STACK_ID,
  RequestId: `req-${type}-${++n}`,
  LogicalResourceId: 'BridgeIdentities',
  ResourceType: 'Custom::BridgeIdentities',
  ...(type === 'Create' ? {} : { PhysicalResourceId: BRIDGE_IDENTITIES_RESOURCE_ID }),
  ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:fleet-bridgeIdentities', BridgeIds: bridgeIds },
  ...(type === 'Update' ? { OldResourceProperties: { BridgeIds: ['aws-1'] } } : {}),
});

const context = (remainingMs = 60_000): Context => {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'fleet-bridgeIdentities',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:fleet-bridgeIdentities',
    memoryLimitInMB: '256',
    awsRequestId: `lambda-${++n}`,
    logGroupName: '/aws/lambda/fleet-bridgeIdentities',
    logStreamName: '2026/05/01/[$LATEST]abc',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

/** Runs `call` with stdout and stderr captured (Powertools logs there): what CloudWatch Logs would receive. */
const captured = async <T>(call: () => Promise<T>): Promise<{ result: T; logs: string }> => {
  let logs = '';
  const write = (chunk: string | Uint8Array) => ((logs += String(chunk)), true);
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(write);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(write);
  try {
    return { result: await call(), logs };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
};

/** The one PUT the stand-in got for `requestId`, checked for the transport CloudFormation expects, and its body parsed. */
const answerTo = (standIn: StandIn, requestId: string): CustomResourceResponse => {
  const puts = standIn.received.filter((r) => r.body.includes(`"RequestId":"${requestId}"`));
  expect(puts).toHaveLength(1);
  const put = puts[0]!;
  expect(put.method).toBe('PUT');
  expect(put.path).toBe('/cloudformation-response/stack/fleet/req-1?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=c0ffee');
  expect(put.headers['content-type']).toBe('');
  expect(Number(put.headers['content-length'])).toBe(Buffer.byteLength(put.body));
  expect(put.body).not.toMatch(/PRIVATE KEY/);
  return JSON.parse(put.body) as CustomResourceResponse;
};

const echoed = (event: ReturnType<typeof request>) => ({
  PhysicalResourceId: 'bridge-identities',
  StackId: event.StackId,
  RequestId: event.RequestId,
  LogicalResourceId: event.LogicalResourceId,
});

describe('BridgeIdentities custom resource', () => {
  it('Create issues the identities and PUTs SUCCESS with the counts over HTTPS; an Update issues only for the new id', async () => {
    const deps = await embeddedDeps();
    const handler = bridgeIdentitiesHandler(() => deps, { ca: ca.certificatePem });
    const create = request('Create');
    const { result, logs } = await captured(() => handler(create, context()));
    const answer = answerTo(https, create.RequestId);
    expect(answer).toEqual({
      Status: 'SUCCESS',
      Reason: 'Bridge identities: aws-1 created (missing); aws-2 created (missing).',
      ...echoed(create),
      Data: { Total: 2, Created: 2, Unchanged: 0 },
    });
    expect(result).toEqual(answer);
    expect((await readStoredBridgeIdentity(deps.credentials, 'aws-2')).bridgeId).toBe('aws-2');
    // The log names what was done, certificate ids included, and never a key.
    expect(logs).toContain('"bridgeId":"aws-1"');
    expect(logs).not.toMatch(/PRIVATE KEY/);

    const update = request('Update', ['aws-1', 'aws-2', 'aws-3']);
    await captured(() => handler(update, context()));
    expect(answerTo(https, update.RequestId)).toMatchObject({
      Status: 'SUCCESS',
      Reason: 'Bridge identities: aws-1 unchanged; aws-2 unchanged; aws-3 created (missing).',
      ...echoed(update),
      Data: { Total: 3, Created: 1, Unchanged: 2 },
    });
  });

  it('a registry failure is a FAILED answer naming the id and the step, with the counts of what was done', async () => {
    const deps = await embeddedDeps();
    const registry: DeviceRegistry = {
      ...deps.registry,
      createKeysAndCertificate: (input) =>
        input.thingName === 'bridge:aws-2'
          ? Promise.reject(new RegistryError('User is not authorized to perform iot:CreateKeysAndCertificate', { name: 'UnauthorizedException' }))
          : deps.registry.createKeysAndCertificate(input),
    };
    const handler = bridgeIdentitiesHandler(() => ({ ...deps, registry }), { ca: ca.certificatePem });
    const event = request('Create', ['aws-1', 'aws-2', 'aws-3']);
    const { logs } = await captured(() => handler(event, context()));
    const answer = answerTo(https, event.RequestId);
    expect(answer).toMatchObject({ Status: 'FAILED', ...echoed(event), Data: { Total: 1, Created: 1, Unchanged: 0 } });
    expect(answer.Reason).toMatch(/^Bridge identity aws-2 failed at issue-identity .*UnauthorizedException: User is not authorized.*aws-1 are done; deploy again/);
    expect(logs).toContain('bridge identities failed');
  });

  it('Delete retains everything and touches nothing, even with properties it could not use', async () => {
    const untouchable = new Proxy({} as DeviceRegistry, {
      get: (_, name) => () => Promise.reject(new Error(`Delete called registry.${String(name)}`)),
    });
    const deps = await embeddedDeps();
    const handler = bridgeIdentitiesHandler(() => ({ ...deps, registry: untouchable }), { ca: ca.certificatePem });
    const event = request('Delete', 'not a list');
    await captured(() => handler(event, context()));
    const answer = answerTo(https, event.RequestId);
    expect(answer).toEqual({
      Status: 'SUCCESS',
      Reason: 'Nothing deleted: bridge things, policies, certificates and stored identities are retained. Revoke and delete them by hand when the fleet is gone.',
      ...echoed(event),
      Data: { Retained: 1 },
    });
    // A Delete of a resource an older version named differently closes that one.
    const renamed = { ...request('Delete'), PhysicalResourceId: 'bridge-identities-v0' };
    await captured(() => handler(renamed, context()));
    expect(answerTo(https, renamed.RequestId)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'bridge-identities-v0' });
  });

  it('bad input is a FAILED answer that says what to fix', async () => {
    const deps = await embeddedDeps();
    const handler = bridgeIdentitiesHandler(() => deps, { ca: ca.certificatePem });
    const cases: [ReturnType<typeof request> | Record<string, unknown>, RegExp][] = [
      [request('Create', 'aws-1,aws-2'), /^ResourceProperties\.BridgeIds must be a list of bridge ids/],
      [request('Update', ['aws-1', 'Aws 2']), /^Bridge ids "Aws 2" are not valid/],
      [{ ...request('Create'), RequestType: 'Replace' }, /^Not a custom resource request this function can act on \(RequestType: /],
      [{ ...request('Create'), StackId: undefined }, /StackId: /],
    ];
    for (const [event, reason] of cases) {
      await captured(() => handler(event, context()));
      const answer = answerTo(https, event.RequestId as string);
      expect(answer.Status).toBe('FAILED');
      expect(answer.Reason).toMatch(reason);
    }
    expect(await deps.registry.describeThing('bridge:aws-1')).toBeUndefined();
  });

  it('answers FAILED before the Lambda runs out of time when the work hangs', async () => {
    const deps = await embeddedDeps();
    let release: () => void = () => undefined;
    const stuck = new Promise<undefined>((resolve) => (release = () => resolve(undefined)));
    const hanging: BridgeIdentitiesDeps = { ...deps, credentials: { ...deps.credentials, head: () => stuck } };
    const handler = bridgeIdentitiesHandler(() => hanging, { ca: ca.certificatePem });
    const event = request('Create');
    const remaining = 2_500;
    const started = Date.now();
    await captured(() => handler(event, context(remaining)));
    expect(Date.now() - started).toBeLessThan(remaining);
    const answer = answerTo(https, event.RequestId);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(/^Create did not finish in the 2 s the Lambda had before its answer was due\. What finished stays done/);
    release();
  });

  it('retries the PUT after a 5xx, and fails the invocation when the answer cannot be delivered', async () => {
    const deps = await embeddedDeps();
    const handler = bridgeIdentitiesHandler(() => deps, { ca: ca.certificatePem });
    https.statuses.push(503);
    const event = request('Delete');
    await captured(() => handler(event, context()));
    const tries = https.received.filter((r) => r.body.includes(event.RequestId));
    expect(tries).toHaveLength(2);
    expect(tries[0]!.body).toBe(tries[1]!.body);

    // 403: an expired or altered presigned URL; trying again cannot help.
    https.statuses.push(403);
    const refused = request('Delete');
    const run = await captured(() => handler(refused, context()).catch((e: unknown) => e));
    expect(String(run.result)).toMatch(/Could not deliver the answer to CloudFormation \(127\.0\.0\.1:\d+\): the response URL answered HTTP 403/);
    expect(https.received.filter((r) => r.body.includes(refused.RequestId))).toHaveLength(1);
  });

  it('a request with nowhere to answer fails the invocation and sends nothing', async () => {
    const deps = await embeddedDeps();
    const handler = bridgeIdentitiesHandler(() => deps, { ca: ca.certificatePem });
    const before = https.received.length + plain.received.length;
    const { ResponseURL: _none, ...event } = request('Create');
    await expect(handler(event, context())).rejects.toThrow(/has no ResponseURL/);
    await expect(handler({ ...event, ResponseURL: 'http://169.254.169.254/latest' }, context())).rejects.toThrow(/only https/);
    expect(https.received.length + plain.received.length).toBe(before);
  });
});

describe('BridgeIdentities Lambda entry', () => {
  const variables = [LAMBDA_ENV.credentialsBucket, LAMBDA_ENV.credentialsKeyArn, LAMBDA_ENV.awsAccountId, LAMBDA_ENV.awsPartition, 'AWS_REGION'];
  const saved = Object.fromEntries(variables.map((v) => [v, process.env[v]]));
  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('a cold start without its configuration still answers: FAILED, naming the missing variable', async () => {
    for (const name of variables) delete process.env[name];
    const { handler } = await import('../../functions/lambda/bridgeIdentitiesResource.ts');
    const event = request('Create', ['aws-1'], plain.url());
    const { logs } = await captured(() => handler(event, context()));
    const answer = answerTo(plain, event.RequestId);
    expect(answer).toMatchObject({ Status: 'FAILED', ...echoed(event) });
    expect(answer.Reason).toMatch(/^Environment variable [A-Z_]+ is not set: the CDK app \(infra\/cdk\) sets it/);
    // Logged through Powertools with the Lambda context, as every entry logs.
    expect(logs).toContain('"function_request_id"');
  });
});
