import { systemScheduler, type Scheduler, type TimerHandle } from '../lwm2m/scheduler.ts';
import type { PeerAddress } from '../lwm2m/transport.ts';
import { SimulatedDevice, type SimulatedDeviceOptions } from './simulatedDevice.ts';

/**
 * Many simulated devices in one process, each on its own UDP socket, started at a steady rate so
 * the server sees a ramp rather than a wall, and counted as they register, bootstrap, connect
 * and publish.
 */

export interface FleetOptions {
  readonly devices: number;
  /** Endpoint names are `${prefix}${index}`. */
  readonly prefix: string;
  /** Index of the first device. Default 0. */
  readonly first?: number;
  readonly server: PeerAddress;
  /** Local address for the devices' sockets. Default 127.0.0.1. */
  readonly bindHost?: string;
  /** Devices started per second; 0 starts them all at once. Default 50. */
  readonly startsPerSecond?: number;
  readonly scheduler?: Scheduler;
  /** Options every device gets (endpoint, server, scheduler and bindHost are the fleet's). */
  readonly device?: Omit<Partial<SimulatedDeviceOptions>, 'endpoint' | 'server' | 'scheduler' | 'bindHost' | 'transport'>;
}

export interface FleetCounters {
  readonly devices: number;
  readonly started: number;
  /** Registered now. */
  readonly registered: number;
  /** Register operations answered 2.01, all devices, all time. */
  readonly registrations: number;
  /** Of those, registrations again (after a 4.04, a failure or a reboot). */
  readonly reregistrations: number;
  readonly updates: number;
  readonly registrationFailures: number;
  readonly bootstrapped: number;
  /** Connected to MQTT now. */
  readonly mqttConnected: number;
  readonly mqttErrors: number;
  readonly statesPublished: number;
  readonly alarmsPublished: number;
  /** Requests from the server answered (read, write, execute ...). */
  readonly operations: number;
  readonly notifications: number;
  readonly sends: number;
  /** From start() until every device had registered once; undefined until then. */
  readonly allRegisteredAfterMs: number | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const OPEN_BATCH = 256;

export class Fleet {
  private readonly counts: Mutable<Omit<FleetCounters, 'devices' | 'registered' | 'mqttConnected' | 'started' | 'allRegisteredAfterMs'>> = {
    registrations: 0,
    reregistrations: 0,
    updates: 0,
    registrationFailures: 0,
    bootstrapped: 0,
    mqttErrors: 0,
    statesPublished: 0,
    alarmsPublished: 0,
    operations: 0,
    notifications: 0,
    sends: 0,
  };
  private started = 0;
  private startedAt: number | undefined;
  private allRegisteredAfterMs: number | undefined;
  private readonly everRegistered = new Set<string>();
  private readonly timers: TimerHandle[] = [];
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly devices: readonly SimulatedDevice[],
    private readonly scheduler: Scheduler,
    private readonly startsPerSecond: number,
  ) {
    for (const device of devices) this.count(device);
  }

  /** Opens every device's socket (nothing is sent yet). */
  static async open(options: FleetOptions): Promise<Fleet> {
    if (!Number.isInteger(options.devices) || options.devices < 1) throw new Error(`devices must be a whole number of at least 1, not ${options.devices}`);
    const scheduler = options.scheduler ?? systemScheduler;
    const first = options.first ?? 0;
    const devices: SimulatedDevice[] = [];
    const open = (i: number) =>
      SimulatedDevice.open({
        ...options.device,
        endpoint: `${options.prefix}${first + i}`,
        server: options.server,
        scheduler,
        bindHost: options.bindHost ?? '127.0.0.1',
      }).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        const hint = /EMFILE|ENFILE/.test(message) ? ' (too many open files: raise `ulimit -n`, or run fewer devices per process)' : '';
        throw new Error(`cannot open device ${first + i} of ${options.devices}: ${message}${hint}`, { cause: error });
      });
    // Sockets are bound a batch at a time: quick, without asking the OS for thousands at once.
    for (let start = 0; start < options.devices; start += OPEN_BATCH) {
      const batch = await Promise.allSettled(Array.from({ length: Math.min(OPEN_BATCH, options.devices - start) }, (_, k) => open(start + k)));
      for (const outcome of batch) if (outcome.status === 'fulfilled') devices.push(outcome.value);
      const failed = batch.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      if (failed !== undefined) {
        await Promise.all(devices.map((d) => d.stop({ deregister: false })));
        throw failed.reason;
      }
    }
    return new Fleet(devices, scheduler, options.startsPerSecond ?? 50);
  }

  /** Starts the devices, `startsPerSecond` of them each second (all at once when 0). */
  start(): void {
    const spacingMs = this.startsPerSecond > 0 ? 1000 / this.startsPerSecond : 0;
    this.startedAt = this.scheduler.now();
    this.devices.forEach((device, i) => {
      const go = () => {
        if (this.stopping !== undefined) return;
        this.started += 1;
        device.start();
      };
      if (spacingMs === 0 || i === 0) go();
      else this.timers.push(this.scheduler.after(i * spacingMs, go));
    });
  }

  counters(): FleetCounters {
    let registered = 0;
    let mqttConnected = 0;
    for (const device of this.devices) {
      if (device.registrationState === 'registered') registered += 1;
      if (device.mqttConnected) mqttConnected += 1;
    }
    return { devices: this.devices.length, started: this.started, registered, mqttConnected, ...this.counts, allRegisteredAfterMs: this.allRegisteredAfterMs };
  }

  /** Stops every device: De-register (each waiting at most `deadlineMs` for its answer), MQTT closed, sockets closed. */
  stop(options: { readonly deregister?: boolean; readonly deadlineMs?: number } = {}): Promise<void> {
    this.stopping ??= (async () => {
      for (const timer of this.timers) timer.cancel();
      await Promise.all(this.devices.map((d) => d.stop({ deregister: options.deregister ?? true, deadlineMs: options.deadlineMs ?? 5_000 })));
    })();
    return this.stopping;
  }

  private count(device: SimulatedDevice): void {
    const c = this.counts;
    device.events.on('registered', ({ reason }) => {
      c.registrations += 1;
      if (reason !== 'start') c.reregistrations += 1;
      this.everRegistered.add(device.endpoint);
      if (this.allRegisteredAfterMs === undefined && this.everRegistered.size === this.devices.length) {
        this.allRegisteredAfterMs = this.scheduler.now() - (this.startedAt ?? this.scheduler.now());
      }
    });
    device.events.on('updated', () => (c.updates += 1));
    device.events.on('registration-failed', () => (c.registrationFailures += 1));
    device.events.on('bootstrapped', () => (c.bootstrapped += 1));
    device.events.on('mqtt-error', () => (c.mqttErrors += 1));
    device.events.on('published', ({ kind }) => (kind === 'state' ? (c.statesPublished += 1) : (c.alarmsPublished += 1)));
    device.events.on('operation', () => (c.operations += 1));
    device.events.on('notified', () => (c.notifications += 1));
    device.events.on('sent', () => (c.sends += 1));
  }
}
