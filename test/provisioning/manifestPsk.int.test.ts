import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../events/envelope.ts';
import { deviceForIdentity, issueDevicePsk, readDevicePsk } from '../../functions/dtls/devicePsk.ts';
import { openSqlite, type SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore, type SqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { openEmbeddedObjectStores, type ObjectArea } from '../../functions/objectStore/embeddedObjectStores.ts';
import type { ObjectStore } from '../../functions/objectStore/objectStore.ts';
import { PROVISIONING_FUNCTIONS, provisioningTasks } from '../../functions/provisioning/provisioningTasks.ts';
import { createCa } from '../../functions/registry/localCa.ts';
import { createSqliteDeviceRegistry } from '../../functions/registry/sqliteDeviceRegistry.ts';
import { createLocalWorkflowEngine, localFunctionArn, type LocalWorkflowEngine } from '../../functions/workflows/localWorkflowEngine.ts';
import { createSqliteWorkflowPersistence } from '../../functions/workflows/sqliteWorkflowPersistence.ts';

/**
 * A manifest's own DTLS PSKs through the real provisioning state machine (SQLite store, registry
 * and workflow history, encrypted folder stores): stored at validation through issueDevicePsk,
 * refused per row with the field named when the fleet cannot take them, never rotated by a
 * re-upload, and never written anywhere but the encrypted credentials area.
 */

const dir = mkdtempSync(join(tmpdir(), 'manifest-psk-'));
const definitionFile = join(import.meta.dirname, '..', '..', 'workflows', 'provisioning', 'provisioning.asl.json');

let db: SqliteDatabase;
let eventStore: SqliteEventStore;
let stores: Record<ObjectArea, ObjectStore>;
let engine: LocalWorkflowEngine;
const executions: string[] = [];
const logged: string[] = [];

// Distinct keys, so a leak of any of them is found wherever it went.
const KEYS = {
  a: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
  b: '1f2e3d4c5b6a79880716253443526170aabbccdd',
  c: '9c8b7a6f5e4d3c2b1a09f8e7d6c5b4a3',
  d: 'd00dfeedcafebabe0123456789abcdef',
  e: 'e0e1e2e3e4e5e6e7e8e9eaebecedeeef',
  f: 'f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff',
} as const;

const HEADER = 'serial,tenant,latitude,longitude,pskIdentity,pskKey';

interface ReportRow {
  readonly rowNumber: number;
  readonly serial?: string;
  readonly outcome: string;
  readonly problems: { field: string; message: string; hint: string }[];
}

const runBatch = async (batchId: string, rows: string[]) => {
  const manifestKey = `manifests/${batchId}.csv`;
  await stores.uploads.put(manifestKey, `${[HEADER, ...rows].join('\n')}\n`, { contentType: 'text/csv' });
  const id = await engine.startExecution('provisioning', { batchId, manifestKey, format: 'csv' }, { name: batchId });
  executions.push(id);
  const done = await engine.waitForCompletion(id);
  expect(done.status, JSON.stringify(done)).toBe('SUCCEEDED');
  const report = JSON.parse((await stores.reports.getBytes(`batches/${batchId}/report.json`)).toString()) as { rows: ReportRow[] };
  return { output: done.output as Record<string, unknown>, rows: report.rows };
};

const allEvents = async (): Promise<readonly StoredEvent[]> => (await eventStore.readAll({ limit: 10_000 })).events;

const keyOf = async (thing: string) => (await readDevicePsk(stores.credentials, thing))?.key.toString('hex');

beforeAll(async () => {
  const ca = await createCa({ commonName: 'manifest PSK test CA' });
  db = openSqlite({ file: join(dir, 'fleet.db'), synchronous: 'NORMAL' });
  eventStore = createSqliteEventStore(db);
  stores = await openEmbeddedObjectStores({ dataDir: dir, durable: false });
  engine = createLocalWorkflowEngine({
    persistence: createSqliteWorkflowPersistence(db),
    handlers: provisioningTasks({ eventStore, registry: createSqliteDeviceRegistry({ db, ca }), ...stores }),
    stateMachines: [
      {
        name: 'provisioning',
        definitionFile,
        substitutions: Object.fromEntries(Object.entries(PROVISIONING_FUNCTIONS).map(([substitution, fn]) => [substitution, localFunctionArn(fn)])),
      },
    ],
    timeScale: 0.001,
    log: { error: (details, message) => logged.push(`${message} ${JSON.stringify(details)}`) },
  });
});

afterAll(async () => {
  await engine.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('PSK columns in a manifest', () => {
  it('stores each row’s PSK under its identity (findable by it) and generates nothing for rows without', async () => {
    const { output, rows } = await runBatch('psk-1', [`lamp-1,acme,1,1,SN/0001,${KEYS.a}`, `lamp-2,acme,1,1,lamp-2,${KEYS.b}`, 'lamp-3,acme,1,1,,']);
    expect(output).toMatchObject({ provisioned: 3, invalid: 0 });
    expect(rows.map((r) => r.outcome)).toEqual(['provisioned', 'provisioned', 'provisioned']);
    expect(await readDevicePsk(stores.credentials, 'lamp-1')).toMatchObject({ identity: 'SN/0001' });
    expect(await keyOf('lamp-1')).toBe(KEYS.a);
    expect((await deviceForIdentity(stores.credentials, 'SN/0001'))?.thingName).toBe('lamp-1');
    expect((await deviceForIdentity(stores.credentials, 'lamp-2'))?.key.toString('hex')).toBe(KEYS.b);
    // Without the columns, the PSK is issued later from DeviceProvisioned (provisionedDevicePsks.ts), as before.
    expect(await readDevicePsk(stores.credentials, 'lamp-3')).toBeUndefined();
  });

  it('the same manifest again changes nothing', async () => {
    const { output } = await runBatch('psk-2', [`lamp-1,acme,1,1,SN/0001,${KEYS.a}`, `lamp-2,acme,1,1,lamp-2,${KEYS.b}`, 'lamp-3,acme,1,1,,']);
    expect(output).toMatchObject({ provisioned: 0, unchanged: 3, invalid: 0 });
    expect(await keyOf('lamp-1')).toBe(KEYS.a);
    // Letter case of hex digits is not a different key.
    const { output: upper } = await runBatch('psk-2b', [`lamp-1,acme,1,1,SN/0001,${KEYS.a.toUpperCase()}`]);
    expect(upper).toMatchObject({ unchanged: 1, invalid: 0 });
  });

  it("refuses, per row and naming the field, an identity another device of the fleet holds (its own, or its serial's default)", async () => {
    await issueDevicePsk({ credentials: stores.credentials, thingName: 'lamp-3' }); // what the follower does for lamp-3
    const { output, rows } = await runBatch('psk-3', [`lamp-4,acme,1,1,SN/0001,${KEYS.c}`, `lamp-5,acme,1,1,lamp-3,${KEYS.d}`, `lamp-6,acme,1,1,lamp-6,${KEYS.e}`]);
    expect(output).toMatchObject({ provisioned: 1, invalid: 2 });
    const [four, five, six] = rows;
    expect(four).toMatchObject({ rowNumber: 2, serial: 'lamp-4', outcome: 'invalid', problems: [{ field: 'pskIdentity', message: 'pskIdentity "SN/0001" already belongs to lamp-1.' }] });
    expect(four?.problems[0]?.hint).toContain('deprovision lamp-1 first');
    expect(five).toMatchObject({ serial: 'lamp-5', outcome: 'invalid', problems: [{ field: 'pskIdentity', message: 'pskIdentity "lamp-3" already belongs to lamp-3.' }] });
    expect(six).toMatchObject({ serial: 'lamp-6', outcome: 'provisioned' });
    // Refused rows are not provisioned and got no PSK; the holders keep theirs.
    const types = (await allEvents()).filter((e) => e.type === 'DeviceProvisioned').map((e) => (e.data as { thingName: string }).thingName);
    expect(types).not.toContain('lamp-4');
    expect(types).not.toContain('lamp-5');
    expect(await readDevicePsk(stores.credentials, 'lamp-4')).toBeUndefined();
    expect(await readDevicePsk(stores.credentials, 'lamp-5')).toBeUndefined();
    expect(await keyOf('lamp-1')).toBe(KEYS.a);
    // The batch's own counts include them.
    const started = (await eventStore.readStream('batch-psk-3'))[0];
    expect(started?.data).toMatchObject({ totalRows: 3, invalidRows: 2 });
  });

  it('a re-upload with another key or identity for a device of the fleet is refused and the stored PSK stays', async () => {
    const { output, rows } = await runBatch('psk-4', [`lamp-1,acme,1,1,SN/0001,${KEYS.f}`, `lamp-2,acme,1,1,lamp-2-new,${KEYS.b}`, `lamp-3,acme,1,1,lamp-3,${KEYS.c}`, `lamp-6,acme,1,1,lamp-6,${KEYS.e}`]);
    expect(output).toMatchObject({ unchanged: 1, invalid: 3, provisioned: 0, updated: 0 });
    expect(rows[0]).toMatchObject({ serial: 'lamp-1', outcome: 'invalid', problems: [{ field: 'pskKey' }] });
    expect(rows[0]?.problems[0]?.message).toBe("lamp-1 already has a DTLS PSK, and this row's pskKey differs from it; a re-upload does not rotate PSKs, so nothing of this row was applied.");
    expect(rows[0]?.problems[0]?.hint).toContain('deprovision it, then upload the row again');
    expect(rows[1]).toMatchObject({ serial: 'lamp-2', outcome: 'invalid', problems: [{ field: 'pskIdentity' }] });
    expect(rows[1]?.problems[0]?.message).toContain('under identity "lamp-2"');
    // A generated PSK is the device's too: a manifest key does not replace it.
    expect(rows[2]).toMatchObject({ serial: 'lamp-3', outcome: 'invalid', problems: [{ field: 'pskKey' }] });
    expect(rows[3]).toMatchObject({ serial: 'lamp-6', outcome: 'unchanged' });
    expect(await keyOf('lamp-1')).toBe(KEYS.a);
    expect(await readDevicePsk(stores.credentials, 'lamp-2')).toMatchObject({ identity: 'lamp-2' });
    expect((await deviceForIdentity(stores.credentials, 'lamp-2-new'))).toBeUndefined();
    expect(await keyOf('lamp-3')).not.toBe(KEYS.c);
  });

  it('a device not in the fleet (a PSK stored, never provisioned) takes the row’s PSK', async () => {
    await issueDevicePsk({ credentials: stores.credentials, thingName: 'lamp-7', key: KEYS.c });
    const { output } = await runBatch('psk-5', [`lamp-7,acme,1,1,lamp-7,${KEYS.d}`]);
    expect(output).toMatchObject({ provisioned: 1, invalid: 0 });
    expect(await keyOf('lamp-7')).toBe(KEYS.d);
  });

  it('no key reaches an event, an execution history, a report or working file, or a log line', async () => {
    const needles = Object.values(KEYS).flatMap((k) => [k, k.toUpperCase(), Buffer.from(k, 'hex').toString('base64')]);
    const events = await allEvents();
    expect(events.length).toBeGreaterThan(10);
    for (const event of events) for (const needle of needles) expect(JSON.stringify(event), event.type).not.toContain(needle);
    expect(executions).toHaveLength(6);
    for (const id of executions) {
      const history = JSON.stringify(await engine.getExecutionHistory(id));
      expect(history).toContain('ValidateManifest');
      for (const needle of needles) expect(history, id).not.toContain(needle);
    }
    const reports = await stores.reports.list('batches/');
    expect(reports.nextAfter).toBeUndefined();
    expect(reports.objects.length).toBeGreaterThan(20);
    for (const { key } of reports.objects) {
      const text = (await stores.reports.getBytes(key)).toString('utf8');
      for (const needle of needles) expect(text, key).not.toContain(needle);
    }
    for (const line of logged) for (const needle of needles) expect(line).not.toContain(needle);
  });
});
