import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PeerIdentity } from '../../functions/broker/principals.ts';
import { openSqlite, type SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import { devicePolicy, DEVICE_POLICY_NAME } from '../../functions/registry/devicePolicy.ts';
import { RegistryError, ThrottlingException } from '../../functions/registry/deviceRegistry.ts';
import { certificateIdOf, createCa, type LocalCa } from '../../functions/registry/localCa.ts';
import { createSqliteDeviceRegistry, type SqliteDeviceRegistry, type SqliteDeviceRegistryOptions } from '../../functions/registry/sqliteDeviceRegistry.ts';
import { manualClock } from '../../functions/shared/clock.ts';
import { createLocalWorkflowEngine, localFunctionArn } from '../../functions/workflows/localWorkflowEngine.ts';
import { createInMemoryWorkflowPersistence } from '../../functions/workflows/workflowPersistence.ts';
import { testDeviceRegistry } from '../suites/deviceRegistry.suite.ts';

const dir = mkdtempSync(join(tmpdir(), 'registry-sqlite-'));
let n = 0;
const opened: SqliteDatabase[] = [];
let ca: LocalCa;
const caReady = createCa({ commonName: 'registry test CA' }).then((made) => (ca = made));

const open = (file = join(dir, `registry-${++n}.db`)) => {
  const db = openSqlite({ file });
  opened.push(db);
  return { db, file };
};

const registryWith = async (options: Partial<SqliteDeviceRegistryOptions> = {}): Promise<SqliteDeviceRegistry & { db: SqliteDatabase; file: string }> => {
  await caReady;
  const { db, file } = options.db ? { db: options.db, file: '' } : open();
  return Object.assign(createSqliteDeviceRegistry({ ca, ...options, db }), { db, file });
};

afterAll(() => {
  for (const db of opened) if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

testDeviceRegistry('SQLite + local CA', { create: () => registryWith() });

/** What provisioning leaves for one device. */
const provision = async (registry: SqliteDeviceRegistry, thingName: string) => {
  await registry.ensureThing({ thingName, attributes: {} });
  await registry.ensurePolicy(DEVICE_POLICY_NAME, devicePolicy());
  const certificate = await registry.createKeysAndCertificate({ thingName });
  await registry.attachPolicy(DEVICE_POLICY_NAME, certificate.certificateId);
  await registry.attachThingPrincipal(thingName, certificate.certificateId);
  return certificate;
};

describe('embedded registry: certificates from the local CA', () => {
  beforeAll(() => caReady);

  it('issues an EC P-256 client certificate with CN = thing name, signed by the CA, id = SHA-256 of the DER', async () => {
    const registry = await registryWith();
    const issued = await registry.createKeysAndCertificate({ thingName: 'SN-0001' });
    const certificate = new X509Certificate(issued.certificatePem);
    expect(certificate.subject).toBe('CN=SN-0001');
    expect(certificate.verify(new X509Certificate(ca.certificatePem).publicKey)).toBe(true);
    expect(certificate.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(certificate.checkPrivateKey(createPrivateKey(issued.privateKeyPem))).toBe(true);
    expect(issued.certificateId).toBe(certificateIdOf(issued.certificatePem));
    expect(issued.certificateArn).toBe(`arn:aws:iot:local:000000000000:cert/${issued.certificateId}`);
  });

  it('issues bridge certificates for bridge things, and refuses a malformed bridge name', async () => {
    const registry = await registryWith();
    const issued = await registry.createKeysAndCertificate({ thingName: 'bridge:b-1' });
    expect(new X509Certificate(issued.certificatePem).subject).toBe('CN=bridge:b-1');
    const error = await registry.createKeysAndCertificate({ thingName: 'bridge:B_1' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidRequestException', message: expect.stringMatching(/reserved for bridges/) as unknown });
  });

  it('keeps everything across a restart, and never stores a private key', async () => {
    const first = await registryWith();
    const certificate = await provision(first, 'SN-0001');
    await first.ensureThingGroup('lights');
    await first.addThingToGroup('SN-0001', 'lights');
    first.db.close();
    const { db } = open(first.file);
    const again = await registryWith({ db });
    expect(await again.describeThing('SN-0001')).toEqual({
      thingName: 'SN-0001',
      thingType: undefined,
      attributes: {},
      groups: ['lights'],
      principals: [certificate.certificateId],
    });
    expect(await again.certificateStatus(certificate.certificateId)).toEqual({ status: 'ACTIVE', thingNames: ['SN-0001'] });
    expect(await again.ensurePolicy(DEVICE_POLICY_NAME, devicePolicy())).toEqual({ outcome: 'unchanged' });
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'registry_%'").all();
    expect(tables.map((t) => t.name).sort()).toEqual([
      'registry_certificates',
      'registry_groups',
      'registry_policies',
      'registry_policy_attachments',
      'registry_principals',
      'registry_thing_groups',
      'registry_things',
    ]);
    for (const { name } of tables) {
      const rows = JSON.stringify(db.prepare(`SELECT * FROM ${name}`).all());
      expect(rows).not.toContain('PRIVATE KEY');
      expect(rows).not.toContain(certificate.privateKeyPem.split('\n')[1]);
    }
  });

  it('a certificate that cannot be stored fails with a message that holds no PEM', async () => {
    const registry = await registryWith();
    registry.db.exec("CREATE TRIGGER refuse_certificates BEFORE INSERT ON registry_certificates BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
    const error = (await registry.createKeysAndCertificate({ thingName: 'SN-0001' }).catch((e: unknown) => e)) as RegistryError;
    expect(error).toBeInstanceOf(RegistryError);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/could not be stored \(database or disk is full\).*call createKeysAndCertificate again/);
    expect(error.message).not.toMatch(/-----BEGIN|PRIVATE KEY|CERTIFICATE-----/);
    expect(JSON.stringify(error)).not.toMatch(/-----BEGIN/);
    expect(String(error.stack)).not.toMatch(/-----BEGIN/);
  });

  it('lists revoked certificate ids for the broker\'s revocation list', async () => {
    const registry = await registryWith();
    const a = await provision(registry, 'SN-A');
    const b = await provision(registry, 'SN-B');
    await registry.deactivateCertificate(b.certificateId);
    await registry.deactivateCertificate(a.certificateId, { status: 'INACTIVE' });
    expect(registry.revokedCertificateIds()).toEqual([b.certificateId]);
  });
});

describe('embedded registry: simulated throttling', () => {
  it('throws ThrottlingException past the rate of one API, and succeeds once the clock has moved', async () => {
    const clock = manualClock();
    const registry = await registryWith({ clock, rateLimit: { perSecond: 2 } });
    await registry.ensureThing({ thingName: 'SN-1', attributes: {} });
    await registry.ensureThing({ thingName: 'SN-2', attributes: {} });
    const error = (await registry.ensureThing({ thingName: 'SN-3', attributes: {} }).catch((e: unknown) => e)) as RegistryError;
    expect(error).toBeInstanceOf(ThrottlingException);
    expect(error).toMatchObject({ name: 'ThrottlingException', retryable: true });
    expect(error.message).toMatch(/rate exceeded for ensureThing: .*2 requests per second.*retry with backoff, a token is free in 500 ms/);
    // Each API has its own bucket, as on AWS.
    expect(await registry.describeThing('SN-1')).toBeDefined();
    clock.advance(499);
    await expect(registry.ensureThing({ thingName: 'SN-3', attributes: {} })).rejects.toThrow(ThrottlingException);
    clock.advance(1);
    expect(await registry.ensureThing({ thingName: 'SN-3', attributes: {} })).toEqual({ outcome: 'created' });
    // A throttled call changed nothing.
    expect(await registry.describeThing('SN-4')).toBeUndefined();
  });

  it('refills up to the burst only, and takes overrides per API', async () => {
    const clock = manualClock();
    const registry = await registryWith({ clock, rateLimit: { perSecond: 10, burst: 2, overrides: { createKeysAndCertificate: { perSecond: 1 } } } });
    clock.advance(60_000);
    await registry.ensureThingGroup('g1');
    await registry.ensureThingGroup('g2');
    await expect(registry.ensureThingGroup('g3')).rejects.toThrow(/burst 2/);
    await registry.createKeysAndCertificate({ thingName: 'SN-1' });
    await expect(registry.createKeysAndCertificate({ thingName: 'SN-1' })).rejects.toThrow(/createKeysAndCertificate: the registry allows 1 requests per second/);
    await expect(registryWith({ rateLimit: { perSecond: 0 } })).rejects.toThrow(/perSecond 0 is not valid/);
  });

  it('a workflow Task with Retry on ThrottlingException gets through, with the backoff the ASL says', async () => {
    const clock = manualClock();
    const registry = await registryWith({ clock, rateLimit: { perSecond: 1, burst: 1 } });
    const attempts: string[] = [];
    const engine = createLocalWorkflowEngine({
      persistence: createInMemoryWorkflowPersistence(),
      timeScale: 0.001,
      handlers: {
        // Each attempt costs 400 ms of simulated time, so the bucket refills only across retries.
        ensureThing: async (input) => {
          const { thingName } = input as { thingName: string };
          attempts.push(thingName);
          try {
            return await registry.ensureThing({ thingName, attributes: {} });
          } finally {
            clock.advance(400);
          }
        },
      },
      stateMachines: [
        {
          name: 'ensure-things',
          definition: {
            StartAt: 'EnsureFirst',
            States: {
              EnsureFirst: { Type: 'Task', Resource: localFunctionArn('ensureThing'), Parameters: { thingName: 'SN-1' }, ResultPath: '$.first', Next: 'EnsureSecond' },
              EnsureSecond: {
                Type: 'Task',
                Resource: localFunctionArn('ensureThing'),
                Parameters: { thingName: 'SN-2' },
                ResultPath: '$.second',
                Retry: [{ ErrorEquals: ['ThrottlingException'], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 3 }],
                End: true,
              },
            },
          },
        },
      ],
    });
    try {
      const id = await engine.startExecution('ensure-things', {});
      const done = await engine.waitForCompletion(id);
      expect(done.status).toBe('SUCCEEDED');
      expect(done.output).toEqual({ first: { outcome: 'created' }, second: { outcome: 'created' } });
      // t=0 SN-1 ok; t=400 SN-2 throttled (0.4 token); t=800 throttled (0.8); t=1200 ok.
      expect(attempts).toEqual(['SN-1', 'SN-2', 'SN-2', 'SN-2']);
      const retried = (await engine.getExecutionHistory(id)).filter((e) => e.type === 'StateRetried');
      expect(retried).toHaveLength(2);
    } finally {
      await engine.close();
    }
  });
});

describe('embedded registry: the broker lookup', () => {
  const tls = (commonName: string, certificateId: string): PeerIdentity => ({ commonName, certificateId, transport: 'tls' });

  it('accepts an ACTIVE certificate attached to the thing its CN names, with the device policy', async () => {
    const registry = await registryWith();
    const certificate = await provision(registry, 'SN-0001');
    const principal = await registry.fleetLookup()(tls('SN-0001', certificate.certificateId));
    expect(principal).toMatchObject({ kind: 'device', thingName: 'SN-0001', policies: devicePolicy() });
  });

  it('accepts a bridge certificate attached to its bridge thing', async () => {
    const registry = await registryWith();
    const certificate = await provision(registry, 'bridge:b-1');
    expect(await registry.fleetLookup()(tls('bridge:b-1', certificate.certificateId))).toMatchObject({ kind: 'bridge', bridgeId: 'b-1' });
  });

  it('refuses revoked, inactive, unattached, other-thing and unknown certificates', async () => {
    const registry = await registryWith();
    const lookup = registry.fleetLookup();
    const revoked = await provision(registry, 'SN-R');
    await registry.deactivateCertificate(revoked.certificateId);
    expect(await lookup(tls('SN-R', revoked.certificateId))).toBeUndefined();

    const inactive = await provision(registry, 'SN-I');
    await registry.deactivateCertificate(inactive.certificateId, { status: 'INACTIVE' });
    expect(await lookup(tls('SN-I', inactive.certificateId))).toBeUndefined();

    const unattached = await registry.createKeysAndCertificate({ thingName: 'SN-U' });
    await registry.ensureThing({ thingName: 'SN-U', attributes: {} });
    expect(await lookup(tls('SN-U', unattached.certificateId))).toBeUndefined();

    // A certificate for SN-A attached to SN-B: the CN names a thing it is not attached to.
    const other = await registry.createKeysAndCertificate({ thingName: 'SN-A' });
    await registry.ensureThing({ thingName: 'SN-A', attributes: {} });
    await registry.ensureThing({ thingName: 'SN-B', attributes: {} });
    await registry.attachThingPrincipal('SN-B', other.certificateId);
    expect(await lookup(tls('SN-A', other.certificateId))).toBeUndefined();

    const active = await provision(registry, 'SN-OK');
    expect(await lookup(tls('SN-OK', active.certificateId))).toBeDefined();
    expect(await lookup(tls('SN-OK', 'e'.repeat(64)))).toBeUndefined();
    expect(await lookup(tls('SN-OK', 'not-hex'))).toBeUndefined();
    // After detaching, the same certificate is refused.
    await registry.detachThingPrincipal('SN-OK', active.certificateId);
    expect(await lookup(tls('SN-OK', active.certificateId))).toBeUndefined();
  });

  it('refuses plain-TCP identities unless told to accept known things', async () => {
    const registry = await registryWith();
    await registry.ensureThing({ thingName: 'SN-DEV', attributes: {} });
    const plain = (commonName: string): PeerIdentity => ({ commonName, transport: 'tcp' });
    expect(await registry.fleetLookup()(plain('SN-DEV'))).toBeUndefined();
    const dev = registry.fleetLookup({ plainTcp: 'known-thing' });
    expect(await dev(plain('SN-DEV'))).toMatchObject({ kind: 'device', thingName: 'SN-DEV' });
    expect(await dev(plain('SN-NOPE'))).toBeUndefined();
  });

  it('answers the broker even while the registry API is throttled', async () => {
    const clock = manualClock();
    const registry = await registryWith({ clock, rateLimit: { perSecond: 1, burst: 1 } });
    const certificate = await registry.createKeysAndCertificate({ thingName: 'SN-1' });
    await registry.ensureThing({ thingName: 'SN-1', attributes: {} });
    await registry.attachThingPrincipal('SN-1', certificate.certificateId);
    await registry.certificateStatus(certificate.certificateId);
    await expect(registry.certificateStatus(certificate.certificateId)).rejects.toThrow(ThrottlingException);
    expect(await registry.fleetLookup()(tls('SN-1', certificate.certificateId))).toBeDefined();
  });
});
