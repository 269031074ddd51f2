import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDeviceFlash } from '../../functions/demo/deviceFlash.ts';
import { CREATED, restoreCredentials, tapTransport } from '../../functions/demo/flashRestore.ts';
import type { Lwm2mLog } from '../../functions/lwm2m/log.ts';
import { startLwm2mServer, type Lwm2mServer } from '../../functions/lwm2m/lwm2mServer.ts';
import { openUdpTransport } from '../../functions/lwm2m/transport.ts';
import { createCa, issueDeviceCertificate } from '../../functions/registry/localCa.ts';
import { SimulatedDevice } from '../../functions/simulator/simulatedDevice.ts';
import type { ResourceValue } from '../../schemas/lwm2m/index.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'demo-flash-'));
const silent: Lwm2mLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
const pem = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
let server: Lwm2mServer;
let saved: ResourceValue[];
const opened: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  server = await startLwm2mServer({ port: 0, log: silent, registrationRateLimit: { burst: 100, perSecond: 100 } });
  const ca = await createCa();
  const issued = await issueDeviceCertificate(ca, 'demo-7');
  // What the bridge's bootstrap leaves in /18830/0 (functions/bridge/bootstrapWriter.ts), broker on a port that has since moved.
  saved = [
    { path: '/18830/0/0', type: 'String', value: 'mqtts://127.0.0.1:1' },
    { path: '/18830/0/1', type: 'String', value: 'demo-7' },
    { path: '/18830/0/2', type: 'Boolean', value: true },
    { path: '/18830/0/3', type: 'Unsigned Integer', value: 60 },
    { path: '/18830/0/6', type: 'Integer', value: 2 },
    { path: '/18830/0/7', type: 'Opaque', value: pem(issued.certificatePem) },
    { path: '/18830/0/8', type: 'Opaque', value: pem(ca.certificatePem) },
    { path: '/18830/0/9', type: 'Opaque', value: pem(issued.privateKeyPem) },
  ];
});

afterAll(async () => {
  for (const o of opened) await o.stop();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A simulated device on a tapped socket, not started. */
const openTapped = async (endpoint: string) => {
  const transport = tapTransport(await openUdpTransport({ host: '127.0.0.1', port: 0 }));
  const device = await SimulatedDevice.open({ endpoint, server: server.address(), transport, sampleEveryMs: 0, publishEveryMs: 0, mqtt: { reconnectMs: 0 } });
  opened.push({
    stop: async () => {
      await device.stop({ deregister: false });
      await transport.close();
    },
  });
  return { device, transport };
};

describe('the demo device flash', () => {
  it('keeps a device credentials in a file only its owner can read, and gives them back as they were', () => {
    const problems: string[] = [];
    const flash = openDeviceFlash(dataDir, (m) => problems.push(m));
    flash.save('demo-7', saved);
    expect(statSync(flash.dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(flash.dir, 'demo-7.json')).mode & 0o777).toBe(0o600);
    expect(openDeviceFlash(dataDir, (m) => problems.push(m)).load('demo-7')).toEqual(saved);
    expect(flash.load('demo-8')).toBeUndefined();
    expect(problems).toEqual([]);
  });

  it('says what is wrong with a damaged or misplaced file, and starts the device without it', () => {
    const problems: string[] = [];
    const flash = openDeviceFlash(dataDir, (m) => problems.push(m));
    writeFileSync(join(flash.dir, 'demo-9.json'), '{"version": 1, "thingName": "demo-9", "savedAt": "x", "resou');
    expect(flash.load('demo-9')).toBeUndefined();
    expect(problems.at(-1)).toMatch(/demo-9\.json is not a saved 18830 instance of demo-9 \(not JSON\).*Delete the file/);
    writeFileSync(join(flash.dir, 'demo-10.json'), readFileSync(join(flash.dir, 'demo-7.json')));
    expect(flash.load('demo-10')).toBeUndefined();
    expect(problems.at(-1)).toContain("it is demo-7's");
    writeFileSync(join(flash.dir, 'demo-11.json'), JSON.stringify({ version: 1, thingName: 'demo-11', savedAt: 'x', resources: [{ path: '/3/0/1', type: 'String', value: 'x' }] }));
    expect(flash.load('demo-11')).toBeUndefined();
    expect(problems.at(-1)).toContain('a resource of /18830/0');
  });
});

describe('restoreCredentials', () => {
  it('puts saved credentials back into a device before it starts, without a datagram to the server, pointing at the broker where it is now', async () => {
    const { device, transport } = await openTapped('demo-7');
    const before = server.stats().datagramsReceived;
    expect(await restoreCredentials(transport, server.address(), saved, 'mqtts://127.0.0.1:28883')).toBe(CREATED);
    expect(server.stats().datagramsReceived).toBe(before);
    const values = new Map(device.valuesAt('/18830/0').map((v) => [v.path, v.value]));
    expect(values.get('/18830/0/0')).toBe('mqtts://127.0.0.1:28883');
    expect(values.get('/18830/0/1')).toBe('demo-7');
    expect(Buffer.from(values.get('/18830/0/9') as Uint8Array).toString('utf8')).toContain('PRIVATE KEY');

    // Registering, it shows the instance: the backend sees a device that kept its credentials and starts no bootstrap.
    const registered = new Promise<void>((resolve) => device.events.once('registered', () => resolve()));
    const bootstrapped = new Promise<string>((resolve) => device.events.once('bootstrapped', ({ uri }) => resolve(uri)));
    device.start();
    await registered;
    expect(await bootstrapped).toBe('mqtts://127.0.0.1:28883');
    const links = server.registration('demo-7')?.objectLinks.objects.find((o) => o.objectId === 18830);
    expect(links?.instances).toEqual([0]);
  });

  it('reports the code of a device that refuses what was saved', async () => {
    const { device, transport } = await openTapped('demo-12');
    // Security Mode 5 does not exist: the device's own check refuses it.
    const broken = saved.map((v): ResourceValue => (v.path === '/18830/0/6' ? { path: v.path, type: 'Integer', value: 5 } : v));
    expect(await restoreCredentials(transport, server.address(), broken, 'mqtts://127.0.0.1:28883')).toBe('4.00');
    expect(device.valuesAt('/18830/0')).toEqual([]);
  });
});
