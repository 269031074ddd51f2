import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmRow } from '../../events/projections/alarms.ts';
import type { DeviceStateRow } from '../../events/projections/deviceState.ts';
import type { Lwm2mServer, UpdatedEvent } from '../../functions/lwm2m/lwm2mServer.ts';
import type { ManualScheduler } from '../../functions/lwm2m/scheduler.ts';
import type { SimulatedDevice } from '../../functions/simulator/simulatedDevice.ts';
import { loadConfig } from '../../infra/embedded/config.ts';
import { startEmbeddedSystem, type EmbeddedSystem } from '../../infra/embedded/system.ts';
import { encodePayload, type ResourceValue } from '../../schemas/lwm2m/index.ts';
import { provisioned } from '../support/events.ts';
import { eventWhere, nextEvent, openDevice, startServer } from './support.ts';

const THING = 'sim-meter-1';
const dataDir = mkdtempSync(join(tmpdir(), 'e2e-simulator-'));
const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

describe('bootstrap to MQTT: 18830 written through the LwM2M server, then the device publishes over mutual TLS', () => {
  let system: EmbeddedSystem;
  let server: Lwm2mServer;
  let device: SimulatedDevice;
  let clock: ManualScheduler;
  let credentials: { certificatePem: string; privateKeyPem: string };

  beforeAll(async () => {
    system = await startEmbeddedSystem(loadConfig({ FLEET_DATA_DIR: dataDir, FLEET_HTTP_PORT: '0', FLEET_MQTT_PORT: '0', FLEET_LOG_LEVEL: 'silent' }));
    // The thing as provisioning leaves it: in the registry, with an attached certificate, provisioned.
    await system.registry.ensureThing({ thingName: THING, attributes: {} });
    const cert = await system.registry.createKeysAndCertificate({ thingName: THING });
    await system.registry.attachThingPrincipal(THING, cert.certificateId);
    await system.events.append({ streamId: `device-${THING}`, expectedVersion: 0, events: [provisioned(THING, { certificateId: cert.certificateId })] });
    await system.projections.settled();
    credentials = cert;
    server = await startServer();
    ({ device, clock } = await openDevice(server, THING, { alarmAboveCelsius: 30, temperature: { startCelsius: 21 }, publishEveryMs: 10_000, mqtt: { reconnectMs: 0 } }));
  });
  afterAll(async () => {
    await device.stop();
    await server.close();
    await system.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('registers without an 18830 instance, takes the credentials as the bridge writes them, connects and re-registers 18830/0', async () => {
    const registered = nextEvent(device.events, 'registered');
    device.start();
    await registered;
    expect(server.registration(THING)?.objectLinks.objects.find((o) => o.objectId === 18830)?.instances).toEqual([]);

    const values: ResourceValue[] = [
      { path: '/18830/0/0', type: 'String', value: `mqtts://127.0.0.1:${system.mqtt.port}` },
      { path: '/18830/0/1', type: 'String', value: THING },
      { path: '/18830/0/6', type: 'Integer', value: 2 },
      { path: '/18830/0/7', type: 'Opaque', value: utf8(credentials.certificatePem) },
      { path: '/18830/0/8', type: 'Opaque', value: utf8(readFileSync(join(dataDir, 'pki', 'ca.pem'), 'utf8')) },
      { path: '/18830/0/9', type: 'Opaque', value: utf8(credentials.privateKeyPem) },
    ];
    const bytes = encodePayload(11542, values, { path: '/18830/0' });
    // Larger than one CoAP block: the server sends it in Block1 blocks, the device reassembles it.
    expect(bytes.length).toBeGreaterThan(1024);

    const bootstrapped = nextEvent<{ uri: string; clientId: string }>(device.events, 'bootstrapped');
    const connected = nextEvent(device.events, 'mqtt-connected', 10_000);
    const firstState = eventWhere<{ kind: string; topic: string }>(device.events, 'published', (e) => e.kind === 'state', 10_000);
    const serverSeesInstance = eventWhere<UpdatedEvent>(server.events, 'updated', (e) => e.registration.objectLinks.objects.some((o) => o.objectId === 18830 && o.instances.includes(0)));
    expect((await server.write(THING, '/18830/0', { contentFormat: 11542, bytes: Buffer.from(bytes) })).code).toBe('2.04');
    expect(await bootstrapped).toEqual({ uri: `mqtts://127.0.0.1:${system.mqtt.port}`, clientId: THING });
    await serverSeesInstance;
    await connected;
    expect(device.mqttConnected).toBe(true);
    // The device holds its key; the server can never read it back.
    const [key] = device.valuesAt('/18830/0/9');
    expect(key?.type).toBe('Opaque');
    expect(Buffer.from(key?.value as Uint8Array).toString('utf8')).toBe(credentials.privateKeyPem);
    await expect(server.read(THING, '/18830/0/9')).rejects.toMatchObject({ code: '4.05' });

    // The state it published on connecting is stored: PUBACK comes after the append.
    expect((await firstState).topic).toBe(`dt/lwm2m/${THING}/state`);
    await system.projections.settled();
    const row = system.projectionStore.getRow('device-state', THING) as DeviceStateRow;
    expect(row.resources['/3303/0/5700']).toMatchObject({ value: { kind: 'number', v: 21 }, unit: 'Cel', time: '2026-01-01T00:00:00.000Z' });
    expect(row.resources['/3/0/13']?.value).toEqual({ kind: 'number', v: Date.parse('2026-01-01T00:00:00.000Z') / 1000 });
  });

  it('publishes its state periodically on its own clock', async () => {
    device.setTemperature(23.5);
    const published = eventWhere<{ kind: string }>(device.events, 'published', (e) => e.kind === 'state', 10_000);
    clock.advance(10_000);
    await published;
    await system.projections.settled();
    const row = system.projectionStore.getRow('device-state', THING) as DeviceStateRow;
    expect(row.resources['/3303/0/5700']?.value).toEqual({ kind: 'number', v: 23.5 });
  });

  it('raises an alarm pack when the temperature crosses the threshold, and clears it when it falls back', async () => {
    const raised = eventWhere<{ kind: string }>(device.events, 'published', (e) => e.kind === 'alarm', 10_000);
    device.setTemperature(31.5);
    await raised;
    await system.projections.settled();
    const key = `${THING}/temperature-high-3303-0`;
    expect(system.projectionStore.getRow('alarms', key) as AlarmRow).toMatchObject({
      thingName: THING,
      code: 'TEMPERATURE_HIGH',
      severity: 'major',
      state: 'active',
      path: '/3303/0/5700',
    });

    // Inside the hysteresis band nothing changes; below it the alarm clears.
    device.setTemperature(29.5);
    const cleared = eventWhere<{ kind: string }>(device.events, 'published', (e) => e.kind === 'alarm', 10_000);
    device.setTemperature(28);
    await cleared;
    await system.projections.settled();
    expect((system.projectionStore.getRow('alarms', key) as AlarmRow).state).toBe('cleared');
  });

  it('forgets its credentials on Factory Reset and comes back asking for them: 18830 without an instance', async () => {
    const disconnected = nextEvent(device.events, 'mqtt-disconnected');
    expect((await server.execute(THING, '/3/0/5')).code).toBe('2.04');
    await disconnected;
    expect(device.mqttConnected).toBe(false);
    const back = eventWhere<{ reason: string }>(device.events, 'registered', (e) => e.reason === 'reboot');
    clock.advance(2_000);
    await back;
    expect(server.registration(THING)?.objectLinks.objects.find((o) => o.objectId === 18830)?.instances).toEqual([]);
  });
});
