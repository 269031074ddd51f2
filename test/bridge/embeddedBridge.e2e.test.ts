import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../events/envelope.ts';
import { CommandAcceptedSchema } from '../../functions/commands/commandApiSchemas.ts';
import { Code, Method } from '../../functions/lwm2m/coap/message.ts';
import { Option, option } from '../../functions/lwm2m/coap/options.ts';
import type { IssuedCertificate } from '../../functions/registry/localCa.ts';
import { loadConfig } from '../../infra/embedded/config.ts';
import { bootstrapModule } from '../../infra/embedded/modules/bootstrap.ts';
import { bridgeMessagesModule } from '../../infra/embedded/modules/bridgeMessages.ts';
import { commandsModule } from '../../infra/embedded/modules/commands.ts';
import { lwm2mBridgeModule, type RunningLwm2mBridge } from '../../infra/embedded/modules/lwm2mBridge.ts';
import { provisioningModule } from '../../infra/embedded/modules/provisioning.ts';
import { startEmbeddedSystem, type EmbeddedSystem } from '../../infra/embedded/system.ts';
import { decodePayload, encodePayload } from '../../schemas/lwm2m/index.ts';
import { connect, end, within } from '../broker/support.ts';
import { apiFetch } from '../support/api.ts';
import { TestDevice } from '../lwm2m/server/testDevice.ts';

/**
 * The embedded system with its own LwM2M server and bridge (infra/embedded/modules/lwm2mBridge.ts),
 * driven only through its public interfaces: a device on plain CoAP, the HTTP API, the broker. A
 * provisioned device registers without MQTT credentials; the bootstrap workflow delivers them
 * through the bridge, which writes them to the device; the device could then connect to the broker
 * with them; an operator's read comes back through the same bridge.
 */

const dataDir = mkdtempSync(join(tmpdir(), 'e2e-lwm2m-bridge-'));
let system: EmbeddedSystem;
let lwm2m: RunningLwm2mBridge | undefined;
let device: TestDevice;

const untilEvent = (streamId: string, match: (e: StoredEvent) => boolean, what: string): Promise<readonly StoredEvent[]> => {
  let unsubscribe: () => void = () => undefined;
  const found = new Promise<readonly StoredEvent[]>((resolve, reject) => {
    const check = () => {
      system.events.readStream(streamId).then((events) => {
        if (events.some(match)) resolve(events);
      }, reject);
    };
    unsubscribe = system.events.onAppended(check);
    check();
  });
  return within(20_000, what, found).finally(() => unsubscribe());
};

beforeAll(async () => {
  // This test's device speaks plain CoAP: it opts in to plain CoAP and to bootstrapping over it (both off by default; DTLS: test/e2e/dtlsBootstrap.e2e.test.ts).
  const config = loadConfig({ FLEET_DATA_DIR: dataDir, FLEET_HTTP_PORT: '0', FLEET_MQTT_PORT: '0', FLEET_LWM2M_PORT: '0', FLEET_LWM2M_COAPS_PORT: '0', FLEET_LWM2M_PLAIN_COAP: 'true', FLEET_LOG_LEVEL: 'silent' });
  system = await startEmbeddedSystem(config, {
    workflowTimeScale: 0.02,
    systemModules: [
      provisioningModule(),
      commandsModule(),
      bootstrapModule({ allowPlainCoap: true, brokerUri: () => `mqtts://127.0.0.1:${system.mqtt.port}` }),
      bridgeMessagesModule(),
      lwm2mBridgeModule({ bridgeId: 'embedded' }, (m) => (lwm2m = m)),
    ],
  });
  await lwm2m!.connect(system.mqtt.port);
  const csv = ['serial,tenant,latitude,longitude', 'street-lamp-1,city,55.70,13.19'].join('\n') + '\n';
  await system.objects.uploads.put('manifests/b-lamps.csv', csv, { contentType: 'text/csv' });
  const batch = await system.workflows.waitForCompletion('arn:aws:states:local:000000000000:execution:provisioning:b-lamps');
  expect(batch.output).toMatchObject({ provisioned: 1 });
  device = await TestDevice.open(lwm2m!.plainCoap!.port);
  device.resources.set('/3/0/0', { code: Code.CONTENT, contentFormat: 112, payload: Buffer.from(encodePayload(112, [{ path: '/3/0/0', type: 'String', value: 'Lund Lighting' }])) });
  device.handler = (message, path) =>
    message.code === Method.POST && path === '/18830' ? { code: Code.CREATED, options: [option(Option.LOCATION_PATH, '18830'), option(Option.LOCATION_PATH, '0')] } : undefined;
});

afterAll(async () => {
  await device?.close();
  await system?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the embedded LwM2M server and bridge', () => {
  it('connects to the broker with its own bridge certificate and is recorded online', async () => {
    expect(lwm2m!.identity.thingName).toBe('bridge:embedded');
    const stream = await untilEvent('bridge-embedded', (e) => e.type === 'BridgeStatusChanged', 'the bridge online');
    expect(stream.find((e) => e.type === 'BridgeStatusChanged')).toMatchObject({ actor: { kind: 'system', id: 'bridge:embedded' }, data: { bridgeId: 'embedded', status: 'online' } });
    expect(lwm2m!.health?.()).toBe('up');
  });

  it('bootstraps a provisioned device that registers without credentials, and the credentials work on the broker', async () => {
    await device.register({ ep: 'street-lamp-1', lwm2m: '1.1', links: '</>;rt="oma.lwm2m";ct="112",</3/0>,</18830>' });
    const stream = await untilEvent('device-street-lamp-1', (e) => e.type === 'DeviceBootstrapped' || e.type === 'BootstrapFailed', 'the bootstrap outcome');
    expect(stream.map((e) => e.type)).toEqual(['DeviceProvisioned', 'DeviceRegistered', 'BootstrapResultReported', 'DeviceBootstrapped']);
    expect(stream[1]).toMatchObject({ actor: { kind: 'system', id: 'bridge:embedded' }, data: { endpoint: 'street-lamp-1', bridgeId: 'embedded' } });

    const create = device.requests.findLast((r) => r.code === Method.POST)!;
    const written = new Map(decodePayload(112, create.payload, '/18830').map((v) => [v.path, v.value]));
    const text = (path: string) => Buffer.from(written.get(path) as Uint8Array).toString('utf8');
    const credentials = { certificatePem: text('/18830/0/7'), privateKeyPem: text('/18830/0/9') };
    expect(written.get('/18830/0/0')).toBe(`mqtts://127.0.0.1:${system.mqtt.port}`);
    expect(text('/18830/0/8')).toBe(system.ca.certificatePem);

    // The device's next step: connect to the broker with what it was given.
    const mqttDevice = connect({ port: system.mqtt.port, clientId: 'street-lamp-1', caPem: text('/18830/0/8'), identity: credentials as unknown as IssuedCertificate });
    await mqttDevice.connected;
    await end(mqttDevice.client);
  });

  it('relays an operator read through the bridge and records the typed result', async () => {
    const res = await apiFetch(system, '/commands', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ thingName: 'street-lamp-1', operation: 'read', path: '/3/0/0' }) }, 'operator');
    expect(res.status).toBe(202);
    const { commandId } = CommandAcceptedSchema.parse(await res.json());
    const stream = await untilEvent(`command-${commandId}`, (e) => e.type === 'CommandSucceeded' || e.type === 'CommandFailed', 'the command outcome');
    expect(stream.map((e) => e.type)).toEqual(['CommandRequested', 'CommandPublished', 'CommandDispatched', 'CommandSucceeded']);
    expect(stream.at(-1)).toMatchObject({ data: { lwm2mCode: '2.05', result: { values: [{ path: '/3/0/0', value: { kind: 'string', v: 'Lund Lighting' } }] } } });
  });
});
