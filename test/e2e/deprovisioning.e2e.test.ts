import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamIdFor } from '../../events/envelope.ts';
import type { IssuedCertificate } from '../../functions/registry/localCa.ts';
import { loadConfig } from '../../infra/embedded/config.ts';
import { deprovisioningModule, type RunningDeprovisioning } from '../../infra/embedded/modules/deprovisioning.ts';
import { provisioningModule, type RunningProvisioning } from '../../infra/embedded/modules/provisioning.ts';
import { startEmbeddedSystem, type EmbeddedSystem } from '../../infra/embedded/system.ts';
import { connect, end, within } from '../broker/support.ts';
import { apiFetch } from '../support/api.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'e2e-deprovision-'));
let system: EmbeddedSystem;
let provisioning: RunningProvisioning;
let deprovisioning: RunningDeprovisioning;

beforeAll(async () => {
  system = await startEmbeddedSystem(loadConfig({ FLEET_DATA_DIR: dataDir, FLEET_HTTP_PORT: '0', FLEET_MQTT_PORT: '0', FLEET_LOG_LEVEL: 'silent' }), {
    workflowTimeScale: 0.001,
    systemModules: [
      provisioningModule((p) => (provisioning = p)),
      // The broker exists only once the system is up; the closure reads it when a run needs it.
      deprovisioningModule({ disconnect: (id) => system.mqtt.broker.disconnectCertificate(id) }, (d) => (deprovisioning = d)),
    ],
  });
});
afterAll(async () => {
  await system.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const credentialsOf = async (thingName: string) => JSON.parse((await system.objects.credentials.getBytes(`devices/${thingName}/mqtt.json`)).toString()) as IssuedCertificate;
const connectAs = (thingName: string, identity: IssuedCertificate) => connect({ port: system.mqtt.port, clientId: thingName, caPem: system.ca.certificatePem, identity });

describe('deprovisioning end to end: DELETE /devices/:thingName → workflow → revoked, disconnected, deleted, recorded', () => {
  it('provisions three devices, deprovisions one while it is connected, and leaves the other two working', async () => {
    const csv = ['serial,tenant,latitude,longitude', 'pole-1,city-of-lund,55.70,13.19', 'pole-2,city-of-lund,55.71,13.19', 'pole-3,city-of-lund,55.72,13.19'].join('\n') + '\n';
    const uploaded = await apiFetch(system, '/provisioning/manifests?name=poles.csv', { method: 'POST', body: csv, headers: { 'content-type': 'text/csv' } });
    expect(uploaded.status).toBe(202);
    const { batchId } = (await uploaded.json()) as { batchId: string };
    const batch = await provisioning.workflows.waitForCompletion(`arn:aws:states:local:000000000000:execution:provisioning:${batchId}`);
    expect(batch.output).toMatchObject({ provisioned: 3 });

    const creds = await credentialsOf('pole-2');
    const live = connectAs('pole-2', creds);
    await live.connected;

    const res = await apiFetch(system, `/devices/pole-2?reason=${encodeURIComponent('pole knocked down')}`, { method: 'DELETE' });
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as { executionName: string; status: string };
    expect(res.headers.get('location')).toBe(accepted.status);
    const done = await deprovisioning.workflows.waitForCompletion(deprovisioning.executionId(accepted.executionName));
    expect(done.status).toBe('SUCCEEDED');
    const status = (await (await apiFetch(system, accepted.status)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ executionName: accepted.executionName, thingName: 'pole-2', reason: 'pole knocked down', status: 'SUCCEEDED', revokedCertificates: [creds.certificateId], disconnected: 1 });

    // The live connection was dropped by the broker, not by the client.
    await within(5_000, 'the revoked device being disconnected', live.closed);
    expect(live.client.connected).toBe(false);

    // The same certificate is refused at CONNECT: TLS still succeeds (the CA signed it) and the
    // broker, asking the registry, answers CONNACK 5 "not authorized" for a certificate it no longer knows.
    const refusedBefore = system.mqtt.broker.stats().refusals['unknown-certificate'];
    const again = connectAs('pole-2', creds);
    await expect(again.connected).rejects.toMatchObject({ code: 5 });
    expect(system.mqtt.broker.stats().refusals['unknown-certificate']).toBe(refusedBefore + 1);
    await end(again.client);

    const stream = await system.events.readStream(streamIdFor.device('pole-2'));
    expect(stream.map((e) => e.type)).toEqual(['DeviceProvisioned', 'DeviceDeprovisioned']);
    expect(stream[1]!.data).toEqual({ thingName: 'pole-2', certificateId: creds.certificateId, reason: 'pole knocked down' });
    expect(await system.objects.credentials.head('devices/pole-2/mqtt.json')).toBeUndefined();
    expect(await system.registry.describeThing('pole-2')).toBeUndefined();

    await system.projections.settled();
    const directory = (await (await apiFetch(system, '/devices/pole-2')).json()) as { status?: string };
    expect(directory.status).toBe('deprovisioned');

    for (const other of ['pole-1', 'pole-3']) {
      const device = connectAs(other, await credentialsOf(other));
      await device.connected;
      await end(device.client);
    }
  });

  it('deleting the same device again succeeds without doing anything', async () => {
    const before = system.events.headPosition();
    const res = await apiFetch(system, '/devices/pole-2', { method: 'DELETE' });
    expect(res.status).toBe(202);
    const { executionName } = (await res.json()) as { executionName: string };
    const done = await deprovisioning.workflows.waitForCompletion(deprovisioning.executionId(executionName));
    expect(done.output).toMatchObject({ device: { alreadyDeprovisioned: true } });
    expect(system.events.headPosition()).toBe(before);
  });

  it('answers 404 problem+json for an unknown device and an unknown run, and 400 for a bad thing name', async () => {
    const unknown = await apiFetch(system, '/devices/no-such-pole', { method: 'DELETE' });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await unknown.json()).toMatchObject({ type: '/problems/device-not-found', status: 404 });

    const noRun = await apiFetch(system, '/deprovisioning/d-nope');
    expect(noRun.status).toBe(404);
    expect(noRun.headers.get('content-type')).toMatch(/application\/problem\+json/);

    const bad = await apiFetch(system, `/devices/${encodeURIComponent('bad name!')}`, { method: 'DELETE' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ type: '/problems/invalid-thing-name' });
  });
});
