import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceStatus } from '../../events/projections/devices.ts';
import { bridgeDtlsFromEnv, BridgeConfigError } from '../../functions/bridge/bridgeEnv.ts';
import { startStandaloneBridge, type StandaloneBridge } from '../../functions/bridge/standaloneBridge.ts';
import type { InboundMessage } from '../../functions/broker/embeddedBroker.ts';
import { issueDevicePsk, readDevicePsk } from '../../functions/dtls/devicePsk.ts';
import { manualScheduler, type ManualScheduler } from '../../functions/lwm2m/scheduler.ts';
import { credentialKeys } from '../../functions/provisioning/batchObjects.ts';
import { openFolderObjectStore } from '../../functions/objectStore/folderObjectStore.ts';
import type { ObjectStore } from '../../functions/objectStore/objectStore.ts';
import { issueBridgeCertificate } from '../../functions/registry/localCa.ts';
import { BridgeAuthenticationFailed } from '../../schemas/bridge/authenticationMessages.ts';
import { topics } from '../../schemas/topics/topics.ts';
import { DtlsDevice } from '../dtls/support/dtlsDevice.ts';
import { json, recordingLog, startBackend, type Backend } from './support.ts';

/**
 * The standalone (Fargate) bridge's composition over DTLS: the PSK of a device from a credentials
 * store (a folder here, the SSE-KMS bucket on AWS), node-dtls-client as the device, the embedded
 * broker with the real bridge policy as AWS IoT Core. Refused peers become auth-failed messages,
 * rate limited by the embedded recorder's limiter, whose clock (only) the tests move by hand.
 */

const MINUTE = 60_000;
const dir = mkdtempSync(join(tmpdir(), 'bridge-dtls-'));
let backend: Backend;
let credentials: ObjectStore;
let running: StandaloneBridge;
let limiterClock: ManualScheduler;
const bridgeLog = recordingLog();
/** A second bridge with a status source, as main.ts gives it the Directory. */
let directoryBridge: StandaloneBridge;
const statuses = new Map<string, DeviceStatus>([
  ['dir-ok', 'bootstrapped'],
  ['dir-gone', 'deprovisioned'],
]);
const statusAsked: string[] = [];
const devices: DtlsDevice[] = [];

const startStandalone = async (bridgeId: string, dtls: Omit<Parameters<typeof startStandaloneBridge>[1] & object, 'host' | 'port' | 'plainCoap' | 'credentials'>, log = recordingLog().log) => {
  const cert = await issueBridgeCertificate(backend.ca, bridgeId);
  return startStandaloneBridge(
    { bridgeId, mqtt: { url: backend.url, ca: backend.ca.certificatePem, cert: cert.certificatePem, key: cert.privateKeyPem }, lwm2m: { host: '127.0.0.1', port: 0 }, log },
    { host: '127.0.0.1', port: 0, plainCoap: false, credentials, ...dtls },
  );
};

beforeAll(async () => {
  backend = await startBackend();
  credentials = await openFolderObjectStore({ root: join(dir, 'credentials'), area: 'credentials' });
  for (const thing of ['field-unit-7', 'dir-ok', 'dir-gone', 'dir-unknown']) await issueDevicePsk({ credentials, thingName: thing });
  limiterClock = manualScheduler();
  running = await startStandalone('fargate-dtls', { authenticationFailureLimits: { scheduler: limiterClock } }, bridgeLog.log);
  directoryBridge = await startStandalone('fargate-directory', {
    deviceStatus: (thingName) => {
      statusAsked.push(thingName);
      return Promise.resolve(statuses.get(thingName));
    },
  });
});

afterAll(async () => {
  for (const d of devices) await d.close();
  await running?.close();
  await directoryBridge?.close();
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

const keyOf = async (thing: string) => (await readDevicePsk(credentials, thing))!.key;

/** The auth-failed messages a bridge published, from index `after` of everything the broker received. */
const authFailed = (bridgeId: string, after = 0): BridgeAuthenticationFailed[] =>
  backend.received
    .slice(after)
    .filter((m: InboundMessage) => m.topic === topics.bridgeAuthFailed(bridgeId))
    .map((m) => BridgeAuthenticationFailed.parse(json(m)));

/** Every report the limiter let through is published (and, the broker acking after its handler ran, received) once this resolves. */
const settled = () => running.authenticationFailures!.settled();

describe('the standalone bridge over DTLS', () => {
  it('relays the registration of a device that handshakes with its stored PSK; plain CoAP is off', async () => {
    expect(running.coap).toBeUndefined();
    const device = await DtlsDevice.open(running.coaps!.port, 'field-unit-7', await keyOf('field-unit-7'));
    devices.push(device);
    expect((await device.register('field-unit-7')).code).toBe(0x41);
    expect(json(await backend.nextEvent('fargate-dtls', 'register', 'field-unit-7'))).toMatchObject({ endpoint: 'field-unit-7', transport: 'coaps' });
  });

  it('gives a wrong key no session and publishes exactly one auth-failed message naming the device, never the key; the log line stays', async () => {
    const mark = backend.received.length;
    const failed = () => running.dtls!.server.stats().handshakes.failed;
    const before = failed();
    await expect(DtlsDevice.open(running.coaps!.port, 'field-unit-7', Buffer.alloc(16, 7))).rejects.toThrow();
    expect(failed().bad_record_mac).toBe(before.bad_record_mac + 1);
    await settled();
    const messages = authFailed('fargate-dtls', mark);
    expect(messages).toEqual([
      {
        thingName: 'field-unit-7',
        identity: 'field-unit-7',
        reason: 'bad-psk',
        transport: 'coaps',
        remote: { address: '127.0.0.1', port: expect.any(Number) as number },
        attempts: 1,
        firstAttemptAt: '2026-01-01T00:00:00.000Z',
        lastAttemptAt: '2026-01-01T00:00:00.000Z',
      },
    ]);
    // Neither the wrong key nor the device's real one travels.
    const raw = backend.received.slice(mark).find((m) => m.topic === topics.bridgeAuthFailed('fargate-dtls'))!.payload;
    expect(raw.includes(Buffer.alloc(16, 7))).toBe(false);
    expect(raw.includes(await keyOf('field-unit-7'))).toBe(false);
    expect(bridgeLog.lines.some((l) => l.message === 'a DTLS handshake was refused' && l.details['identity'] === 'field-unit-7')).toBe(true);
    // Only the first test's device holds a session.
    expect(running.dtls!.server.sessions().map((s) => s.identity.toString('utf8'))).toEqual(['field-unit-7']);
  });

  it('reports an unknown identity without a device, once', async () => {
    const mark = backend.received.length;
    await expect(DtlsDevice.open(running.coaps!.port, 'nobody-here', Buffer.alloc(16, 7))).rejects.toThrow();
    await settled();
    expect(authFailed('fargate-dtls', mark)).toEqual([expect.objectContaining({ identity: 'nobody-here', reason: 'unknown-identity', attempts: 1 })]);
    expect(authFailed('fargate-dtls', mark)[0]).not.toHaveProperty('thingName');
  });

  it('50 wrong-key handshakes: bounded messages whose attempts sum to 50', async () => {
    // The windows the earlier tests opened close (no attempts in them), so this flood starts afresh.
    limiterClock.advance(MINUTE);
    const mark = backend.received.length;
    const before = running.dtls!.server.stats().handshakes.failed.bad_record_mac;
    const statsBefore = running.authenticationFailures!.stats();
    for (let i = 0; i < 50; i++) {
      await expect(DtlsDevice.open(running.coaps!.port, 'field-unit-7', Buffer.alloc(16, i + 1))).rejects.toThrow();
      limiterClock.advance(100);
    }
    expect(running.dtls!.server.stats().handshakes.failed.bad_record_mac).toBe(before + 50);
    await settled();
    // The first attempt at once; the other 49 wait for the window's end.
    expect(authFailed('fargate-dtls', mark).map((m) => m.attempts)).toEqual([1]);
    limiterClock.advance(MINUTE);
    await settled();
    const messages = authFailed('fargate-dtls', mark);
    expect(messages.length).toBeLessThanOrEqual(2);
    expect(messages.reduce((sum, m) => sum + m.attempts, 0)).toBe(50);
    expect(messages[1]).toMatchObject({ thingName: 'field-unit-7', reason: 'bad-psk', attempts: 49, firstAttemptAt: '2026-01-01T00:01:00.100Z', lastAttemptAt: '2026-01-01T00:01:04.900Z' });
    expect(running.authenticationFailures!.stats()).toMatchObject({ attempts: statsBefore.attempts + 50, recorded: statsBefore.recorded + 2, dropped: 0, sinkFailures: 0 });
  });

  it('reports a session that registers under another device’s endpoint name as that session’s device', async () => {
    const mark = backend.received.length;
    const device = await DtlsDevice.open(running.coaps!.port, 'field-unit-7', await keyOf('field-unit-7'));
    devices.push(device);
    expect((await device.register('dir-ok')).code).toBe(0x83);
    await settled();
    expect(authFailed('fargate-dtls', mark)).toEqual([expect.objectContaining({ thingName: 'field-unit-7', identity: 'field-unit-7', reason: 'endpoint-mismatch', endpoint: 'dir-ok', attempts: 1 })]);
  });

  it('refuses a device whose PSK deprovisioning deleted, with no status source beside the store', async () => {
    await issueDevicePsk({ credentials, thingName: 'field-unit-8' });
    const key = await keyOf('field-unit-8');
    await credentials.delete(credentialKeys.psk('field-unit-8'));
    const before = running.dtls!.server.stats().handshakes.failed.unknown_psk_identity;
    await expect(DtlsDevice.open(running.coaps!.port, 'field-unit-8', key)).rejects.toThrow();
    expect(running.dtls!.server.stats().handshakes.failed.unknown_psk_identity).toBe(before + 1);
  });

  it('without a status source, takes any device whose PSK exists (today’s behaviour)', async () => {
    const device = await DtlsDevice.open(running.coaps!.port, 'dir-gone', await keyOf('dir-gone'));
    devices.push(device);
    expect((await device.register('dir-gone')).code).toBe(0x41);
  });

  it('on close, publishes the sum of the open windows before its offline status', async () => {
    const closing = await startStandalone('fargate-closing', {});
    const mark = backend.received.length;
    for (let i = 0; i < 3; i++) await expect(DtlsDevice.open(closing.coaps!.port, 'ghost-3', Buffer.alloc(16, 1))).rejects.toThrow();
    await closing.close();
    // Its `online` may arrive after the mark: only what close() sends is compared.
    const mine = backend.received.slice(mark).filter((m) => m.topic.startsWith('dt/lwm2m-bridge/fargate-closing/') && json(m)['status'] !== 'online');
    expect(mine.map((m) => [m.topic.split('/')[3], m.topic.endsWith('status') ? json(m)['status'] : json(m)['attempts']])).toEqual([
      ['auth-failed', 1],
      ['auth-failed', 2],
      ['status', 'offline'],
    ]);
  });

  it('reads its DTLS settings from the environment, plain CoAP off unless asked', () => {
    expect(bridgeDtlsFromEnv({})).toBeUndefined();
    expect(bridgeDtlsFromEnv({ LWM2M_COAPS_PORT: '5684', CREDENTIALS_BUCKET: 'creds-bucket' })).toEqual({
      host: '127.0.0.1',
      port: 5684,
      plainCoap: false,
      credentialsBucket: 'creds-bucket',
    });
    expect(bridgeDtlsFromEnv({ LWM2M_COAPS_PORT: '5684', CREDENTIALS_BUCKET: 'b-1', LWM2M_PLAIN_COAP: 'true' })?.plainCoap).toBe(true);
    expect(() => bridgeDtlsFromEnv({ LWM2M_COAPS_PORT: '5684' })).toThrow(/CREDENTIALS_BUCKET/);
    expect(() => bridgeDtlsFromEnv({ LWM2M_COAPS_PORT: 'x', CREDENTIALS_BUCKET: 'b-1' })).toThrow(BridgeConfigError);
    expect(() => bridgeDtlsFromEnv({ LWM2M_PLAIN_COAP: 'false' })).toThrow(/LWM2M_COAPS_PORT/);
  });
});

describe('the standalone bridge with a device status source (the Directory on AWS)', () => {
  it('gives a session to a device the source says is in the fleet', async () => {
    const device = await DtlsDevice.open(directoryBridge.coaps!.port, 'dir-ok', await keyOf('dir-ok'));
    devices.push(device);
    expect((await device.register('dir-ok')).code).toBe(0x41);
    expect(statusAsked).toContain('dir-ok');
  });

  it.each([
    ['deprovisioned', 'dir-gone'],
    ['never provisioned (a PSK without a device)', 'dir-unknown'],
  ])('refuses a device that is %s though its PSK exists, and reports the identity', async (_label, thing) => {
    const mark = backend.received.length;
    const before = directoryBridge.dtls!.server.stats().handshakes.failed.unknown_psk_identity;
    await expect(DtlsDevice.open(directoryBridge.coaps!.port, thing, await keyOf(thing))).rejects.toThrow();
    expect(directoryBridge.dtls!.server.stats().handshakes.failed.unknown_psk_identity).toBe(before + 1);
    expect(statusAsked).toContain(thing);
    await directoryBridge.authenticationFailures!.settled();
    // The bridge does not name the device: the backend decides whether the fleet knows it.
    expect(authFailed('fargate-directory', mark)).toEqual([expect.objectContaining({ identity: thing, reason: 'unknown-identity', attempts: 1 })]);
    expect(authFailed('fargate-directory', mark)[0]).not.toHaveProperty('thingName');
  });
});
