import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceSessionRow } from '../../events/projections/deviceSessions.ts';
import type { DeviceRow } from '../../events/projections/devices.ts';
import { bootstrapExecution, registrationTrigger } from '../../functions/bootstrap/bootstrapTrigger.ts';
import { loadConfig } from '../../infra/embedded/config.ts';
import { bootstrapModule } from '../../infra/embedded/modules/bootstrap.ts';
import { bridgeMessagesModule } from '../../infra/embedded/modules/bridgeMessages.ts';
import { provisioningModule } from '../../infra/embedded/modules/provisioning.ts';
import { startEmbeddedSystem, type EmbeddedSystem } from '../../infra/embedded/system.ts';
import { BootstrapDelivery } from '../../schemas/bridge/index.ts';
import { startBridge, type TestBridge } from '../bridgeMessages/support.ts';

/**
 * A bootstrap result after the workflow gave up, through the whole embedded system: the bridge's
 * messages over MQTT, the state machine file run by the local engine with its waits scaled down
 * (the 15 checks take about 3 s), the SQLite store and the projections.
 */

const dataDir = mkdtempSync(join(tmpdir(), 'e2e-late-bootstrap-'));
const EXECUTION_PREFIX = 'arn:aws:states:local:000000000000:execution:';
let system: EmbeddedSystem;
let bridge: TestBridge;

beforeAll(async () => {
  system = await startEmbeddedSystem(loadConfig({ FLEET_DATA_DIR: dataDir, FLEET_HTTP_PORT: '0', FLEET_MQTT_PORT: '0', FLEET_LOG_LEVEL: 'silent' }), {
    workflowTimeScale: 0.02,
    systemModules: [provisioningModule(), bootstrapModule({ allowPlainCoap: false, brokerUri: () => `mqtts://127.0.0.1:${system.mqtt.port}` }), bridgeMessagesModule()],
  });
  const csv = ['serial,tenant,latitude,longitude', ...Array.from({ length: 3 }, (_, i) => `lamp-${i + 1},city-of-lund,55.7${i},13.19`)].join('\n') + '\n';
  await system.objects.uploads.put('manifests/b-late-lamps.csv', csv, { contentType: 'text/csv' });
  const batch = await system.workflows.waitForCompletion(`${EXECUTION_PREFIX}provisioning:b-late-lamps`);
  expect(batch.output).toMatchObject({ provisioned: 3 });
  bridge = await startBridge(system, 'b1');
});
afterAll(async () => {
  await bridge?.end();
  await system?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

let registrations = 0;
/** Registers the device at b1 as needing credentials; resolves with the delivery b1 receives and the run's id. */
const registerAndTakeDelivery = async (thingName: string) => {
  registrations += 1;
  const body = {
    endpoint: thingName,
    lwm2mVersion: '1.1',
    lifetimeSeconds: 300,
    queueMode: false,
    objectLinks: '</>;rt="oma.lwm2m";ct=110,</1/0>,</3/0>,</18830>;ver=1.0',
    location: `/rd/late${registrations}`,
    registeredAt: new Date(Date.UTC(2026, 10, 24, 12, 0, registrations)).toISOString(),
    transport: 'coaps' as const,
  };
  await bridge.event('register', thingName, body);
  const received = await bridge.nextDelivery();
  const delivery = BootstrapDelivery.parse(JSON.parse(received.payload.toString('utf8')));
  const name = bootstrapExecution({ thingName, bridgeId: 'b1', transport: 'coaps', trigger: registrationTrigger(body.location, body.registeredAt) }).name;
  return { delivery, executionId: `${EXECUTION_PREFIX}bootstrap:${name}` };
};

/** The same `at` gives the same bytes: a redelivery. */
const answer = (thingName: string, requestId: string, ok: boolean, at: string) =>
  bridge.event('bootstrap-result', thingName, { endpoint: thingName, requestId, ok, lwm2mCode: ok ? '2.04' : '4.04', at });

const streamOf = (thingName: string) => system.events.readStream(`device-${thingName}`);
const typesOf = async (thingName: string) => (await streamOf(thingName)).map((e) => e.type);
const rowsOf = async (thingName: string) => {
  await system.projections.settled();
  return {
    device: system.projectionStore.getRow('devices', thingName) as DeviceRow,
    session: system.projectionStore.getRow('device-sessions', thingName) as DeviceSessionRow,
  };
};

describe('a bootstrap result after the workflow gave up, end to end', () => {
  it('delivery → no answer → BootstrapFailed timeout → the ok arrives: the device shows bootstrapped, with one DeviceBootstrapped', async () => {
    const { delivery, executionId } = await registerAndTakeDelivery('lamp-1');
    const run = await system.workflows.waitForCompletion(executionId);
    expect(run).toMatchObject({ status: 'FAILED', error: 'BootstrapFailed' });
    const failed = (await streamOf('lamp-1')).find((e) => e.type === 'BootstrapFailed');
    expect(failed?.data).toMatchObject({ lwm2mCode: 'timeout', requestId: delivery.requestId, brokerUri: delivery.brokerUri });
    expect((await rowsOf('lamp-1')).device.status).toBe('provisioned');

    // The publish resolves on PUBACK, which the broker sends once the handler has stored what it appends.
    await answer('lamp-1', delivery.requestId, true, '2026-11-24T12:10:00.000Z');
    expect(await typesOf('lamp-1')).toEqual(['DeviceProvisioned', 'DeviceRegistered', 'BootstrapFailed', 'BootstrapResultReported', 'DeviceBootstrapped']);
    const bootstrapped = (await streamOf('lamp-1')).at(-1)!;
    expect(bootstrapped).toMatchObject({ actor: { kind: 'system', id: 'bootstrap' }, data: { bridgeId: 'b1', brokerUri: delivery.brokerUri, late: true } });
    const { device, session } = await rowsOf('lamp-1');
    expect(device.status).toBe('bootstrapped');
    expect(session).toMatchObject({ bootstrapped: true, lastBootstrap: { outcome: 'bootstrapped' } });

    // The bridge sends the same message again (a QoS 1 redelivery): nothing new.
    const before = await streamOf('lamp-1');
    await answer('lamp-1', delivery.requestId, true, '2026-11-24T12:10:00.000Z');
    expect(await streamOf('lamp-1')).toEqual(before);
  });

  it('a late ok: false adds the fact and nothing else', async () => {
    const { delivery, executionId } = await registerAndTakeDelivery('lamp-2');
    expect((await system.workflows.waitForCompletion(executionId)).status).toBe('FAILED');
    await answer('lamp-2', delivery.requestId, false, '2026-11-24T12:11:00.000Z');
    expect(await typesOf('lamp-2')).toEqual(['DeviceProvisioned', 'DeviceRegistered', 'BootstrapFailed', 'BootstrapResultReported']);
    expect((await rowsOf('lamp-2')).device.status).toBe('provisioned');
  });

  it('an ok before the timeout is concluded by the workflow alone: one DeviceBootstrapped, not late', async () => {
    const { delivery, executionId } = await registerAndTakeDelivery('lamp-3');
    await answer('lamp-3', delivery.requestId, true, '2026-11-24T12:12:00.000Z');
    expect((await system.workflows.waitForCompletion(executionId)).status).toBe('SUCCEEDED');
    expect(await typesOf('lamp-3')).toEqual(['DeviceProvisioned', 'DeviceRegistered', 'BootstrapResultReported', 'DeviceBootstrapped']);
    expect((await streamOf('lamp-3')).at(-1)!.data).toEqual({ thingName: 'lamp-3', endpoint: 'lamp-3', bridgeId: 'b1', brokerUri: delivery.brokerUri });
    expect((await rowsOf('lamp-3')).device.status).toBe('bootstrapped');
  });
});
