import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BridgeIdentitiesFailed,
  countBridgeIdentities,
  describeBridgeIdentities,
  ensureBridgeIdentities,
  type BridgeIdentityResult,
} from '../../functions/bridge/bridgeIdentities.ts';
import { readStoredBridgeIdentity } from '../../functions/bridge/storedBridgeIdentity.ts';
import { openSqlite, type SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import { openEmbeddedObjectStores } from '../../functions/objectStore/embeddedObjectStores.ts';
import { ObjectStoreError, type ObjectStore } from '../../functions/objectStore/objectStore.ts';
import { createS3ObjectStore } from '../../functions/objectStore/s3ObjectStore.ts';
import { credentialKeys } from '../../functions/provisioning/batchObjects.ts';
import { createAwsIotDeviceRegistry } from '../../functions/registry/awsIotDeviceRegistry.ts';
import { bridgePolicy, bridgePolicyName, EMBEDDED_ARN, type ArnContext } from '../../functions/registry/devicePolicy.ts';
import { RegistryError, type DeviceRegistry } from '../../functions/registry/deviceRegistry.ts';
import { createCa } from '../../functions/registry/localCa.ts';
import { createSqliteDeviceRegistry } from '../../functions/registry/sqliteDeviceRegistry.ts';
import { FakeS3 } from '../objectStore/fakeS3.ts';
import { FakeIot } from '../registry/fakeIot.ts';

// ensureBridgeIdentities against both registries: the embedded one (SQLite + local CA, credentials
// in the encrypted folder store) and the AWS IoT adapter with IoT faked at the SDK's `send` boundary
// (credentials in the S3 adapter over a fake S3, SSE-KMS as on AWS). The same cases run on both.

const dir = mkdtempSync(join(tmpdir(), 'bridge-identities-'));
const opened: SqliteDatabase[] = [];
let n = 0;

afterAll(() => {
  for (const db of opened) if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Setup {
  readonly registry: DeviceRegistry;
  readonly credentials: ObjectStore;
  readonly arn: ArnContext;
}

const AWS_ARN: ArnContext = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012' };
const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
const BUCKET = 'fleet-credentials';

const embedded = async (): Promise<Setup> => {
  const db = openSqlite({ file: join(dir, `registry-${++n}.db`) });
  opened.push(db);
  const ca = await createCa({ commonName: 'bridge identities test CA' });
  const stores = await openEmbeddedObjectStores({ dataDir: join(dir, `data-${n}`), durable: false });
  return { registry: createSqliteDeviceRegistry({ db, ca }), credentials: stores.credentials, arn: EMBEDDED_ARN };
};

const onAws = () => {
  const iot = new FakeIot();
  const s3 = new FakeS3(BUCKET);
  const setup: Setup = {
    registry: createAwsIotDeviceRegistry({ client: iot, arn: AWS_ARN }),
    credentials: createS3ObjectStore({ bucket: BUCKET, client: s3, sse: { kmsKeyId: KMS_KEY } }),
    arn: AWS_ARN,
  };
  return { ...setup, iot, s3 };
};

const noPrivateKey = (value: unknown) => expect(JSON.stringify(value)).not.toMatch(/PRIVATE KEY/);

/** The stored identity is one the bridge can connect with: key matches certificate, certificate ACTIVE on bridge:<id> alone. */
const expectUsable = async ({ registry, credentials }: Setup, bridgeId: string, certificateId: string) => {
  const stored = await readStoredBridgeIdentity(credentials, bridgeId);
  expect(stored.certificateId).toBe(certificateId);
  expect(new X509Certificate(stored.certificatePem).checkPrivateKey(createPrivateKey(stored.privateKeyPem))).toBe(true);
  expect(await registry.certificateStatus(certificateId)).toEqual({ status: 'ACTIVE', thingNames: [`bridge:${bridgeId}`] });
};

const cases = (name: string, make: () => Promise<Setup>) => {
  describe(`ensureBridgeIdentities (${name})`, () => {
    it('issues and stores one identity per missing id, and a second run changes nothing', async () => {
      const setup = await make();
      const seen: BridgeIdentityResult[] = [];
      const first = await ensureBridgeIdentities({ ...setup, bridgeIds: ['aws-1', 'aws-2'], onResult: (r) => seen.push(r) });
      expect(first.map((r) => [r.bridgeId, r.outcome, r.outcome === 'created' ? r.reason : undefined])).toEqual([
        ['aws-1', 'created', 'missing'],
        ['aws-2', 'created', 'missing'],
      ]);
      expect(seen).toEqual(first);
      expect(new Set(first.map((r) => r.certificateId)).size).toBe(2);
      for (const r of first) await expectUsable(setup, r.bridgeId, r.certificateId);
      noPrivateKey(first);

      const again = await ensureBridgeIdentities({ ...setup, bridgeIds: ['aws-1', 'aws-2'] });
      expect(again).toEqual(first.map((r) => ({ bridgeId: r.bridgeId, outcome: 'unchanged', certificateId: r.certificateId, policy: 'unchanged' })));
      expect(countBridgeIdentities(again)).toEqual({ Total: 2, Created: 0, Unchanged: 2 });
      expect(describeBridgeIdentities(first)).toBe('aws-1 created (missing); aws-2 created (missing)');
      // A third id added to the pool gets its own; the first two are left alone.
      const grown = await ensureBridgeIdentities({ ...setup, bridgeIds: ['aws-1', 'aws-2', 'aws-3'] });
      expect(grown.map((r) => r.outcome)).toEqual(['unchanged', 'unchanged', 'created']);
    });

    it('replaces an identity whose certificate was revoked, naming the old one, and leaves the others', async () => {
      const setup = await make();
      const [one, two] = await ensureBridgeIdentities({ ...setup, bridgeIds: ['aws-1', 'aws-2'] });
      await setup.registry.deactivateCertificate(one!.certificateId);
      const results = await ensureBridgeIdentities({ ...setup, bridgeIds: ['aws-1', 'aws-2'] });
      const replaced = results[0]!;
      expect(replaced).toMatchObject({ bridgeId: 'aws-1', outcome: 'created', reason: 'certificate-not-active', previousCertificateId: one!.certificateId });
      expect(replaced.certificateId).not.toBe(one!.certificateId);
      await expectUsable(setup, 'aws-1', replaced.certificateId);
      expect(results[1]).toMatchObject({ bridgeId: 'aws-2', outcome: 'unchanged', certificateId: two!.certificateId });
    });

    it('replaces an identity whose certificate is no longer attached to its thing', async () => {
      const setup = await make();
      const [one] = await ensureBridgeIdentities({ ...setup, bridgeIds: ['aws-1'] });
      await setup.registry.detachThingPrincipal('bridge:aws-1', one!.certificateId);
      const [again] = await ensureBridgeIdentities({ ...setup, bridgeIds: ['aws-1'] });
      expect(again).toMatchObject({ outcome: 'created', reason: 'certificate-not-attached', previousCertificateId: one!.certificateId });
      await expectUsable(setup, 'aws-1', again!.certificateId);
    });

    it('replaces a damaged object: not JSON, or an identity of another bridge', async () => {
      const setup = await make();
      await ensureBridgeIdentities({ ...setup, bridgeIds: ['aws-1', 'aws-2'] });
      await setup.credentials.put(credentialKeys.bridge('aws-1'), '{"bridgeId": "aws-1", "certif', { contentType: 'application/json' });
      const [other] = await ensureBridgeIdentities({ ...setup, bridgeIds: ['aws-1'] });
      // aws-2's object now holds aws-1's identity: a bridge must never connect as another.
      await setup.credentials.put(credentialKeys.bridge('aws-2'), await setup.credentials.getBytes(credentialKeys.bridge('aws-1')), { contentType: 'application/json' });
      expect(other).toMatchObject({ bridgeId: 'aws-1', outcome: 'created', reason: 'unreadable' });
      expect(other).not.toHaveProperty('previousCertificateId');
      const [, second] = await ensureBridgeIdentities({ ...setup, bridgeIds: ['aws-1', 'aws-2'] });
      expect(second).toMatchObject({ bridgeId: 'aws-2', outcome: 'created', reason: 'unreadable' });
      await expectUsable(setup, 'aws-2', second!.certificateId);
    });

    it('brings the bridge policy back to the current document without issuing a certificate', async () => {
      const setup = await make();
      const [one] = await ensureBridgeIdentities({ ...setup, bridgeIds: ['aws-1'] });
      const stale = bridgePolicy('aws-1', setup.arn);
      await setup.registry.ensurePolicy(bridgePolicyName('aws-1'), { ...stale, Statement: stale.Statement.slice(0, 1) });
      const [again] = await ensureBridgeIdentities({ ...setup, bridgeIds: ['aws-1'] });
      expect(again).toEqual({ bridgeId: 'aws-1', outcome: 'unchanged', certificateId: one!.certificateId, policy: 'updated' });
      expect((await setup.registry.ensurePolicy(bridgePolicyName('aws-1'), stale)).outcome).toBe('unchanged');
    });

    it('a failure names the id and the step, keeps what was done, and a rerun continues from there', async () => {
      const setup = await make();
      let refuse = true;
      const flaky: DeviceRegistry = {
        ...setup.registry,
        createKeysAndCertificate: (input) => {
          if (input.thingName === 'bridge:aws-2' && refuse) {
            refuse = false;
            return Promise.reject(new RegistryError('The service is unavailable: retry later', { name: 'ServiceUnavailableException', retryable: true }));
          }
          return setup.registry.createKeysAndCertificate(input);
        },
      };
      const error = await ensureBridgeIdentities({ ...setup, registry: flaky, bridgeIds: ['aws-1', 'aws-2', 'aws-3'] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BridgeIdentitiesFailed);
      const failed = error as BridgeIdentitiesFailed;
      expect({ bridgeId: failed.bridgeId, step: failed.step, done: failed.done.map((r) => r.bridgeId) }).toEqual({
        bridgeId: 'aws-2',
        step: 'issue-identity',
        done: ['aws-1'],
      });
      expect(failed.message).toMatch(/^Bridge identity aws-2 failed at issue-identity .*The service is unavailable.*aws-1 are done; deploy again/);
      expect(await setup.credentials.head(credentialKeys.bridge('aws-3'))).toBeUndefined();

      const rerun = await ensureBridgeIdentities({ ...setup, registry: flaky, bridgeIds: ['aws-1', 'aws-2', 'aws-3'] });
      expect(rerun.map((r) => [r.bridgeId, r.outcome])).toEqual([
        ['aws-1', 'unchanged'],
        ['aws-2', 'created'],
        ['aws-3', 'created'],
      ]);
      expect(rerun[0]!.certificateId).toBe(failed.done[0]!.certificateId);
    });

    it('a store that cannot be written fails at store-identity and says which certificate to revoke', async () => {
      const setup = await make();
      const readOnly: ObjectStore = { ...setup.credentials, put: () => Promise.reject(new ObjectStoreError('AccessDenied: not allowed to write')) };
      const error = (await ensureBridgeIdentities({ ...setup, credentials: readOnly, bridgeIds: ['aws-1'] }).catch((e: unknown) => e)) as BridgeIdentitiesFailed;
      expect(error.step).toBe('store-identity');
      const [thing] = await Promise.all([setup.registry.describeThing('bridge:aws-1')]);
      expect(thing?.principals).toHaveLength(1);
      expect(error.message).toContain(`certificate ${thing!.principals[0]} is attached to bridge:aws-1 with no stored key, revoke it`);
      noPrivateKey({ message: error.message, cause: String(error.cause) });
    });

    it('a read that fails for another reason than a damaged object fails the run instead of rotating the identity', async () => {
      const setup = await make();
      const [one] = await ensureBridgeIdentities({ ...setup, bridgeIds: ['aws-1'] });
      const unreachable: ObjectStore = { ...setup.credentials, getBytes: () => Promise.reject(new ObjectStoreError('KMS.AccessDeniedException: no decrypt')) };
      const error = (await ensureBridgeIdentities({ ...setup, credentials: unreachable, bridgeIds: ['aws-1'] }).catch((e: unknown) => e)) as BridgeIdentitiesFailed;
      expect({ step: error.step, bridgeId: error.bridgeId }).toEqual({ step: 'read-stored-identity', bridgeId: 'aws-1' });
      await expectUsable(setup, 'aws-1', one!.certificateId);
    });

    it('stops before the next id once its signal is aborted', async () => {
      const setup = await make();
      const stop = new AbortController();
      const run = ensureBridgeIdentities({ ...setup, bridgeIds: ['aws-1', 'aws-2'], signal: stop.signal, onResult: () => stop.abort() });
      await expect(run).rejects.toThrow(/abort/i);
      expect(await setup.credentials.head(credentialKeys.bridge('aws-1'))).toBeDefined();
      expect(await setup.credentials.head(credentialKeys.bridge('aws-2'))).toBeUndefined();
    });

    it('does not issue an identity once aborted while its stored one was being read', async () => {
      const setup = await make();
      const stop = new AbortController();
      const slow: ObjectStore = {
        ...setup.credentials,
        head: (key) => {
          stop.abort();
          return setup.credentials.head(key);
        },
      };
      await expect(ensureBridgeIdentities({ ...setup, credentials: slow, bridgeIds: ['aws-1'], signal: stop.signal })).rejects.toThrow(/abort/i);
      expect(await setup.registry.describeThing('bridge:aws-1')).toBeUndefined();
    });

    it('refuses ids that are not pool ids, or repeated, before touching anything', async () => {
      const setup = await make();
      await expect(ensureBridgeIdentities({ ...setup, bridgeIds: ['aws-1', 'AWS 2'] })).rejects.toThrow(/Bridge ids "AWS 2" are not valid: use lower-case letters/);
      await expect(ensureBridgeIdentities({ ...setup, bridgeIds: ['aws-1', 'aws-1'] })).rejects.toThrow(/aws-1 are listed twice/);
      expect(await setup.registry.describeThing('bridge:aws-1')).toBeUndefined();
      expect(await ensureBridgeIdentities({ ...setup, bridgeIds: [] })).toEqual([]);
    });
  });
};

cases('embedded: SQLite registry, encrypted folder store', embedded);
cases('AWS: IoT adapter over a fake IoT, S3 adapter over a fake S3', () => Promise.resolve(onAws()));

describe('ensureBridgeIdentities on AWS: the requests sent', () => {
  const certArn = (id: string) => `arn:aws:iot:eu-west-1:123456789012:cert/${id}`;

  it('issues with CreateKeysAndCertificate, attaches exclusively, and stores under SSE-KMS', async () => {
    const setup = onAws();
    const [one] = await ensureBridgeIdentities({ ...setup, bridgeIds: ['aws-1'] });
    const id = one!.certificateId;
    expect(setup.iot.sent.map((c) => [c.name.replace(/Command$/, ''), c.input])).toEqual([
      ['DescribeThing', { thingName: 'bridge:aws-1' }],
      ['CreateThing', { thingName: 'bridge:aws-1', attributePayload: { attributes: { role: 'lwm2m-bridge' } } }],
      ['GetPolicy', { policyName: 'lwm2m-bridge-aws-1' }],
      ['CreatePolicy', { policyName: 'lwm2m-bridge-aws-1', policyDocument: JSON.stringify(bridgePolicy('aws-1', AWS_ARN)) }],
      ['CreateKeysAndCertificate', { setAsActive: true }],
      ['AttachPolicy', { policyName: 'lwm2m-bridge-aws-1', target: certArn(id) }],
      ['AttachThingPrincipal', { thingName: 'bridge:aws-1', principal: certArn(id), thingPrincipalType: 'EXCLUSIVE_THING' }],
    ]);
    const puts = setup.s3.sent.filter((c) => c.name === 'PutObject').map((c) => c.input);
    expect(puts).toEqual([
      expect.objectContaining({ Bucket: BUCKET, Key: 'bridges/aws-1/mqtt.json', ContentType: 'application/json', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KMS_KEY }),
    ]);
    expect(setup.s3.buckets.get(BUCKET)?.get('bridges/aws-1/mqtt.json')?.kmsKeyId).toBe(KMS_KEY);
  });

  it('a second run only reads: DescribeCertificate, ListPrincipalThings, GetPolicy, AttachPolicy, and no new certificate', async () => {
    const setup = onAws();
    const [one] = await ensureBridgeIdentities({ ...setup, bridgeIds: ['aws-1'] });
    setup.iot.sent.length = 0;
    setup.s3.sent.length = 0;
    await ensureBridgeIdentities({ ...setup, bridgeIds: ['aws-1'] });
    const id = one!.certificateId;
    expect(setup.iot.sent.map((c) => [c.name.replace(/Command$/, ''), c.input])).toEqual([
      ['DescribeCertificate', { certificateId: id }],
      ['ListPrincipalThings', { principal: certArn(id) }],
      ['GetPolicy', { policyName: 'lwm2m-bridge-aws-1' }],
      ['AttachPolicy', { policyName: 'lwm2m-bridge-aws-1', target: certArn(id) }],
    ]);
    expect(setup.s3.count('PutObject')).toBe(0);
  });
});
