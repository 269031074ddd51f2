import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamIdFor } from '../../events/envelope.ts';
import { DEPROVISIONING_DEFINITION_FILE, DEPROVISIONING_FUNCTIONS, deprovisioningTasks } from '../../functions/deprovisioning/deprovisioningTasks.ts';
import { openSqlite, type SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore, type SqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { openEmbeddedObjectStores, type ObjectArea } from '../../functions/objectStore/embeddedObjectStores.ts';
import type { ObjectStore } from '../../functions/objectStore/objectStore.ts';
import { credentialKeys } from '../../functions/provisioning/batchObjects.ts';
import { devicePolicy, DEVICE_POLICY_NAME } from '../../functions/registry/devicePolicy.ts';
import { DeleteConflictException, type DeviceRegistry } from '../../functions/registry/deviceRegistry.ts';
import { createCa, type LocalCa } from '../../functions/registry/localCa.ts';
import { createSqliteDeviceRegistry, type SqliteDeviceRegistry } from '../../functions/registry/sqliteDeviceRegistry.ts';
import { createLocalWorkflowEngine, localFunctionArn, type LocalWorkflowEngine } from '../../functions/workflows/localWorkflowEngine.ts';
import { createSqliteWorkflowPersistence } from '../../functions/workflows/sqliteWorkflowPersistence.ts';
import type { ExecutionDescription } from '../../functions/workflows/workflowEngine.ts';

const dir = mkdtempSync(join(tmpdir(), 'deprovisioning-'));
const definitionFile = resolve(import.meta.dirname, '../..', DEPROVISIONING_DEFINITION_FILE);
let ca: LocalCa;

interface System {
  readonly db: SqliteDatabase;
  readonly eventStore: SqliteEventStore;
  readonly registry: SqliteDeviceRegistry;
  readonly stores: Record<ObjectArea, ObjectStore>;
  readonly engine: LocalWorkflowEngine;
  /** Certificate ids the injected disconnect was asked to drop, in order. */
  readonly disconnected: string[];
  readonly tasks: ReturnType<typeof deprovisioningTasks>;
}
const systems: System[] = [];
let n = 0;

beforeAll(async () => {
  ca = await createCa({ commonName: 'deprovisioning test CA' });
});
afterAll(async () => {
  for (const s of systems) {
    await s.engine.close();
    s.db.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

/** The real embedded pieces (SQLite store, registry and workflow history, folder object stores) and the real ASL file. */
const openSystem = async (wrapRegistry?: (r: DeviceRegistry) => DeviceRegistry): Promise<System> => {
  const dataDir = join(dir, `s${++n}`);
  const db = openSqlite({ file: join(dataDir, 'fleet.db'), synchronous: 'NORMAL' });
  const eventStore = createSqliteEventStore(db);
  const registry = createSqliteDeviceRegistry({ db, ca });
  const stores = await openEmbeddedObjectStores({ dataDir, durable: false });
  const disconnected: string[] = [];
  const tasks = deprovisioningTasks({
    eventStore,
    registry: wrapRegistry ? wrapRegistry(registry) : registry,
    credentials: stores.credentials,
    disconnect: (id) => {
      disconnected.push(id);
      return Promise.resolve(1);
    },
  });
  const engine = createLocalWorkflowEngine({
    persistence: createSqliteWorkflowPersistence(db),
    handlers: tasks,
    stateMachines: [
      { name: 'deprovisioning', definitionFile, substitutions: Object.fromEntries(Object.entries(DEPROVISIONING_FUNCTIONS).map(([sub, fn]) => [sub, localFunctionArn(fn)])) },
    ],
    timeScale: 0.001,
  });
  const system = { db, eventStore, registry, stores, engine, disconnected, tasks };
  systems.push(system);
  return system;
};

/** What provisioning leaves for one device: thing in a group, certificate with policy, credentials, DeviceProvisioned. */
const provision = async (s: System, thingName: string) => {
  await s.registry.ensureThing({ thingName, attributes: { kind: 'lamp' } });
  await s.registry.ensurePolicy(DEVICE_POLICY_NAME, devicePolicy());
  const certificate = await s.registry.createKeysAndCertificate({ thingName });
  await s.registry.attachPolicy(DEVICE_POLICY_NAME, certificate.certificateId);
  await s.registry.attachThingPrincipal(thingName, certificate.certificateId);
  await s.registry.ensureThingGroup('lund');
  await s.registry.addThingToGroup(thingName, 'lund');
  await s.stores.credentials.put(credentialKeys.mqtt(thingName), JSON.stringify({ certificateId: certificate.certificateId, certificatePem: certificate.certificatePem, privateKeyPem: certificate.privateKeyPem }));
  await s.stores.credentials.put(credentialKeys.psk(thingName), JSON.stringify({ identity: thingName, key: '00112233445566778899aabbccddeeff' }));
  await s.eventStore.append({
    streamId: streamIdFor.device(thingName),
    expectedVersion: 'any',
    events: [
      {
        eventId: `provisioned-${thingName}`,
        type: 'DeviceProvisioned',
        typeVersion: 1,
        data: { thingName, tenant: 'city-of-lund', location: { latitude: 55.7, longitude: 13.19 }, attributes: { kind: 'lamp' }, thingGroup: 'lund', certificateId: certificate.certificateId },
        actor: { kind: 'system', id: 'test' },
      },
    ],
  });
  return certificate;
};

let runs = 0;
const deprovision = async (s: System, input: unknown): Promise<ExecutionDescription & { history: string }> => {
  const id = await s.engine.startExecution('deprovisioning', input, { name: `run-${++runs}` });
  const done = await s.engine.waitForCompletion(id);
  return { ...done, history: JSON.stringify(await s.engine.getExecutionHistory(id)) };
};

const typesIn = async (s: System, thingName: string) => (await s.eventStore.readStream(streamIdFor.device(thingName))).map((e) => e.type);

describe('deprovisioning workflow on the embedded registry', () => {
  it('revokes and disconnects, deletes certificate, thing and credentials, and records DeviceDeprovisioned with the reason', async () => {
    const s = await openSystem();
    const cert = await provision(s, 'lamp-1');
    const other = await provision(s, 'lamp-2');
    const done = await deprovision(s, { thingName: 'lamp-1', reason: 'pole replaced' });
    expect(done.status).toBe('SUCCEEDED');
    expect(s.disconnected).toEqual([cert.certificateId]);
    expect(await s.registry.describeThing('lamp-1')).toBeUndefined();
    expect(await s.registry.certificateStatus(cert.certificateId)).toBeUndefined();
    expect(await s.stores.credentials.head(credentialKeys.mqtt('lamp-1'))).toBeUndefined();
    expect(await s.stores.credentials.head(credentialKeys.psk('lamp-1'))).toBeUndefined();
    const stream = await s.eventStore.readStream(streamIdFor.device('lamp-1'));
    expect(stream.map((e) => e.type)).toEqual(['DeviceProvisioned', 'DeviceDeprovisioned']);
    expect(stream[1]!.data).toEqual({ thingName: 'lamp-1', certificateId: cert.certificateId, reason: 'pole replaced' });
    expect(stream[1]!.actor).toEqual({ kind: 'system', id: 'deprovisioning' });
    expect(done.output).toMatchObject({ revoked: { revoked: [cert.certificateId], disconnected: 1 }, deleted: { thingDeleted: true, removedFromGroups: ['lund'] } });
    // The neighbour is untouched, and no key material entered the execution history.
    expect((await s.registry.certificateStatus(other.certificateId))?.status).toBe('ACTIVE');
    expect(await s.stores.credentials.head(credentialKeys.mqtt('lamp-2'))).toBeDefined();
    expect(done.history).not.toContain('PRIVATE KEY');
    expect(done.history).not.toContain('00112233445566778899aabbccddeeff');
  });

  it('is a no-op the second time: the run succeeds, nothing is called and nothing is appended', async () => {
    const s = await openSystem();
    await provision(s, 'lamp-1');
    expect((await deprovision(s, { thingName: 'lamp-1' })).status).toBe('SUCCEEDED');
    const before = s.eventStore.headPosition();
    const again = await deprovision(s, { thingName: 'lamp-1' });
    expect(again.status).toBe('SUCCEEDED');
    expect(again.output).toMatchObject({ device: { alreadyDeprovisioned: true, certificateIds: [] } });
    expect(again.history).not.toContain('RevokeCertificates');
    expect(s.eventStore.headPosition()).toBe(before);
    expect(s.disconnected).toHaveLength(1);
  });

  it('fails with DeviceNotFound for a device that neither the registry nor the event store knows', async () => {
    const s = await openSystem();
    const done = await deprovision(s, { thingName: 'ghost-1' });
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('DeviceNotFound');
    expect(done.cause).toContain('ghost-1');
    expect(await typesIn(s, 'ghost-1')).toEqual([]);
  });

  it('fails with InvalidTaskInput, naming the field, when the input has no valid thing name', async () => {
    const s = await openSystem();
    const done = await deprovision(s, { thingName: 'has space', reason: 3 });
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('InvalidTaskInput');
    expect(done.cause).toMatch(/thingName/);
    expect(done.cause).toMatch(/reason/);
  });

  it('retries DetachAndDelete on DeleteConflictException (a detach still propagating) until it succeeds', async () => {
    let conflicts = 0;
    const s = await openSystem((registry) => ({
      ...registry,
      deleteThing: async (thingName) => {
        if (conflicts < 2) {
          conflicts += 1;
          throw new DeleteConflictException(`thing ${thingName} still has a certificate attached (propagating)`);
        }
        return registry.deleteThing(thingName);
      },
    }));
    await provision(s, 'lamp-1');
    const done = await deprovision(s, { thingName: 'lamp-1' });
    expect(done.status).toBe('SUCCEEDED');
    expect(conflicts).toBe(2);
    const history = JSON.parse(done.history) as { type: string; stateRetriedEventDetails?: { name: string; errorEquals: string[] } }[];
    const retries = history.filter((e) => e.type === 'StateRetried');
    expect(retries).toHaveLength(2);
    expect(retries[0]!.stateRetriedEventDetails).toMatchObject({ name: 'DetachAndDelete', errorEquals: ['DeleteConflictException'] });
    expect(await s.registry.describeThing('lamp-1')).toBeUndefined();
    expect(await typesIn(s, 'lamp-1')).toEqual(['DeviceProvisioned', 'DeviceDeprovisioned']);
  });

  it('fails after its retries when the conflict never clears, and a later run finishes the job', async () => {
    let blocked = true;
    const s = await openSystem((registry) => ({
      ...registry,
      deleteThing: async (thingName) => {
        if (blocked) throw new DeleteConflictException(`thing ${thingName} is still in use`);
        return registry.deleteThing(thingName);
      },
    }));
    const cert = await provision(s, 'lamp-1');
    const failed = await deprovision(s, { thingName: 'lamp-1' });
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toBe('DeleteConflictException');
    // Revoked before anything was deleted: the device could not connect in the meantime.
    expect(await s.registry.certificateStatus(cert.certificateId)).toBeUndefined();
    expect(await typesIn(s, 'lamp-1')).toEqual(['DeviceProvisioned']);
    blocked = false;
    const done = await deprovision(s, { thingName: 'lamp-1' });
    expect(done.status).toBe('SUCCEEDED');
    expect(await s.registry.describeThing('lamp-1')).toBeUndefined();
    expect(await typesIn(s, 'lamp-1')).toEqual(['DeviceProvisioned', 'DeviceDeprovisioned']);
  });

  it('finishes a run cut off halfway: a certificate detached but not deleted is found through the stream and deleted', async () => {
    const s = await openSystem();
    const cert = await provision(s, 'lamp-1');
    await s.registry.deactivateCertificate(cert.certificateId);
    await s.registry.detachPolicy(DEVICE_POLICY_NAME, cert.certificateId);
    await s.registry.detachThingPrincipal('lamp-1', cert.certificateId);
    const done = await deprovision(s, { thingName: 'lamp-1' });
    expect(done.status).toBe('SUCCEEDED');
    expect(done.output).toMatchObject({ device: { certificateIds: [cert.certificateId] } });
    expect(await s.registry.certificateStatus(cert.certificateId)).toBeUndefined();
    expect(await s.registry.describeThing('lamp-1')).toBeUndefined();
  });

  it('finishes a run cut off after deleting the thing: credentials go and the event is appended', async () => {
    const s = await openSystem();
    const cert = await provision(s, 'lamp-1');
    await s.tasks.revokeCertificates({ thingName: 'lamp-1', certificateIds: [cert.certificateId] });
    await s.tasks.detachAndDelete({ thingName: 'lamp-1', certificateIds: [cert.certificateId] });
    const done = await deprovision(s, { thingName: 'lamp-1' });
    expect(done.status).toBe('SUCCEEDED');
    expect(done.output).toMatchObject({ device: { alreadyDeprovisioned: false, certificateIds: [] }, deleted: { thingDeleted: false } });
    expect(await s.stores.credentials.head(credentialKeys.mqtt('lamp-1'))).toBeUndefined();
    expect(await typesIn(s, 'lamp-1')).toEqual(['DeviceProvisioned', 'DeviceDeprovisioned']);
  });

  it('appends DeviceDeprovisioned once when RecordDeprovisioned runs twice for the same execution', async () => {
    const s = await openSystem();
    const cert = await provision(s, 'lamp-1');
    const input = { thingName: 'lamp-1', reason: null, certificateIds: [cert.certificateId], executionName: 'run-x' };
    const first = (await s.tasks.recordDeprovisioned(input)) as { eventId: string; appended: boolean };
    const second = (await s.tasks.recordDeprovisioned(input)) as { eventId: string; appended: boolean };
    expect(first.appended).toBe(true);
    expect(second).toEqual({ eventId: first.eventId, appended: false });
    expect(await typesIn(s, 'lamp-1')).toEqual(['DeviceProvisioned', 'DeviceDeprovisioned']);
  });
});
