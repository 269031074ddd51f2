import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueBridgeCertificate } from '../../functions/registry/localCa.ts';
import { BridgeStatus } from '../../schemas/bridge/bridgeEvents.ts';
import { TestDevice } from '../lwm2m/server/testDevice.ts';
import { json, startBackend, within, type Backend } from './support.ts';

/**
 * functions/bridge/main.ts as the Fargate service runs it: its own process, configured from the
 * environment (PEMs from files), stopped with SIGTERM.
 */

const dir = mkdtempSync(join(tmpdir(), 'bridge-main-'));
let backend: Backend;
let child: ChildProcess | undefined;
let device: TestDevice | undefined;

const run = (env: Record<string, string>) => {
  const proc = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, '../../functions/bridge/main.ts')], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolveExit) => proc.once('exit', (code) => resolveExit(code)));
  const line = (pattern: RegExp) =>
    within(
      20_000,
      `the bridge process printing ${pattern}`,
      new Promise<RegExpMatchArray>((resolveLine, reject) => {
        const check = () => {
          const match = pattern.exec(stdout);
          if (match) resolveLine(match);
        };
        proc.stdout.on('data', check);
        void exited.then(() => reject(new Error(`the bridge process exited: ${stderr}`)));
        check();
      }),
    );
  return { proc, exited, line, output: () => ({ stdout, stderr }) };
};

beforeAll(async () => {
  backend = await startBackend();
});

afterAll(async () => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  await device?.close();
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the standalone bridge process', () => {
  it('starts from its environment, relays a registration, and publishes offline on SIGTERM', async () => {
    const cert = await issueBridgeCertificate(backend.ca, 'fargate-1');
    writeFileSync(join(dir, 'ca.pem'), backend.ca.certificatePem);
    writeFileSync(join(dir, 'key.pem'), cert.privateKeyPem, { mode: 0o600 });
    const bridge = run({
      FLEET_BRIDGE_ID: 'fargate-1',
      FLEET_BRIDGE_MQTT_URL: backend.url,
      FLEET_BRIDGE_CA_FILE: join(dir, 'ca.pem'),
      FLEET_BRIDGE_CERT_PEM: cert.certificatePem,
      FLEET_BRIDGE_KEY_FILE: join(dir, 'key.pem'),
      FLEET_LWM2M_PORT: '0',
      FLEET_BRIDGE_PUBLIC_ENDPOINTS: 'coap://lwm2m.example.net:5683',
    });
    child = bridge.proc;
    const [, port] = await bridge.line(/coap:\/\/127\.0\.0\.1:(\d+)/);
    const online = await backend.next('online', (m) => m.topic === 'dt/lwm2m-bridge/fargate-1/status');
    expect(BridgeStatus.parse(json(online))).toMatchObject({ status: 'online', lwm2mEndpoints: ['coap://lwm2m.example.net:5683'] });

    device = await TestDevice.open(Number(port));
    await device.register({ ep: 'field-unit-1', links: '</3/0>' });
    expect(json(await backend.nextEvent('fargate-1', 'register', 'field-unit-1'))).toMatchObject({ endpoint: 'field-unit-1' });

    const before = backend.received.length;
    bridge.proc.kill('SIGTERM');
    expect(await within(10_000, 'the bridge process exiting', bridge.exited)).toBe(0);
    const offline = await backend.next('offline', (m) => backend.received.indexOf(m) >= before && m.topic === 'dt/lwm2m-bridge/fargate-1/status');
    expect(BridgeStatus.parse(json(offline))).toMatchObject({ status: 'offline' });
  });

  it('refuses to start with a configuration it cannot use, naming the variable', async () => {
    const bridge = run({ FLEET_BRIDGE_ID: 'fargate-2', FLEET_BRIDGE_MQTT_URL: backend.url, FLEET_BRIDGE_CA_PEM: 'not a pem', FLEET_BRIDGE_CERT_PEM: 'x', FLEET_BRIDGE_KEY_PEM: 'y' });
    expect(await within(20_000, 'the bridge process exiting', bridge.exited)).toBe(1);
    expect(bridge.output().stderr).toMatch(/FLEET_BRIDGE_CA_PEM does not hold a PEM block/);
  });
});
