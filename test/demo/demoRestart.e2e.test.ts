import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { DirectoryPageSchema } from '../../functions/api/openapi/apiSchemas.ts';
import { DeviceStateViewSchema, DeviceHistoryPageSchema } from '../../functions/deviceViews/deviceViewSchemas.ts';
import { startDemoProcess, type DemoProcess } from './demoProcess.ts';

const DEVICES = ['demo-0', 'demo-1', 'demo-2', 'demo-3', 'demo-4'];
const dataDir = mkdtempSync(join(tmpdir(), 'demo-e2e-'));
// Every port ephemeral, so the test runs beside anything else; the banner must show the real ones.
const env = {
  FLEET_DATA_DIR: dataDir,
  FLEET_HTTP_PORT: '0',
  FLEET_MQTT_PORT: '0',
  FLEET_LWM2M_PORT: '0',
  FLEET_LWM2M_COAPS_PORT: '0',
  FLEET_LOG_LEVEL: 'warn',
};
const ARGS = ['--demo', '--devices', '5', '--summary-after', '12s'];
const STEP_MS = 60_000;
/** A status line: `[  12s]  provisioned 5/5  ...  data from 5/5  messages stored 10 (acknowledged 10)  alarms raised 1`. */
const STATUS = /^\[\s*\d+s\]\s+provisioned (\d+)\/5 .*data from (\d+)\/5\s+messages stored (\d+) \(acknowledged (\d+)\)/;
const running: DemoProcess[] = [];

afterAll(async () => {
  for (const p of running) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await p.exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

const start = (): DemoProcess => {
  const p = startDemoProcess(ARGS, env);
  running.push(p);
  return p;
};

/** What the banner says runs where; every port must be a real one. */
const bannerOf = async (p: DemoProcess) => {
  const url = (await p.waitForLine(/^ {2}HTTP API\s+(http:\/\/127\.0\.0\.1:(\d+))\s/, STEP_MS))[1]!;
  const coap = await p.waitForLine(/^ {2}LwM2M \(CoAP\)\s+coap:\/\/127\.0\.0\.1:(\d+)$/, STEP_MS);
  const mqtt = await p.waitForLine(/^ {2}MQTT \(TLS\)\s+mqtts:\/\/127\.0\.0\.1:(\d+)$/, STEP_MS);
  const viewer = (await p.waitForLine(/^ {2}viewer\s+(\S+)$/, STEP_MS))[1]!;
  for (const port of [new URL(url).port, coap[1], mqtt[1]]) expect(Number(port)).toBeGreaterThan(0);
  // The devices go to the port the banner shows.
  await p.waitForLine(new RegExp(`starting 5 simulated devices against coap://127\\.0\\.0\\.1:${coap[1]}:`), STEP_MS);
  return { url, viewer };
};

const get = async (url: string, token: string): Promise<unknown> => {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  expect(res.status, url).toBe(200);
  return res.json();
};

const api = (base: string, token: string, path: string): Promise<unknown> => get(`${base}${path}`, token);

const messagesOf = async (url: string, token: string, thing: string, at?: Date): Promise<number> => {
  const view = DeviceStateViewSchema.parse(await api(url, token, `/devices/${thing}/state${at ? `?at=${encodeURIComponent(at.toISOString())}` : ''}`));
  return view.state?.messages ?? 0;
};

const historyCount = async (url: string, token: string, thing: string, type: string): Promise<number> =>
  DeviceHistoryPageSchema.parse(await api(url, token, `/devices/${thing}/history?type=${type}&limit=50`)).items.length;

/** Polls a condition the system reaches on its own (projections trail the store by milliseconds), within a deadline. */
const eventually = async (check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await pause(200);
  }
};

describe('npm start -- --demo', () => {
  it('provisions, bootstraps and streams data; after a SIGKILL every acknowledged message is kept, nothing is provisioned again and the devices come back', { timeout: 300_000 }, async () => {
    // First run: a fresh data dir.
    const first = start();
    const one = await bannerOf(first);
    await first.waitForLine(/batch b-\S+ done: 5 provisioned, 0 updated, 0 unchanged/, STEP_MS);
    await first.waitForLine(/alarm raised on demo-3: TEMPERATURE_HIGH/, STEP_MS);
    // Data from all five, and a second round of messages in flight when the process dies.
    await first.waitForLine(STATUS, STEP_MS, (m) => m[2] === '5' && Number(m[4]) >= 10);

    // The summary's URLs work as printed, with the token it prints.
    await first.waitForLine(/^--- after \d+ s ---$/, STEP_MS);
    const token = (await first.waitForLine(/^ {2}export TOKEN=(\S+)$/, STEP_MS))[1]!;
    expect(token).toBe(one.viewer);
    const stateUrl = (await first.waitForLine(/^ {2}demo-3: state\s+curl .* '(http:\/\/[^']+)'$/, STEP_MS))[1]!;
    expect(DeviceStateViewSchema.parse(await get(stateUrl, token)).state?.messages).toBeGreaterThan(0);
    const listUrl = (await first.waitForLine(/^ {2}every device \(directory\)\s+curl .* '(http:\/\/[^']+)'$/, STEP_MS))[1]!;
    expect(listUrl.startsWith(one.url)).toBe(true);
    expect(DirectoryPageSchema.parse(await get(listUrl, token)).items.map((d) => d.thingName).sort()).toEqual(DEVICES);

    // Kill it mid-stream: what it printed as acknowledged must survive.
    await first.waitForLine(STATUS, STEP_MS, (m) => Number(m[4]) >= 15);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const killedAt = new Date();
    const printed = first.lines.flatMap((l) => {
      const m = STATUS.exec(l);
      return m ? [Number(m[4])] : [];
    });
    const acknowledged = Math.max(...printed);
    expect(acknowledged).toBeGreaterThanOrEqual(15);

    // Second run, same data dir.
    const second = start();
    const two = await bannerOf(second);
    await second.waitForLine(/batch b-\S+ done: 0 provisioned, 0 updated, 5 unchanged: .*nothing was provisioned again/, STEP_MS);
    await second.waitForLine(/5 of 5 devices kept the MQTT credentials of an earlier run/, STEP_MS);
    await second.waitForLine(STATUS, STEP_MS, (m) => m[2] === '5' && Number(m[3]) >= 10);

    // Every message acknowledged before the kill is in the store: the state as of the kill counts them.
    const before = new Map<string, number>();
    for (const thing of DEVICES) before.set(thing, await messagesOf(two.url, two.viewer, thing, killedAt));
    const kept = [...before.values()].reduce((a, b) => a + b, 0);
    expect(kept).toBeGreaterThanOrEqual(acknowledged);
    for (const thing of DEVICES) expect(before.get(thing), thing).toBeGreaterThanOrEqual(2);

    // Data keeps arriving from every device after the restart.
    for (const thing of DEVICES) {
      await eventually(async () => (await messagesOf(two.url, two.viewer, thing)) > before.get(thing)!, 30_000, `new data from ${thing}`);
    }
    // Provisioned and bootstrapped once each; no device asked for credentials again.
    for (const thing of DEVICES) {
      expect(await historyCount(two.url, two.viewer, thing, 'DeviceProvisioned'), thing).toBe(1);
      expect(await historyCount(two.url, two.viewer, thing, 'DeviceBootstrapped'), thing).toBe(1);
      expect(await historyCount(two.url, two.viewer, thing, 'BootstrapRejected'), thing).toBe(0);
    }

    // Ctrl-C stops the devices, then the system, and the process exits 0.
    second.child.kill('SIGINT');
    await second.waitForLine(/stopping 5 simulated devices \(they de-register\)/, STEP_MS);
    expect((await second.exited).code).toBe(0);
  });
});
