/**
 * The simulated LwM2M devices of the lwm2m benchmark (functions/simulator), in their own process
 * so that the server and system being measured have their event loop to themselves, as they
 * would in the field: a device's CoAP handling and its TLS handshake with the broker are not the
 * server's work.
 *
 * Protocol: one JSON object per line, both ways. Every time is epoch milliseconds with a fraction
 * (performance.timeOrigin + performance.now()), comparable with the parent's on the same machine.
 *
 * in:  { op: 'open', group, names, server: { address, port } }  → { type: 'opened', group }
 *      { op: 'register', group, window }  starts the group `window` at a time, each waiting for its
 *        2.01 → { type: 'registering', group, at }, then per device { type: 'registered', name, at },
 *        then { type: 'all-registered', group, ms }; later, per device, { type: 'mqtt-connected',
 *        name, at } once bootstrapped, and { type: 'mqtt-error', name, message } on the way
 *      { op: 'close', group }  → { type: 'closed', group }
 * out on any failure: { type: 'failed', message }, and the process exits 1. stdin closing ends it.
 */
import { createInterface } from 'node:readline';
import { SimulatedDevice } from '../../functions/simulator/simulatedDevice.ts';

export type FleetRequest =
  | { readonly op: 'open'; readonly group: string; readonly names: readonly string[]; readonly server: { readonly address: string; readonly port: number } }
  | { readonly op: 'register'; readonly group: string; readonly window: number }
  | { readonly op: 'close'; readonly group: string };

export type FleetReport =
  | { readonly type: 'opened' | 'closed'; readonly group: string }
  | { readonly type: 'registering'; readonly group: string; readonly at: number }
  | { readonly type: 'all-registered'; readonly group: string; readonly ms: number }
  | { readonly type: 'registered' | 'mqtt-connected'; readonly name: string; readonly at: number }
  | { readonly type: 'mqtt-error'; readonly name: string; readonly message: string }
  | { readonly type: 'failed'; readonly message: string };

/** Sockets are bound this many at a time: quick, without asking the OS for thousands at once. */
const OPEN_BATCH = 256;

const now = () => performance.timeOrigin + performance.now();
const report = (r: FleetReport) => process.stdout.write(JSON.stringify(r) + '\n');
const groups = new Map<string, SimulatedDevice[]>();

const open = async (group: string, names: readonly string[], server: { address: string; port: number }) => {
  const devices: SimulatedDevice[] = [];
  groups.set(group, devices);
  for (let first = 0; first < names.length; first += OPEN_BATCH) {
    const batch = names.slice(first, first + OPEN_BATCH);
    // No sampling or periodic publishing: the bench measures the exchanges alone (a device still publishes its state once on connecting).
    devices.push(...(await Promise.all(batch.map((endpoint) => SimulatedDevice.open({ endpoint, server, sampleEveryMs: 0, publishEveryMs: 0, lifetimeSeconds: 3600 })))));
  }
  for (const device of devices) {
    const name = device.endpoint;
    device.events.once('registered', () => report({ type: 'registered', name, at: now() }));
    device.events.once('mqtt-connected', () => report({ type: 'mqtt-connected', name, at: now() }));
    device.events.on('mqtt-error', ({ message }) => report({ type: 'mqtt-error', name, message }));
  }
};

const register = async (group: string, window: number) => {
  const devices = groupOf(group);
  let next = 0;
  const start = now();
  report({ type: 'registering', group, at: start });
  await Promise.all(
    Array.from({ length: window }, async () => {
      while (next < devices.length) {
        const device = devices[next++]!;
        const registered = new Promise<void>((resolve, reject) => {
          device.events.once('registered', () => resolve());
          device.events.once('registration-failed', ({ reason }) => reject(new Error(`${device.endpoint} did not register: ${reason}`)));
        });
        device.start();
        await registered;
      }
    }),
  );
  report({ type: 'all-registered', group, ms: now() - start });
};

const groupOf = (group: string) => {
  const devices = groups.get(group);
  if (!devices) throw new Error(`no group "${group}" was opened: send { op: 'open' } first`);
  return devices;
};

const close = async (group: string) => {
  await Promise.all((groups.get(group) ?? []).map((d) => d.stop({ deregister: false })));
  groups.delete(group);
};

const fail = (error: unknown) => {
  report({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
};

const main = async () => {
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === '') continue;
    const request = JSON.parse(line) as FleetRequest;
    if (request.op === 'open') {
      await open(request.group, request.names, request.server);
      report({ type: 'opened', group: request.group });
    } else if (request.op === 'register') {
      // Not awaited: the parent keeps talking while the group registers (it is told by 'all-registered').
      register(request.group, request.window).catch(fail);
    } else if (request.op === 'close') {
      await close(request.group);
      report({ type: 'closed', group: request.group });
    } else {
      throw new Error(`unknown request ${line.slice(0, 200)}: expected op open, register or close`);
    }
  }
  for (const group of [...groups.keys()]) await close(group);
  // mqtt.js and dgram handles may linger a moment after closing; the parent waits for this exit.
  process.exit(0);
};

main().catch(fail);
