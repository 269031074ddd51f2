import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../events/envelope.ts';
import { readDevicePsk } from '../../functions/dtls/devicePsk.ts';
import { Code, Method } from '../../functions/lwm2m/coap/message.ts';
import { Option, stringOptions } from '../../functions/lwm2m/coap/options.ts';
import type { IssuedCertificate } from '../../functions/registry/localCa.ts';
import { loadConfig } from '../../infra/embedded/config.ts';
import { bootstrapEnv, bootstrapModule } from '../../infra/embedded/modules/bootstrap.ts';
import { bridgeMessagesModule } from '../../infra/embedded/modules/bridgeMessages.ts';
import { deprovisioningModule } from '../../infra/embedded/modules/deprovisioning.ts';
import { lwm2mBridgeModule, type RunningLwm2mBridge } from '../../infra/embedded/modules/lwm2mBridge.ts';
import { provisioningModule } from '../../infra/embedded/modules/provisioning.ts';
import { startEmbeddedSystem, type EmbeddedSystem } from '../../infra/embedded/system.ts';
import { decodePayload } from '../../schemas/lwm2m/index.ts';
import { connect, end, within } from '../broker/support.ts';
import { DtlsDevice } from '../dtls/support/dtlsDevice.ts';
import { TestDevice } from '../lwm2m/server/testDevice.ts';

/**
 * Bootstrap over DTLS against the whole embedded system: provisioning gives each device a PSK (its
 * manifest row's pskIdentity/pskKey, or a generated one), a device (node-dtls-client carrying CoAP
 * built with the project's codec) registers over coaps under its own identity, and the bootstrap
 * workflow's credentials reach it as object 18830 writes through its DTLS session. A wrong key gets
 * no session and nothing, and the refusal is a DeviceAuthenticationFailed event (a flood of them a
 * bounded number); another device's endpoint name is refused, and recorded; plain CoAP (switched on
 * here, as on a development bench) is refused credentials by the default bootstrap setting; and in
 * the default configuration plain CoAP is not listening.
 */

const dataDir = mkdtempSync(join(tmpdir(), 'e2e-dtls-bootstrap-'));
let system: EmbeddedSystem;
let lwm2m: RunningLwm2mBridge | undefined;
const devices: { close(): Promise<void> }[] = [];

const LINKS = '</>;rt="oma.lwm2m";ct=112,</1/0>,</3/0>,</18830>;ver=1.0';
const BATCH_EXECUTION = 'arn:aws:states:local:000000000000:execution:provisioning:b-dtls';
/** The manifest's own PSK for dtls-meter-6: it must reach the device's store and nowhere else. */
const METER_IDENTITY = 'meter-6@acme';
const METER_KEY_HEX = '5e3c7a91d2f04b86a1c9e07f3d2b5a6877e1c0d49f8a2b3c';
/** The rate limit's window here; 60 s by default. */
const FAILURE_WINDOW_MS = 3_000;

const untilStream = (streamId: string, done: (events: readonly StoredEvent[]) => boolean, what: string): Promise<readonly StoredEvent[]> => {
  let unsubscribe: () => void = () => undefined;
  const found = new Promise<readonly StoredEvent[]>((resolve, reject) => {
    const check = () => {
      system.events.readStream(streamId).then((events) => {
        if (done(events)) resolve(events);
      }, reject);
    };
    unsubscribe = system.events.onAppended(check);
    check();
  });
  return within(30_000, what, found).finally(() => unsubscribe());
};
const untilEvent = (streamId: string, match: (e: StoredEvent) => boolean, what: string) => untilStream(streamId, (events) => events.some(match), what);

const typesOf = async (thing: string) => (await system.events.readStream(`device-${thing}`)).map((e) => e.type);
const authFailuresOf = async (thing: string) =>
  (await system.events.readStream(`device-${thing}`)).filter((e) => e.type === 'DeviceAuthenticationFailed').map((e) => e.data as { reason: string; attempts: number; [k: string]: unknown });
const attemptsIn = (events: readonly StoredEvent[]) =>
  events.filter((e) => e.type === 'DeviceAuthenticationFailed').reduce((sum, e) => sum + (e.data as { attempts: number }).attempts, 0);
const keyOf = async (thing: string) => (await readDevicePsk(system.objects.credentials, thing))!.key;
const coapsPort = () => lwm2m!.coaps.port;
const open = async (identity: string, key: Buffer) => {
  const device = await DtlsDevice.open(coapsPort(), identity, key);
  devices.push(device);
  return device;
};

beforeAll(async () => {
  const config = loadConfig({
    FLEET_DATA_DIR: dataDir,
    FLEET_HTTP_PORT: '0',
    FLEET_MQTT_PORT: '0',
    FLEET_LWM2M_COAPS_PORT: '0',
    FLEET_LWM2M_PORT: '0',
    // A development bench: plain CoAP beside DTLS. Bootstrap keeps its default (no plain CoAP).
    FLEET_LWM2M_PLAIN_COAP: 'true',
    FLEET_LOG_LEVEL: 'silent',
  });
  system = await startEmbeddedSystem(config, {
    workflowTimeScale: 0.02,
    systemModules: [
      provisioningModule(),
      deprovisioningModule({ disconnect: (id) => system.mqtt.broker.disconnectCertificate(id) }),
      bootstrapModule({ allowPlainCoap: bootstrapEnv({}).allowPlainCoap, brokerUri: () => `mqtts://127.0.0.1:${system.mqtt.port}` }),
      bridgeMessagesModule(),
      lwm2mBridgeModule({ bridgeId: 'dtls', authenticationFailureWindowMs: FAILURE_WINDOW_MS }, (m) => (lwm2m = m)),
    ],
  });
  await lwm2m!.connect(system.mqtt.port);
  const csv =
    [
      'serial,tenant,latitude,longitude,pskIdentity,pskKey',
      'dtls-lamp-1,city,55.70,13.19,,',
      'dtls-lamp-2,city,55.71,13.19,,',
      'dtls-lamp-3,city,55.72,13.19,,',
      'plain-lamp-4,city,55.73,13.19,,',
      'dtls-lamp-5,city,55.74,13.19,,',
      `dtls-meter-6,city,55.75,13.19,${METER_IDENTITY},${METER_KEY_HEX}`,
    ].join('\n') + '\n';
  await system.objects.uploads.put('manifests/b-dtls.csv', csv, { contentType: 'text/csv' });
  const batch = await system.workflows.waitForCompletion(BATCH_EXECUTION);
  expect(batch.output).toMatchObject({ provisioned: 6, invalid: 0 });
  // The PSKs are issued from DeviceProvisioned; the DTLS lookup reads device status from the projection.
  await lwm2m!.psks.settled();
  await system.projections.settled();
});

afterAll(async () => {
  for (const d of devices) await d.close();
  await system?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('bootstrap over DTLS with per-device PSKs (embedded system)', () => {
  it('listens on coaps, and has issued every provisioned device a 16-byte PSK under its thing name, or its manifest row\'s own', async () => {
    expect(lwm2m!.endpoints).toEqual({ coaps: `coaps://127.0.0.1:${coapsPort()}`, coap: `coap://127.0.0.1:${lwm2m!.plainCoap!.port}` });
    expect(lwm2m!.psks.issued).toBe(5);
    for (const thing of ['dtls-lamp-1', 'dtls-lamp-2', 'dtls-lamp-3', 'plain-lamp-4', 'dtls-lamp-5']) {
      const psk = await readDevicePsk(system.objects.credentials, thing);
      expect(psk?.identity).toBe(thing);
      expect(psk?.key).toHaveLength(16);
    }
    const meter = await readDevicePsk(system.objects.credentials, 'dtls-meter-6');
    expect(meter?.identity).toBe(METER_IDENTITY);
    expect(meter?.key.toString('hex')).toBe(METER_KEY_HEX);
  });

  it("a device with its manifest's own PSK identity and key bootstraps over DTLS as its thing name", async () => {
    const device = await open(METER_IDENTITY, Buffer.from(METER_KEY_HEX, 'hex'));
    expect((await device.register('dtls-meter-6', LINKS)).code).toBe(Code.CREATED);
    expect(lwm2m!.server.registration('dtls-meter-6')?.identity).toBe('dtls-meter-6');
    const stream = await untilEvent('device-dtls-meter-6', (e) => e.type === 'DeviceBootstrapped' || e.type === 'BootstrapFailed', 'the meter\'s bootstrap outcome');
    expect(stream.map((e) => e.type)).toEqual(['DeviceProvisioned', 'DeviceRegistered', 'BootstrapResultReported', 'DeviceBootstrapped']);
    expect(device.requests.some((r) => r.code === Method.POST && stringOptions(r, Option.URI_PATH).join('/') === '18830')).toBe(true);
  });

  it("the manifest's PSK key is in no event, workflow history or batch file (only in the encrypted credentials)", async () => {
    const needles = [METER_KEY_HEX, METER_KEY_HEX.toUpperCase(), Buffer.from(METER_KEY_HEX, 'hex').toString('base64')];
    const page = await system.events.readAll({ limit: 10_000 });
    expect(page.events.length).toBeGreaterThan(10);
    for (const event of page.events) for (const needle of needles) expect(JSON.stringify(event), event.type).not.toContain(needle);
    const history = JSON.stringify(await system.workflows.getExecutionHistory(BATCH_EXECUTION));
    expect(history).toContain('ValidateManifest');
    for (const needle of needles) expect(history).not.toContain(needle);
    const reports = await system.objects.reports.list('batches/b-dtls/');
    expect(reports.objects.map((o) => o.key)).toContain('batches/b-dtls/report.csv');
    for (const { key } of reports.objects) {
      const text = (await system.objects.reports.getBytes(key)).toString('utf8');
      for (const needle of needles) expect(text, key).not.toContain(needle);
    }
  });

  it('a device registered over DTLS gets its credentials as object 18830 writes through its session: DeviceBootstrapped', async () => {
    const device = await open('dtls-lamp-1', await keyOf('dtls-lamp-1'));
    const { code } = await device.register('dtls-lamp-1', LINKS);
    expect(code).toBe(Code.CREATED);
    expect(lwm2m!.server.registration('dtls-lamp-1')?.identity).toBe('dtls-lamp-1');

    const stream = await untilEvent('device-dtls-lamp-1', (e) => e.type === 'DeviceBootstrapped' || e.type === 'BootstrapFailed', 'the bootstrap outcome');
    expect(stream.map((e) => e.type)).toEqual(['DeviceProvisioned', 'DeviceRegistered', 'BootstrapResultReported', 'DeviceBootstrapped']);

    const create = device.requests.find((r) => r.code === Method.POST && stringOptions(r, Option.URI_PATH).join('/') === '18830');
    expect(create).toBeDefined();
    const written = new Map(decodePayload(112, create!.payload, '/18830').map((v) => [v.path, v.value]));
    const text = (path: string) => Buffer.from(written.get(path) as Uint8Array).toString('utf8');
    expect(written.get('/18830/0/0')).toBe(`mqtts://127.0.0.1:${system.mqtt.port}`);
    expect(text('/18830/0/8')).toBe(system.ca.certificatePem);
    const certificate = new X509Certificate(text('/18830/0/7'));
    expect(certificate.subject).toContain('CN=dtls-lamp-1');
    const fromKey = createPublicKey(createPrivateKey(text('/18830/0/9'))).export({ type: 'spki', format: 'der' });
    expect(Buffer.compare(fromKey, certificate.publicKey.export({ type: 'spki', format: 'der' }))).toBe(0);

    // What the device does next: connect to the broker with what it was given.
    const mqttDevice = connect({ port: system.mqtt.port, clientId: 'dtls-lamp-1', caPem: text('/18830/0/8'), identity: { certificatePem: text('/18830/0/7'), privateKeyPem: text('/18830/0/9') } as unknown as IssuedCertificate });
    await mqttDevice.connected;
    await end(mqttDevice.client);
  });

  it('the same kind of device with a wrong key gets no session, no registration and nothing delivered', async () => {
    const stats = () => lwm2m!.dtls.server.stats();
    const failedBefore = stats().handshakes.failed.bad_record_mac;
    const deliveriesBefore = lwm2m!.bridge!.stats().bootstrap.received;
    await expect(DtlsDevice.open(coapsPort(), 'dtls-lamp-2', Buffer.alloc(16, 0x5a))).rejects.toThrow('received fatal alert: bad_record_mac');
    expect(stats().handshakes.failed.bad_record_mac).toBe(failedBefore + 1);
    expect(lwm2m!.dtls.server.sessions().some((s) => s.identity.toString() === 'dtls-lamp-2')).toBe(false);
    expect(lwm2m!.server.registration('dtls-lamp-2')).toBeUndefined();
    expect(lwm2m!.bridge!.stats().bootstrap.received).toBe(deliveriesBefore);

    // The refusal is an event, in the device's stream: exactly one, and nothing else happened to the device.
    await untilEvent('device-dtls-lamp-2', (e) => e.type === 'DeviceAuthenticationFailed', 'the refusal event');
    await lwm2m!.authenticationFailures.settled();
    expect(await typesOf('dtls-lamp-2')).toEqual(['DeviceProvisioned', 'DeviceAuthenticationFailed']);
    const [failure] = await authFailuresOf('dtls-lamp-2');
    expect(failure).toMatchObject({ thingName: 'dtls-lamp-2', identity: 'dtls-lamp-2', reason: 'bad-psk', transport: 'coaps', bridgeId: 'dtls', attempts: 1 });
    expect(failure!['remote']).toMatchObject({ address: '127.0.0.1' });
    expect(failure!['firstAttemptAt']).toBe(failure!['lastAttemptAt']);
  });

  it('a flood of 50 wrong-key handshakes gets no session and a bounded number of events that count every attempt', async () => {
    const started = Date.now();
    for (let i = 0; i < 50; i++) {
      await expect(DtlsDevice.open(coapsPort(), 'dtls-lamp-5', Buffer.alloc(16, i))).rejects.toThrow('received fatal alert: bad_record_mac');
    }
    const floodMs = Date.now() - started;
    expect(lwm2m!.dtls.server.sessions().some((s) => s.identity.toString() === 'dtls-lamp-5')).toBe(false);
    expect(lwm2m!.server.registration('dtls-lamp-5')).toBeUndefined();
    // The first attempt is recorded at once; the others are summed up when their window ends.
    const stream = await untilStream('device-dtls-lamp-5', (events) => attemptsIn(events) >= 50, 'all 50 attempts counted in events');
    await lwm2m!.authenticationFailures.settled();
    expect(attemptsIn(await system.events.readStream('device-dtls-lamp-5'))).toBe(50);
    const failures = stream.filter((e) => e.type === 'DeviceAuthenticationFailed').map((e) => e.data as { reason: string; attempts: number });
    expect(failures[0]).toMatchObject({ reason: 'bad-psk', attempts: 1 });
    expect(failures.every((f) => f.reason === 'bad-psk')).toBe(true);
    // At most one event at the first attempt and one per window the flood lasted, whatever its rate.
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures.length).toBeLessThanOrEqual(2 + Math.ceil(floodMs / FAILURE_WINDOW_MS));
    expect(stream.filter((e) => e.type !== 'DeviceAuthenticationFailed').map((e) => e.type)).toEqual(['DeviceProvisioned']);
  });

  it("a Register over DTLS with another device's endpoint name is refused (4.03) and counted", async () => {
    const before = lwm2m!.server.stats().rejected['identity-mismatch'];
    const device = await open('dtls-lamp-3', await keyOf('dtls-lamp-3'));
    const { code } = await device.register('dtls-lamp-2', LINKS);
    expect(code).toBe(Code.FORBIDDEN);
    expect(lwm2m!.server.stats().rejected['identity-mismatch']).toBe(before + 1);
    expect(lwm2m!.server.registration('dtls-lamp-2')).toBeUndefined();
    // Recorded against the device that tried it, not the one it claimed to be.
    await untilEvent('device-dtls-lamp-3', (e) => e.type === 'DeviceAuthenticationFailed', 'the endpoint-mismatch event');
    expect(await authFailuresOf('dtls-lamp-3')).toEqual([
      expect.objectContaining({ thingName: 'dtls-lamp-3', identity: 'dtls-lamp-3', reason: 'endpoint-mismatch', endpoint: 'dtls-lamp-2', attempts: 1 }),
    ]);
    expect(await typesOf('dtls-lamp-2')).toEqual(['DeviceProvisioned', 'DeviceAuthenticationFailed']);
  });

  it('plain CoAP bootstrap in the default bootstrap setting ends in BootstrapRejected unauthenticated; the device is sent nothing', async () => {
    const device = await TestDevice.open(lwm2m!.plainCoap!.port);
    devices.push(device);
    expect((await device.register({ ep: 'plain-lamp-4', lwm2m: '1.1', links: LINKS })).code).toBe(Code.CREATED);
    const stream = await untilEvent('device-plain-lamp-4', (e) => e.type === 'BootstrapRejected', 'the refusal');
    expect(stream.find((e) => e.type === 'BootstrapRejected')?.data).toEqual({ endpoint: 'plain-lamp-4', thingName: 'plain-lamp-4', bridgeId: 'dtls', reason: 'unauthenticated' });
    expect(device.requests).toEqual([]);
  });

  it('deprovisioning ends the device\'s DTLS session and its PSK: the old key no longer gets a session', async () => {
    const key = await keyOf('dtls-lamp-1');
    const session = lwm2m!.dtls.server.sessions().find((s) => s.identity.toString() === 'dtls-lamp-1');
    expect(session).toBeDefined();
    const closed = once(session!, 'close');
    const run = await system.workflows.startExecution('deprovisioning', { thingName: 'dtls-lamp-1', reason: 'test' }, { name: 'd-dtls-lamp-1' });
    expect((await system.workflows.waitForCompletion(run)).status).toBe('SUCCEEDED');
    expect(await within(10_000, 'the session to close', closed)).toEqual(['local']);
    expect(await readDevicePsk(system.objects.credentials, 'dtls-lamp-1')).toBeUndefined();
    await expect(DtlsDevice.open(coapsPort(), 'dtls-lamp-1', key)).rejects.toThrow('received fatal alert: unknown_psk_identity');
    // The device is known (deprovisioned), so its stream keeps the refusal.
    await untilEvent('device-dtls-lamp-1', (e) => e.type === 'DeviceAuthenticationFailed', 'the unknown-identity event');
    expect(await authFailuresOf('dtls-lamp-1')).toEqual([expect.objectContaining({ thingName: 'dtls-lamp-1', reason: 'unknown-identity', attempts: 1 })]);
  });

  it('an identity no device ever had is refused with unknown_psk_identity and recorded in its own identity- stream', async () => {
    await expect(DtlsDevice.open(coapsPort(), 'nobody/42', Buffer.alloc(16, 1))).rejects.toThrow('received fatal alert: unknown_psk_identity');
    const stream = await untilEvent('identity-nobody/42', (e) => e.type === 'DeviceAuthenticationFailed', 'the stranger\'s refusal');
    expect(stream.map((e) => e.data)).toEqual([expect.objectContaining({ identity: 'nobody/42', reason: 'unknown-identity', attempts: 1 })]);
    expect(stream[0]!.data).not.toHaveProperty('thingName');
    expect(await system.events.streamVersion('device-nobody/42')).toBe(0);
  });
});

describe('the default configuration', () => {
  it('listens on coaps only: a plain CoAP datagram to FLEET_LWM2M_PORT finds nothing listening', async () => {
    const probe = createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
    const plainPort = probe.address().port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const dir = mkdtempSync(join(tmpdir(), 'e2e-dtls-default-'));
    let running: RunningLwm2mBridge | undefined;
    const defaults = await startEmbeddedSystem(
      loadConfig({ FLEET_DATA_DIR: dir, FLEET_HTTP_PORT: '0', FLEET_MQTT_PORT: '0', FLEET_LWM2M_COAPS_PORT: '0', FLEET_LWM2M_PORT: String(plainPort), FLEET_LOG_LEVEL: 'silent' }),
      { systemModules: [lwm2mBridgeModule({ bridgeId: 'defaults' }, (m) => (running = m))] },
    );
    try {
      expect(bootstrapEnv({}).allowPlainCoap).toBe(false);
      expect(running!.plainCoap).toBeUndefined();
      expect(Object.keys(running!.endpoints ?? {})).toEqual(['coaps']);
      const socket = createSocket('udp4');
      const refused = once(socket, 'error');
      socket.connect(plainPort, '127.0.0.1', () => socket.send(Buffer.from([0x40, Method.POST, 0x12, 0x34, 0xb2, 0x72, 0x64])));
      const [error] = (await within(5_000, 'ICMP port unreachable', refused)) as [NodeJS.ErrnoException];
      expect(error.code).toBe('ECONNREFUSED');
      socket.close();
    } finally {
      await defaults.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
