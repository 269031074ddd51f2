import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceStateRow } from '../../events/projections/deviceState.ts';
import type { IssuedCertificate } from '../../functions/registry/localCa.ts';
import { loadConfig } from '../../infra/embedded/config.ts';
import { provisioningModule, type RunningProvisioning } from '../../infra/embedded/modules/provisioning.ts';
import { startEmbeddedSystem, type EmbeddedSystem } from '../../infra/embedded/system.ts';
import { encodeSenmlCbor } from '../../schemas/senml/index.ts';
import { topics } from '../../schemas/topics/topics.ts';
import { connect, end, within } from '../broker/support.ts';
import { apiFetch } from '../support/api.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'e2e-provision-'));
let system: EmbeddedSystem;
let provisioning: RunningProvisioning;

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

/** 100 rows around Lund; rows 17 and 58 are bad (latitude out of range, missing tenant). */
const manifest = () =>
  [
    'serial,tenant,latitude,longitude,kind',
    ...Array.from({ length: 100 }, (_, i) =>
      i === 17 ? `lamp-${i},city-of-lund,123.4,13.19,lamp` : i === 58 ? `lamp-${i},,55.7,13.19,lamp` : `lamp-${i},city-of-lund,${(55.7 + i / 1000).toFixed(4)},13.19,lamp`,
    ),
  ].join('\n') + '\n';

const upload = async (body: string) => {
  const res = await apiFetch(system, '/provisioning/manifests?name=lamps.csv', { method: 'POST', body, headers: { 'content-type': 'text/csv' } });
  expect(res.status).toBe(202);
  const accepted = (await res.json()) as { batchId: string; status: string };
  await provisioning.workflows.waitForCompletion(`arn:aws:states:local:000000000000:execution:provisioning:${accepted.batchId}`);
  const status = (await (await apiFetch(system, accepted.status)).json()) as Record<string, unknown>;
  return { ...accepted, progress: status };
};

describe('provisioning end to end: HTTP upload → workflow → registry, credentials, events → a device connects', () => {
  it('provisions exactly the good rows, reports the bad ones, and a provisioned device connects and publishes with its credentials', async () => {
    const first = await upload(manifest());
    expect(first.progress).toMatchObject({ status: 'SUCCEEDED', totalRows: 100, invalidRows: 2, provisioned: 98, failed: 0, rowsDone: 98 });

    const report = await (await apiFetch(system, `/provisioning/batches/${first.batchId}/report`)).text();
    const invalid = report.split('\n').filter((l) => l.includes('invalid'));
    expect(invalid.map((l) => l.split(',')[0])).toEqual(['19', '60']); // spreadsheet rows: header is row 1

    await system.projections.settled();
    const found = (await (await apiFetch(system, '/devices?tenant=city-of-lund&limit=500')).json()) as { items: unknown[] };
    expect(found.items).toHaveLength(98);

    // The device's credentials, as bootstrap will deliver them, let it connect and publish.
    const creds = JSON.parse((await system.objects.credentials.getBytes('devices/lamp-3/mqtt.json')).toString()) as IssuedCertificate;
    const device = connect({ port: system.mqtt.port, clientId: 'lamp-3', caPem: system.ca.certificatePem, identity: creds });
    await device.connected;
    const pack = Buffer.from(encodeSenmlCbor([{ n: '/3303/0/5700', v: 19.5, u: 'Cel' }], { profile: 'lwm2m' }));
    await within(5000, 'publish', device.client.publishAsync(topics.deviceState('lamp-3'), pack, { qos: 1 }));
    await end(device.client);
    await system.projections.settled();
    expect((system.projectionStore.getRow('device-state', 'lamp-3') as DeviceStateRow).resources['/3303/0/5700']!.value).toEqual({ kind: 'number', v: 19.5 });
  });

  it('uploading the same manifest again creates nothing new', async () => {
    const before = system.events.headPosition();
    const again = await upload(manifest());
    expect(again.progress).toMatchObject({ status: 'SUCCEEDED', provisioned: 0, unchanged: 98, updated: 0 });
    const appended = (await system.events.readAll({ after: String(before), limit: 1000 })).events.map((e) => e.type);
    expect(appended.every((t) => t === 'ProvisioningBatchStarted' || t === 'ProvisioningBatchCompleted')).toBe(true);
  });

  it('refuses an upload it cannot read with problem+json, and reports unknown batches as 404', async () => {
    const res = await apiFetch(system, '/provisioning/manifests?name=devices.xlsx', { method: 'POST', body: 'x', headers: { 'content-type': 'application/octet-stream' } });
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect((await apiFetch(system, '/provisioning/batches/b-nope')).status).toBe(404);
  });
});
