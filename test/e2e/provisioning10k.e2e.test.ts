import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../events/envelope.ts';
import type { DeviceRow } from '../../events/projections/devices.ts';
import type { DeviceStateRow } from '../../events/projections/deviceState.ts';
import type { ObjectStore } from '../../functions/objectStore/objectStore.ts';
import { credentialKeys } from '../../functions/provisioning/batchObjects.ts';
import type { StoredMqttCredentials } from '../../functions/provisioning/provisionDevice.ts';
import { runPool } from '../../functions/provisioning/runPool.ts';
import type { IssuedCertificate } from '../../functions/registry/localCa.ts';
import { loadConfig } from '../../infra/embedded/config.ts';
import { provisioningModule, type RunningProvisioning } from '../../infra/embedded/modules/provisioning.ts';
import { startEmbeddedSystem, type EmbeddedSystem } from '../../infra/embedded/system.ts';
import { encodeSenmlCbor } from '../../schemas/senml/index.ts';
import { topics } from '../../schemas/topics/topics.ts';
import { connect, end, within } from '../broker/support.ts';

/**
 * Issue 4's done-when: a 10,000-row manifest with 2 % bad rows, put into the uploads area as an S3
 * upload would land (no HTTP), provisions exactly the good rows; the report names every bad row by
 * row number and field; every provisioned device connects over mutual TLS with its own credentials,
 * decrypted as bootstrap reads them, and reports its state; uploading the manifest again creates
 * nothing. On 2 cores this runs in about two minutes, most of it key generation and TLS handshakes.
 */

const ROWS = 10_000;
const BAD_EVERY = 50;
const CONNECTIONS_AT_ONCE = 32;
const TENANT = 'city-of-lund';

interface BadRow {
  readonly serial: string;
  readonly field: string;
}

/**
 * Spreadsheet row numbers start at 2 (the header is row 1). Every 50th row is bad, cycling through
 * five problems, each reported against one field.
 */
const buildManifest = () => {
  const lines = ['serial,tenant,latitude,longitude,thingGroup,kind'];
  const good: string[] = [];
  const bad = new Map<number, BadRow>();
  for (let i = 0; i < ROWS; i++) {
    const serial = `lamp-${String(i).padStart(5, '0')}`;
    const rowNumber = i + 2;
    const lat = (55.6 + (i % 1000) / 10_000).toFixed(4);
    const lon = (13.1 + Math.floor(i / 1000) / 1000).toFixed(4);
    const group = i % 3 === 0 ? 'street-lights' : '';
    if (i % BAD_EVERY === BAD_EVERY - 1) {
      const kind = Math.floor(i / BAD_EVERY) % 5;
      const previous = `lamp-${String(i - 1).padStart(5, '0')}`;
      const [line, field, named] = [
        [`${serial},${TENANT},95.5,${lon},${group},lamp`, 'latitude', serial],
        [`${serial},,${lat},${lon},${group},lamp`, 'tenant', serial],
        [`${serial},${TENANT},${lat},east,${group},lamp`, 'longitude', serial],
        [`${serial},${TENANT},${lat},${lon},${group},has space`, 'kind', serial],
        // The previous (good) row's serial again: the duplicate is refused, the first one stays.
        [`${previous},${TENANT},${lat},${lon},${group},lamp`, 'serial', previous],
      ][kind]!;
      lines.push(line!);
      bad.set(rowNumber, { serial: named!, field: field! });
      continue;
    }
    lines.push(`${serial},${TENANT},${lat},${lon},${group},lamp`);
    good.push(serial);
  }
  return { csv: `${lines.join('\n')}\n`, good, bad };
};

const { csv, good, bad } = buildManifest();
const dataDir = mkdtempSync(join(tmpdir(), 'e2e-provision-10k-'));
let system: EmbeddedSystem;
let provisioning: RunningProvisioning;

interface BatchOutput {
  readonly provisioned: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly failed: number;
  readonly invalid: number;
  readonly reportKey: string;
  readonly jsonReportKey: string;
}

/** Puts the manifest where an S3 upload lands; the uploads trigger starts the workflow. */
const upload = async (batchId: string): Promise<BatchOutput> => {
  await system.objects.uploads.put(`manifests/${batchId}.csv`, csv, { contentType: 'text/csv' });
  const execution = await provisioning.workflows.waitForCompletion(`arn:aws:states:local:000000000000:execution:provisioning:${batchId}`);
  expect(execution, `${execution.error ?? ''}: ${execution.cause ?? ''}`).toMatchObject({ status: 'SUCCEEDED' });
  return execution.output as BatchOutput;
};

const eventsOf = async (types: readonly string[], after?: string): Promise<StoredEvent[]> => {
  const out: StoredEvent[] = [];
  let cursor = after;
  for (;;) {
    const page = await system.events.readAll({ after: cursor, limit: 5000 });
    if (page.events.length === 0) return out;
    out.push(...page.events.filter((e) => types.includes(e.type)));
    cursor = page.cursor;
  }
};

const listAll = async (store: ObjectStore, prefix: string) => {
  const objects: { key: string; etag: string }[] = [];
  let after: string | undefined;
  do {
    const page = await store.list(prefix, { after });
    objects.push(...page.objects.map((o) => ({ key: o.key, etag: o.etag })));
    after = page.nextAfter;
  } while (after !== undefined);
  return objects;
};

/** The credentials exactly as bootstrap reads them: the encrypted store decrypts, JSON holds the three parts. */
const credentialsOf = async (thingName: string): Promise<StoredMqttCredentials> =>
  JSON.parse((await system.objects.credentials.getBytes(credentialKeys.mqtt(thingName))).toString('utf8')) as StoredMqttCredentials;

beforeAll(async () => {
  system = await startEmbeddedSystem(loadConfig({ FLEET_DATA_DIR: dataDir, FLEET_HTTP_PORT: '0', FLEET_MQTT_PORT: '0', FLEET_LOG_LEVEL: 'silent' }), {
    workflowTimeScale: 0.001,
    systemModules: [provisioningModule((p) => (provisioning = p))],
  });
});
afterAll(async () => {
  await system.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('provisioning 10,000 devices end to end: uploads area → workflow → registry, credentials, events → every device connects', () => {
  const certificateOf = new Map<string, string>();

  it('provisions exactly the good rows and the report names every bad row by row number and field', async () => {
    expect(good).toHaveLength(ROWS - ROWS / BAD_EVERY);
    expect(bad.size).toBe(ROWS / BAD_EVERY);

    const output = await upload('b-10k-first');
    expect(output).toMatchObject({ provisioned: good.length, updated: 0, unchanged: 0, failed: 0, invalid: bad.size });

    // Events: one DeviceProvisioned per good row and nothing failed.
    const events = await eventsOf(['DeviceProvisioned', 'DeviceProvisioningFailed']);
    expect(events.filter((e) => e.type === 'DeviceProvisioningFailed')).toEqual([]);
    for (const e of events) {
      const { thingName, certificateId } = e.data as { thingName: string; certificateId: string };
      expect(certificateOf.has(thingName), `${thingName} provisioned twice`).toBe(false);
      certificateOf.set(thingName, certificateId);
    }
    expect([...certificateOf.keys()].sort()).toEqual(good);

    // Registry: each good thing has exactly the certificate its event names; no bad row has a thing.
    for (const thingName of good) {
      const thing = await system.registry.describeThing(thingName);
      expect(thing?.principals, thingName).toEqual([certificateOf.get(thingName)]);
    }
    for (const row of bad.values()) if (row.field !== 'serial') expect(await system.registry.describeThing(row.serial), row.serial).toBeUndefined();

    // Directory: the devices projection holds exactly the good rows, provisioned, with their tenant.
    await system.projections.settled();
    const directory = system.projectionStore.allRows('devices') as Map<string, DeviceRow>;
    expect([...directory.keys()].sort()).toEqual(good);
    expect([...directory.values()].every((row) => row.status === 'provisioned' && row.tenant === TENANT)).toBe(true);
    expect(directory.get('lamp-00003')?.thingGroup).toBe('street-lights');

    // Credentials: one encrypted object per good device, no plaintext key on disk.
    const stored = await listAll(system.objects.credentials, 'devices/');
    expect(stored.map((o) => o.key).sort()).toEqual(good.map((s) => credentialKeys.mqtt(s)).sort());
    const folder = join(dataDir, 'objects', 'credentials', 'devices', 'lamp-00001');
    for (const file of readdirSync(folder)) expect(readFileSync(join(folder, file)).includes('PRIVATE KEY'), file).toBe(false);

    // The report: every bad row by number, serial and the field that was wrong; every good row provisioned.
    const report = JSON.parse((await system.objects.reports.getBytes(output.jsonReportKey)).toString('utf8')) as {
      rows: { rowNumber: number; serial?: string; outcome: string; problems: { field: string }[] }[];
      summary: { rows: number };
    };
    expect(report.summary.rows).toBe(ROWS);
    const invalid = new Map(report.rows.filter((r) => r.outcome === 'invalid').map((r) => [r.rowNumber, { serial: r.serial ?? '', field: r.problems.map((p) => p.field).join('|') }]));
    expect(invalid).toEqual(bad);
    expect(report.rows.filter((r) => r.outcome === 'provisioned')).toHaveLength(good.length);
    const csvReport = (await system.objects.reports.getBytes(output.reportKey)).toString('utf8');
    for (const [rowNumber, { serial, field }] of bad) expect(csvReport).toContain(`\r\n${rowNumber},${serial},invalid,${field},`);
  }, 300_000);

  it('each provisioned device connects over TLS with its own decrypted credentials and reports its state; the device-state projection holds them all', async () => {
    expect(certificateOf.size).toBe(good.length);
    const before = system.events.headPosition();
    await runPool(good, CONNECTIONS_AT_ONCE, async (thingName) => {
      const credentials = await credentialsOf(thingName);
      // Bootstrap delivers only credentials that hold the certificate the registry attached.
      expect(credentials.certificateId).toBe(certificateOf.get(thingName));
      // connect() reads only the two PEMs of the identity it is given.
      const identity = credentials as unknown as IssuedCertificate;
      const device = connect({ port: system.mqtt.port, clientId: thingName, caPem: system.ca.certificatePem, identity });
      try {
        await device.connected;
        const reading = Number(thingName.slice('lamp-'.length)) / 10;
        const pack = Buffer.from(encodeSenmlCbor([{ n: '/3303/0/5700', v: reading, u: 'Cel' }], { profile: 'lwm2m' }));
        await within(10_000, `${thingName} publishing`, device.client.publishAsync(topics.deviceState(thingName), pack, { qos: 1 }));
      } finally {
        await end(device.client);
      }
    });
    await system.projections.settled();
    const states = system.projectionStore.getRows('device-state', good) as Map<string, DeviceStateRow>;
    expect(states.size).toBe(good.length);
    for (const thingName of good) {
      const reading = Number(thingName.slice('lamp-'.length)) / 10;
      expect(states.get(thingName)?.resources['/3303/0/5700']?.value, thingName).toEqual({ kind: 'number', v: reading });
    }
    // Every message was accepted: nothing went to the rejections.
    expect(await eventsOf(['MessageRejected'], String(before))).toEqual([]);
  }, 300_000);

  it('uploading the same manifest again creates nothing new', async () => {
    const before = system.events.headPosition();
    const credentialsBefore = await listAll(system.objects.credentials, 'devices/');
    const output = await upload('b-10k-again');
    expect(output).toMatchObject({ provisioned: 0, updated: 0, unchanged: good.length, failed: 0, invalid: bad.size });
    const appended = (await eventsOf(['DeviceProvisioned', 'DeviceAttributesChanged', 'DeviceProvisioningFailed', 'ProvisioningBatchStarted', 'ProvisioningBatchCompleted'], String(before))).map((e) => e.type);
    expect(appended).toEqual(['ProvisioningBatchStarted', 'ProvisioningBatchCompleted']);
    expect(await listAll(system.objects.credentials, 'devices/')).toEqual(credentialsBefore);
    for (const thingName of [good[0]!, good[4321]!, good.at(-1)!]) {
      expect((await system.registry.describeThing(thingName))?.principals).toEqual([certificateOf.get(thingName)]);
    }
  }, 120_000);
});
