import { EventEmitter } from 'node:events';
import { manualScheduler, type ManualScheduler } from '../../functions/lwm2m/scheduler.ts';
import { openUdpTransport, type DatagramTransport } from '../../functions/lwm2m/transport.ts';
import { startLwm2mServer, type Lwm2mServer, type Lwm2mServerOptions } from '../../functions/lwm2m/lwm2mServer.ts';
import type { Lwm2mLog } from '../../functions/lwm2m/log.ts';
import { SimulatedDevice, type SimulatedDeviceOptions } from '../../functions/simulator/simulatedDevice.ts';

/** Gives a promise its own deadline, so a test that would hang fails with a reason instead. */
export const within = <T>(ms: number, what: string, promise: Promise<T>): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing happened within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
};

/** The next event of that name (the listener removes itself), with a deadline. */
export const nextEvent = <T>(emitter: { once(name: string, listener: (value: T) => void): unknown }, name: string, ms = 5_000): Promise<T> =>
  within(ms, `waiting for '${name}'`, new Promise<T>((resolve) => emitter.once(name, resolve)));

/** The first event of that name whose value passes `accept`. */
export const eventWhere = <T>(
  emitter: { on(name: string, listener: (value: T) => void): unknown; off(name: string, listener: (value: T) => void): unknown },
  name: string,
  accept: (value: T) => boolean,
  ms = 5_000,
): Promise<T> =>
  within(
    ms,
    `waiting for a matching '${name}'`,
    new Promise<T>((resolve) => {
      const listener = (value: T) => {
        if (!accept(value)) return;
        emitter.off(name, listener);
        resolve(value);
      };
      emitter.on(name, listener);
    }),
  );

export const silentLog: Lwm2mLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Short CoAP timing: on loopback nothing is lost, and a test that goes wrong fails fast. */
export const FAST_TIMING = { ackTimeoutMs: 200, ackRandomFactor: 1, maxRetransmit: 3, maxLatencyMs: 1000 } as const;

/** A real LwM2M server on an ephemeral loopback port. */
export const startServer = (overrides: Lwm2mServerOptions = {}): Promise<Lwm2mServer> =>
  startLwm2mServer({ port: 0, log: silentLog, timing: FAST_TIMING, random: () => 0, registrationRateLimit: { burst: 10_000, perSecond: 10_000 }, ...overrides });

/** A device on its own socket, on a clock the test moves, talking to `server`. */
export const openDevice = async (
  server: Lwm2mServer,
  endpoint: string,
  overrides: Partial<SimulatedDeviceOptions> = {},
): Promise<{ device: SimulatedDevice; clock: ManualScheduler }> => {
  const clock = (overrides.scheduler as ManualScheduler | undefined) ?? manualScheduler();
  const device = await SimulatedDevice.open({
    endpoint,
    server: server.address(),
    scheduler: clock,
    timing: FAST_TIMING,
    sampleEveryMs: 0,
    publishEveryMs: 0,
    ...overrides,
  });
  return { device, clock };
};

export type { ManualScheduler };

/**
 * A real UDP transport with a tap: `arrivals` emits 'datagram' after the device has handled each
 * one, so a test can wait for "the device has seen it" instead of sleeping.
 */
export const tappedUdpTransport = async (): Promise<{ transport: DatagramTransport; arrivals: EventEmitter }> => {
  const inner = await openUdpTransport({ port: 0 });
  const arrivals = new EventEmitter();
  return {
    arrivals,
    transport: {
      send: (bytes, to) => inner.send(bytes, to),
      onDatagram: (receiver) =>
        inner.onDatagram((datagram) => {
          receiver(datagram);
          arrivals.emit('datagram', datagram);
        }),
      localAddress: () => inner.localAddress(),
      close: () => inner.close(),
    },
  };
};
