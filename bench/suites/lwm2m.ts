import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { startLwm2mServer, type Lwm2mServer } from '../../functions/lwm2m/lwm2mServer.ts';
import { SimulatedDevice } from '../../functions/simulator/simulatedDevice.ts';
import { rate, timed, type BenchResult, type BenchSuite } from '../lib/report.ts';
import { quantile } from '../lib/stats.ts';

/**
 * The LwM2M server with simulated devices (functions/simulator), every device on its own UDP
 * socket, all in this process:
 *
 * - registrations/s: N devices register, W at a time (each waits for its 2.01);
 * - command round trip: server.read(ep, '/3303/0/5700') one after another over the devices,
 *   p50 and p99 from the API call to its resolution.
 *
 * Beside each, the same shape of traffic as raw UDP on loopback in the same run: W sockets doing
 * request/response round trips of a Register's size against an echo socket (the floor under any
 * CoAP exchange), and one socket's sequential round trips for latency.
 */

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
/** About the size of a Register with its link-format body. */
const REGISTER_SIZE = 160;
/** Registered first and not measured. */
const WARMUP_DEVICES = 100;
/** About the size of a read of one resource. */
const READ_SIZE = 24;

const bindSocket = async (): Promise<Socket> => {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return socket;
};

/** An echo socket: what a server that does nothing but answer costs. */
const echoServer = async () => {
  const socket = await bindSocket();
  socket.on('message', (bytes, from) => socket.send(bytes, from.port, from.address));
  return { port: socket.address().port, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
};

const roundTrip = (socket: Socket, port: number, payload: Buffer): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('a raw UDP round trip was lost on loopback; the baseline is void')), 2000);
    socket.once('message', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.send(payload, port, '127.0.0.1');
  });

/** `total` round trips over `total` sockets, `window` in flight, as the registrations run. */
const rawRoundTripsPerSecond = async (total: number, window: number): Promise<number> => {
  const echo = await echoServer();
  const sockets = await Promise.all(Array.from({ length: total }, bindSocket));
  const payload = Buffer.alloc(REGISTER_SIZE, 0x41);
  let next = 0;
  const { ms } = await timed(() =>
    Promise.all(
      Array.from({ length: window }, async () => {
        while (next < total) await roundTrip(sockets[next++]!, echo.port, payload);
      }),
    ),
  );
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  await echo.close();
  return rate(total, ms);
};

const rawLatencies = async (count: number): Promise<number[]> => {
  const echo = await echoServer();
  const socket = await bindSocket();
  const payload = Buffer.alloc(READ_SIZE, 0x41);
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) latencies.push((await timed(() => roundTrip(socket, echo.port, payload))).ms);
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  await echo.close();
  return latencies;
};

const registerAll = async (server: Lwm2mServer, devices: readonly SimulatedDevice[], window: number): Promise<number> => {
  let next = 0;
  const { ms } = await timed(() =>
    Promise.all(
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
    ),
  );
  const missing = devices.filter((d) => server.registration(d.endpoint) === undefined);
  if (missing.length > 0) throw new Error(`the server does not hold ${missing.length} of ${devices.length} registrations (${missing[0]!.endpoint} ...)`);
  return rate(devices.length, ms);
};

export const lwm2mSuite: BenchSuite = {
  name: 'lwm2m',
  description: 'simulated devices against the LwM2M server: registrations/s and read round trips p50/p99, beside raw UDP round trips on loopback',
  async run({ quick, log }) {
    const deviceCount = quick ? 100 : 1000;
    const window = 32;
    const reads = quick ? 300 : 3000;
    const results: BenchResult[] = [];
    const server = await startLwm2mServer({ port: 0, log: quiet, registrationRateLimit: { burst: 1_000_000, perSecond: 1_000_000 } });
    const devices: SimulatedDevice[] = [];
    const warmup: SimulatedDevice[] = [];
    // No sampling or publishing: the bench measures the LwM2M exchanges alone.
    const open = (endpoint: string) => SimulatedDevice.open({ endpoint, server: server.address(), sampleEveryMs: 0, publishEveryMs: 0, lifetimeSeconds: 3600 });
    try {
      for (let i = 0; i < WARMUP_DEVICES; i++) warmup.push(await open(`warmup-${i}`));
      for (let i = 0; i < deviceCount; i++) devices.push(await open(`bench-${i}`));

      // A first round, not measured, so the JIT has compiled both sides before the clock runs.
      await registerAll(server, warmup, window);
      log(`registrations: ${deviceCount} devices, ${window} at a time`);
      const registrations = await registerAll(server, devices, window);
      log('baseline: raw UDP round trips, same count and window');
      const raw = await rawRoundTripsPerSecond(deviceCount, window);
      results.push({
        metric: `registrations (${deviceCount} devices, ${window} in flight)`,
        value: registrations,
        unit: 'registrations/s',
        baseline: `raw UDP request/response, ${REGISTER_SIZE} B, same window`,
        baselineValue: raw,
        ratio: registrations / raw,
      });

      log(`reads: ${reads} sequential server.read('/3303/0/5700') over the devices`);
      const latencies: number[] = [];
      for (let i = 0; i < reads; i++) {
        const endpoint = devices[i % devices.length]!.endpoint;
        latencies.push((await timed(() => server.read(endpoint, '/3303/0/5700'))).ms);
      }
      log('baseline: raw UDP round trip latency');
      const rawLatency = await rawLatencies(reads);
      for (const q of [0.5, 0.99]) {
        const value = quantile(latencies, q);
        const baselineValue = quantile(rawLatency, q);
        results.push({
          metric: `read round trip through the server API p${q * 100}`,
          value,
          unit: 'ms',
          baseline: `raw UDP round trip p${q * 100}`,
          baselineValue,
          ratio: baselineValue / value,
        });
      }
    } finally {
      await Promise.all([...warmup, ...devices].map((d) => d.stop({ deregister: false })));
      await server.close();
    }
    return results;
  },
};
