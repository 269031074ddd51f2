import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../events/envelope.ts';
import { openSqlite, type SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore, type SqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { openEmbeddedObjectStores, type ObjectArea } from '../../functions/objectStore/embeddedObjectStores.ts';
import type { ObjectStore } from '../../functions/objectStore/objectStore.ts';
import type { StoredMqttCredentials } from '../../functions/provisioning/provisionDevice.ts';
import { PROVISIONING_FUNCTIONS, provisioningTasks, type ProvisioningDeps } from '../../functions/provisioning/provisioningTasks.ts';
import { InvalidRequestException, type DeviceRegistry } from '../../functions/registry/deviceRegistry.ts';
import { createCa, type LocalCa } from '../../functions/registry/localCa.ts';
import { createSqliteDeviceRegistry, type SqliteDeviceRegistryOptions } from '../../functions/registry/sqliteDeviceRegistry.ts';
import { manualClock } from '../../functions/shared/clock.ts';
import { createLocalWorkflowEngine, localFunctionArn, type LocalWorkflowEngine } from '../../functions/workflows/localWorkflowEngine.ts';
import { createSqliteWorkflowPersistence } from '../../functions/workflows/sqliteWorkflowPersistence.ts';
import { validateWorkflowFile } from '../../functions/workflows/validateDefinition.ts';
import type { ExecutionDescription } from '../../functions/workflows/workflowEngine.ts';

const root = join(import.meta.dirname, '..', '..');
const definitionFile = join(root, 'workflows', 'provisioning', 'provisioning.asl.json');
const dir = mkdtempSync(join(tmpdir(), 'provisioning-'));
let ca: LocalCa;

interface System {
  readonly db: SqliteDatabase;
  readonly eventStore: SqliteEventStore;
  readonly registry: DeviceRegistry;
  readonly stores: Record<ObjectArea, ObjectStore>;
  readonly engine: LocalWorkflowEngine;
  readonly dataDir: string;
  readonly executions: string[];
}
const systems: System[] = [];

/** The real embedded pieces: SQLite event store, registry and workflow history in one file, folder object stores. */
const openSystem = async (
  name: string,
  options: { registry?: Partial<SqliteDeviceRegistryOptions>; wrapRegistry?: (r: DeviceRegistry) => DeviceRegistry; deps?: Partial<ProvisioningDeps> } = {},
): Promise<System> => {
  const dataDir = join(dir, name);
  const db = openSqlite({ file: join(dataDir, 'fleet.db'), synchronous: 'NORMAL' });
  const eventStore = createSqliteEventStore(db);
  const sqliteRegistry = createSqliteDeviceRegistry({ db, ca, ...options.registry });
  const registry = options.wrapRegistry ? options.wrapRegistry(sqliteRegistry) : sqliteRegistry;
  const stores = await openEmbeddedObjectStores({ dataDir, durable: false });
  const engine = createLocalWorkflowEngine({
    persistence: createSqliteWorkflowPersistence(db),
    handlers: provisioningTasks({ eventStore, registry, ...stores, ...options.deps }),
    stateMachines: [
      {
        name: 'provisioning',
        definitionFile,
        substitutions: Object.fromEntries(Object.entries(PROVISIONING_FUNCTIONS).map(([substitution, fn]) => [substitution, localFunctionArn(fn)])),
      },
    ],
    timeScale: 0.001,
  });
  const system = { db, eventStore, registry: sqliteRegistry, stores, engine, dataDir, executions: [] };
  systems.push(system);
  return system;
};

const runBatch = async (system: System, batchId: string, csv: string): Promise<ExecutionDescription> => {
  const manifestKey = `manifests/${batchId}.csv`;
  await system.stores.uploads.put(manifestKey, csv, { contentType: 'text/csv' });
  const id = await system.engine.startExecution('provisioning', { batchId, manifestKey, format: 'csv' }, { name: batchId });
  system.executions.push(id);
  return system.engine.waitForCompletion(id);
};

const allEvents = async (system: System): Promise<StoredEvent[]> => {
  const out: StoredEvent[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await system.eventStore.readAll({ after, limit: 1000 });
    if (page.events.length === 0) return out;
    out.push(...page.events);
    after = page.cursor;
  }
};

const listKeys = async (store: ObjectStore, prefix: string): Promise<string[]> => {
  const keys: string[] = [];
  let after: string | undefined;
  do {
    const page = await store.list(prefix, { after });
    keys.push(...page.objects.map((o) => o.key));
    after = page.nextAfter;
  } while (after !== undefined);
  return keys;
};

interface Manifest {
  readonly csv: string;
  /** Serials of the rows that must be provisioned. */
  readonly good: string[];
  /** Row number → serial (or '' when the row has none) of the rows that must be refused. */
  readonly bad: Map<number, string>;
}

/**
 * `count` rows, every 50th refused for one of four reasons (2 %). CSV row numbers start at 2 (the
 * header is row 1). `meter` overrides the meter_model of some serials.
 */
const manifest = (count: number, prefix: string, meter: Record<string, string> = {}): Manifest => {
  const lines = ['serial,tenant,latitude,longitude,thingGroup,meter_model'];
  const good: string[] = [];
  const bad = new Map<number, string>();
  for (let i = 0; i < count; i++) {
    const serial = `${prefix}-${String(i).padStart(5, '0')}`;
    const rowNumber = i + 2;
    const group = i % 3 === 0 ? 'street-lights' : '';
    const lat = (50 + (i % 100) / 100).toFixed(4);
    if (i % 50 === 7) {
      const kind = Math.floor(i / 50) % 4;
      if (kind === 0) lines.push(`${serial},acme-city,95.5,13.4,,ZX-1`); // latitude out of range
      else if (kind === 1) lines.push(`${serial},Acme-City,${lat},13.4,,ZX-1`); // tenant in upper case
      else if (kind === 2) lines.push(`${serial},acme-city,${lat},13.4,,has space`); // attribute value with a space
      else lines.push(`${prefix}-${String(i - 1).padStart(5, '0')},acme-city,${lat},13.4,,ZX-1`); // the previous row's serial again
      bad.set(rowNumber, kind === 3 ? `${prefix}-${String(i - 1).padStart(5, '0')}` : serial);
      continue;
    }
    lines.push(`${serial},acme-city,${lat},13.4050,${group},${meter[serial] ?? 'ZX-200'}`);
    good.push(serial);
  }
  return { csv: `${lines.join('\n')}\n`, good, bad };
};

const ofType = (events: readonly StoredEvent[], type: string) => events.filter((e) => e.type === type);

beforeAll(async () => {
  ca = await createCa({ commonName: 'provisioning test CA' });
});

afterAll(async () => {
  for (const s of systems) {
    await s.engine.close();
    s.db.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('the provisioning state machine', () => {
  it('every workflows/*/*.asl.json passes validateDefinition', () => {
    const workflows = join(root, 'workflows');
    const files = readdirSync(workflows, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .flatMap((e) => readdirSync(join(workflows, e.name)).filter((f) => f.endsWith('.asl.json')).map((f) => join(workflows, e.name, f)));
    expect(files).toContain(definitionFile);
    for (const file of files) expect(validateWorkflowFile(file), file).toEqual({ valid: true, errors: [] });
  });

  it('retries a throttled chunk in the definition itself, with backoff rate 2 and 6 attempts', () => {
    const asl = JSON.parse(readFileSync(definitionFile, 'utf8')) as {
      States: { ProvisionChunks: { MaxConcurrency: number; ItemProcessor: { States: { ProvisionChunk: { Retry: { ErrorEquals: string[]; BackoffRate: number; MaxAttempts: number }[] } } } } };
    };
    const map = asl.States.ProvisionChunks;
    expect(map.MaxConcurrency).toBe(2);
    const throttling = map.ItemProcessor.States.ProvisionChunk.Retry.find((r) => r.ErrorEquals.includes('ThrottlingException'));
    expect(throttling).toMatchObject({ BackoffRate: 2, MaxAttempts: 6 });
  });
});

describe('provisioning a 1,000-row manifest with 2 % bad rows', () => {
  let system: System;
  const first = manifest(1000, 'SN');

  beforeAll(async () => {
    system = await openSystem('main');
  });

  it('provisions exactly the good rows, stores their credentials and reports every bad row', async () => {
    expect(first.bad.size).toBe(20);
    const done = await runBatch(system, 'batch-1', first.csv);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.output).toMatchObject({ provisioned: 980, updated: 0, unchanged: 0, failed: 0, invalid: 20, reportKey: 'batches/batch-1/report.csv' });

    const events = await allEvents(system);
    const provisioned = ofType(events, 'DeviceProvisioned');
    expect(provisioned).toHaveLength(980);
    expect(new Set(provisioned.map((e) => (e.data as { thingName: string }).thingName))).toEqual(new Set(first.good));
    expect(ofType(events, 'DeviceProvisioningFailed')).toHaveLength(0);

    const credentialKeys = (await listKeys(system.stores.credentials, 'devices/')).filter((k) => k.endsWith('/mqtt.json'));
    expect(credentialKeys.sort()).toEqual(first.good.map((s) => `devices/${s}/mqtt.json`).sort());
    const sample = provisioned[0]!.data as { thingName: string; certificateId: string };
    const stored = JSON.parse((await system.stores.credentials.getBytes(`devices/${sample.thingName}/mqtt.json`)).toString()) as StoredMqttCredentials;
    expect(stored.certificateId).toBe(sample.certificateId);
    expect(stored.privateKeyPem).toContain('PRIVATE KEY');
    expect(stored.certificatePem).toContain('BEGIN CERTIFICATE');

    const report = JSON.parse((await system.stores.reports.getBytes('batches/batch-1/report.json')).toString()) as {
      rows: { rowNumber: number; serial?: string; outcome: string; problems: unknown[] }[];
      summary: { rows: number };
    };
    expect(report.summary.rows).toBe(1000);
    const invalid = report.rows.filter((r) => r.outcome === 'invalid');
    expect(new Map(invalid.map((r) => [r.rowNumber, r.serial ?? '']))).toEqual(first.bad);
    for (const row of invalid) expect(row.problems.length).toBeGreaterThan(0);
    const csv = (await system.stores.reports.getBytes('batches/batch-1/report.csv')).toString();
    for (const rowNumber of first.bad.keys()) expect(csv).toMatch(new RegExp(`\\r\\n${rowNumber},[^\\r\\n]*,invalid,`));

    const batch = await system.eventStore.readStream('batch-batch-1');
    expect(batch.map((e) => e.type)).toEqual(['ProvisioningBatchStarted', 'ProvisioningBatchCompleted']);
    expect(batch[0]!.data).toMatchObject({ totalRows: 1000, invalidRows: 20 });
    const completed = batch[1]!.data as Record<string, number>;
    expect(completed).toMatchObject({ provisioned: 980, invalid: 20, reportKey: 'batches/batch-1/report.csv' });
    expect(completed.provisioned! + completed.updated! + completed.unchanged! + completed.failed! + completed.invalid!).toBe(1000);
  });

  it('uploading the same manifest again creates nothing new', async () => {
    const done = await runBatch(system, 'batch-2', first.csv);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.output).toMatchObject({ provisioned: 0, updated: 0, unchanged: 980, failed: 0, invalid: 20 });
    const events = await allEvents(system);
    expect(ofType(events, 'DeviceProvisioned')).toHaveLength(980);
    expect(ofType(events, 'DeviceAttributesChanged')).toHaveLength(0);
    expect((await listKeys(system.stores.credentials, 'devices/')).filter((k) => k.endsWith('/mqtt.json'))).toHaveLength(980);
  });

  it('changing two rows records two DeviceAttributesChanged and updates the registry', async () => {
    const changed = manifest(1000, 'SN', { 'SN-00010': 'ZX-300', 'SN-00500': 'ZX-999' });
    const done = await runBatch(system, 'batch-3', changed.csv);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.output).toMatchObject({ provisioned: 0, updated: 2, unchanged: 978, failed: 0, invalid: 20 });
    const changes = ofType(await allEvents(system), 'DeviceAttributesChanged');
    expect(changes.map((e) => e.data)).toEqual([
      { thingName: 'SN-00010', set: { meter_model: 'ZX-300' }, removed: [], batchId: 'batch-3' },
      { thingName: 'SN-00500', set: { meter_model: 'ZX-999' }, removed: [], batchId: 'batch-3' },
    ]);
    expect((await system.registry.describeThing('SN-00010'))?.attributes).toEqual({ meter_model: 'ZX-300' });
    expect((await system.registry.describeThing('SN-00011'))?.attributes).toEqual({ meter_model: 'ZX-200' });
  });

  it('keeps key material out of every execution history, report and working file, and encrypts credentials at rest', async () => {
    const stored = JSON.parse((await system.stores.credentials.getBytes('devices/SN-00001/mqtt.json')).toString()) as StoredMqttCredentials;
    const keyBody = stored.privateKeyPem.split('\n').filter((l) => l !== '' && !l.startsWith('-----')).join('');
    const needles = ['PRIVATE KEY', keyBody.slice(0, 40), keyBody.slice(-40)];
    expect(system.executions).toHaveLength(3);
    for (const id of system.executions) {
      const history = JSON.stringify(await system.engine.getExecutionHistory(id));
      expect(history).toContain('ProvisionChunk');
      for (const needle of needles) expect(history).not.toContain(needle);
    }
    const reportKeys = await listKeys(system.stores.reports, 'batches/');
    expect(reportKeys).toContain('batches/batch-3/report.json');
    for (const key of reportKeys) {
      const text = (await system.stores.reports.getBytes(key)).toString();
      for (const needle of needles) expect(text, key).not.toContain(needle);
    }
    for (const event of await allEvents(system)) for (const needle of needles) expect(JSON.stringify(event)).not.toContain(needle);
    const onDisk = readdirSync(join(system.dataDir, 'objects', 'credentials'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(onDisk.length).toBeGreaterThanOrEqual(980);
    for (const file of onDisk.slice(0, 50)) expect(readFileSync(join(file.parentPath, file.name)).includes('PRIVATE KEY')).toBe(false);
  });
});

describe('provisioning under AWS-style throttling', () => {
  /** Counts the ThrottlingExceptions the registry threw, whoever caught them. */
  const countingThrottles = (onThrottle: () => void) => (registry: DeviceRegistry): DeviceRegistry =>
    new Proxy(registry, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          } catch (error) {
            if (error instanceof Error && error.name === 'ThrottlingException') onThrottle();
            throw error;
          }
        };
      },
    });

  it('retries throttled calls per row, and every good row is provisioned', async () => {
    const clock = manualClock();
    let throttled = 0;
    const system = await openSystem('throttled-rows', {
      registry: { clock, rateLimit: { perSecond: 20, burst: 5 } },
      wrapRegistry: countingThrottles(() => (throttled += 1)),
      // A throttled row waits by moving the registry's clock: the token bucket refills without a real sleep.
      deps: { chunkSize: 100, throttleRetry: { attempts: 10, baseDelayMs: 100, maxDelayMs: 2_000 }, sleep: (ms) => Promise.resolve(clock.advance(ms)) },
    });
    const m = manifest(200, 'TR');
    const done = await runBatch(system, 'throttled-1', m.csv);
    expect(done.status).toBe('SUCCEEDED');
    expect(throttled).toBeGreaterThan(0);
    expect(done.output).toMatchObject({ provisioned: m.good.length, failed: 0, invalid: m.bad.size });
    const provisioned = ofType(await allEvents(system), 'DeviceProvisioned').map((e) => (e.data as { thingName: string }).thingName);
    expect(new Set(provisioned)).toEqual(new Set(m.good));
  });

  it('lets the state machine retry a throttled chunk, and the retry makes nothing twice', async () => {
    const clock = manualClock();
    let throttled = 0;
    const registryOptions = { clock, rateLimit: { perSecond: 10, burst: 20 } };
    const system = await openSystem('throttled-chunks', {
      registry: registryOptions,
      // While the state machine waits before its retry, time passes for the registry too.
      wrapRegistry: countingThrottles(() => {
        throttled += 1;
        clock.advance(2_000);
      }),
      // No retries inside the task: the first throttle fails the chunk, and the Map's Retry runs it again.
      deps: { chunkSize: 100, throttleRetry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } },
    });
    const m = manifest(60, 'TC');
    const done = await runBatch(system, 'throttled-2', m.csv);
    expect(done.status).toBe('SUCCEEDED');
    expect(throttled).toBeGreaterThan(0);
    const history = await system.engine.getExecutionHistory(system.executions[0]!);
    const retries = history.filter((e) => e.type === 'StateRetried');
    expect(retries.length).toBeGreaterThan(0);
    expect(retries[0]!.stateRetriedEventDetails).toMatchObject({ name: 'ProvisionChunk', errorEquals: expect.arrayContaining(['ThrottlingException']) as unknown });
    expect(done.output).toMatchObject({ provisioned: m.good.length, failed: 0 });

    const events = await allEvents(system);
    const provisioned = ofType(events, 'DeviceProvisioned');
    expect(provisioned).toHaveLength(m.good.length);
    // Every device ends with exactly one certificate, the one its credentials hold.
    const registry = createSqliteDeviceRegistry({ db: system.db, ca });
    for (const event of provisioned) {
      const { thingName, certificateId } = event.data as { thingName: string; certificateId: string };
      const thing = await registry.describeThing(thingName);
      expect(thing?.principals).toEqual([certificateId]);
      const stored = JSON.parse((await system.stores.credentials.getBytes(`devices/${thingName}/mqtt.json`)).toString()) as StoredMqttCredentials;
      expect(stored.certificateId).toBe(certificateId);
    }
  });
});

describe('a row refused at one step', () => {
  it('fails alone: the rest of its wave is provisioned, and uploading again finishes it with the certificate it already has', async () => {
    let refuse = true;
    const system = await openSystem('refused-row', {
      wrapRegistry: (registry) => ({
        ...registry,
        attachThingPrincipal: (thingName, certificateId) =>
          refuse && thingName === 'RF-00003'
            ? Promise.reject(new InvalidRequestException(`refused on purpose for ${thingName}`))
            : registry.attachThingPrincipal(thingName, certificateId),
      }),
    });
    const m = manifest(40, 'RF');
    const first = await runBatch(system, 'refused-row-1', m.csv);
    expect(first.output).toMatchObject({ provisioned: m.good.length - 1, failed: 1, invalid: m.bad.size });
    const failed = ofType(await allEvents(system), 'DeviceProvisioningFailed');
    expect(failed.map((e) => e.data)).toEqual([
      { thingName: 'RF-00003', batchId: 'refused-row-1', step: 'attachThingPrincipal', reason: 'InvalidRequestException: refused on purpose for RF-00003' },
    ]);
    const provisioned = ofType(await allEvents(system), 'DeviceProvisioned').map((e) => (e.data as { thingName: string }).thingName);
    expect(new Set(provisioned)).toEqual(new Set(m.good.filter((s) => s !== 'RF-00003')));
    const report = (await system.stores.reports.getBytes('batches/refused-row-1/report.csv')).toString();
    expect(report).toMatch(/\r\n5,RF-00003,failed,,provisioning stopped at attachThingPrincipal: InvalidRequestException: refused on purpose/);

    refuse = false;
    const stored = JSON.parse((await system.stores.credentials.getBytes('devices/RF-00003/mqtt.json')).toString()) as StoredMqttCredentials;
    const again = await runBatch(system, 'refused-row-2', m.csv);
    expect(again.output).toMatchObject({ provisioned: 1, unchanged: m.good.length - 1, failed: 0 });
    // The certificate made by the first upload is the one attached now: nothing was made twice.
    expect((await system.registry.describeThing('RF-00003'))?.principals).toEqual([stored.certificateId]);
  });
});

describe('the failure path', () => {
  it('a refused manifest fails the execution with ManifestRejected after writing failure.json', async () => {
    const system = await openSystem('refused');
    const done = await runBatch(system, 'refused-1', 'serial,tenant\nSN-1,acme-city\n');
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('ManifestRejected');
    expect(done.cause).toMatch(/missing-columns|latitude/);
    const failure = JSON.parse((await system.stores.reports.getBytes('batches/refused-1/failure.json')).toString()) as { error: string };
    expect(failure.error).toBe('ManifestRejected');
    expect(await system.eventStore.readStream('batch-refused-1')).toHaveLength(0);
  });
});
