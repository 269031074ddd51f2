import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeDtlsFromEnv, BridgeConfigError } from '../../functions/bridge/bridgeEnv.ts';
import { startStandaloneBridge, type StandaloneBridge } from '../../functions/bridge/standaloneBridge.ts';
import { issueDevicePsk, readDevicePsk } from '../../functions/dtls/devicePsk.ts';
import { credentialKeys } from '../../functions/provisioning/batchObjects.ts';
import { openFolderObjectStore } from '../../functions/objectStore/folderObjectStore.ts';
import type { ObjectStore } from '../../functions/objectStore/objectStore.ts';
import { issueBridgeCertificate } from '../../functions/registry/localCa.ts';
import { DtlsDevice } from '../dtls/support/dtlsDevice.ts';
import { json, recordingLog, startBackend, type Backend } from './support.ts';

/**
 * The standalone (Fargate) bridge's composition over DTLS: the PSK of a device from a credentials
 * store (a folder here, the SSE-KMS bucket on AWS), node-dtls-client as the device.
 */

const dir = mkdtempSync(join(tmpdir(), 'bridge-dtls-'));
let backend: Backend;
let credentials: ObjectStore;
let running: StandaloneBridge;
const devices: DtlsDevice[] = [];

beforeAll(async () => {
  backend = await startBackend();
  credentials = await openFolderObjectStore({ root: join(dir, 'credentials'), area: 'credentials' });
  await issueDevicePsk({ credentials, thingName: 'field-unit-7' });
  const cert = await issueBridgeCertificate(backend.ca, 'fargate-dtls');
  running = await startStandaloneBridge(
    {
      bridgeId: 'fargate-dtls',
      mqtt: { url: backend.url, ca: backend.ca.certificatePem, cert: cert.certificatePem, key: cert.privateKeyPem },
      lwm2m: { host: '127.0.0.1', port: 0 },
      log: recordingLog().log,
    },
    { host: '127.0.0.1', port: 0, plainCoap: false, credentials },
  );
});

afterAll(async () => {
  for (const d of devices) await d.close();
  await running?.close();
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the standalone bridge over DTLS', () => {
  it('relays the registration of a device that handshakes with its stored PSK; plain CoAP is off', async () => {
    expect(running.coap).toBeUndefined();
    const key = (await readDevicePsk(credentials, 'field-unit-7'))!.key;
    const device = await DtlsDevice.open(running.coaps!.port, 'field-unit-7', key);
    devices.push(device);
    expect((await device.register('field-unit-7')).code).toBe(0x41);
    expect(json(await backend.nextEvent('fargate-dtls', 'register', 'field-unit-7'))).toMatchObject({ endpoint: 'field-unit-7', transport: 'coaps' });
  });

  it('gives a wrong key and an unknown identity no session', async () => {
    const failed = () => running.dtls!.server.stats().handshakes.failed;
    const before = failed();
    await expect(DtlsDevice.open(running.coaps!.port, 'field-unit-7', Buffer.alloc(16, 7))).rejects.toThrow();
    await expect(DtlsDevice.open(running.coaps!.port, 'nobody-here', Buffer.alloc(16, 7))).rejects.toThrow();
    expect(failed().bad_record_mac).toBe(before.bad_record_mac + 1);
    expect(failed().unknown_psk_identity).toBe(before.unknown_psk_identity + 1);
    // Only the first test's device holds a session.
    expect(running.dtls!.server.sessions().map((s) => s.identity.toString('utf8'))).toEqual(['field-unit-7']);
  });

  it('refuses a device whose PSK deprovisioning deleted, with no status source beside the store', async () => {
    await issueDevicePsk({ credentials, thingName: 'field-unit-8' });
    const key = (await readDevicePsk(credentials, 'field-unit-8'))!.key;
    await credentials.delete(credentialKeys.psk('field-unit-8'));
    const before = running.dtls!.server.stats().handshakes.failed.unknown_psk_identity;
    await expect(DtlsDevice.open(running.coaps!.port, 'field-unit-8', key)).rejects.toThrow();
    expect(running.dtls!.server.stats().handshakes.failed.unknown_psk_identity).toBe(before + 1);
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
