import { isIPv6 } from 'node:net';
import { openUdpTransport, type PeerAddress } from '../lwm2m/transport.ts';
import { MQTT_BROKER } from '../../schemas/lwm2m/index.ts';
import { SimulatedDevice, type SimulatedDeviceOptions } from '../simulator/simulatedDevice.ts';
import type { DeviceFlash } from './deviceFlash.ts';
import { CREATED, restoreCredentials, tapTransport, type TappedTransport } from './flashRestore.ts';

/**
 * The demo's simulated devices: the simulator's SimulatedDevice, one UDP socket each, plus the
 * flash they keep their credentials in (deviceFlash.ts). Not functions/simulator/fleet.ts: that
 * fleet opens its own sockets, and restoring credentials needs a hand on each socket
 * (flashRestore.ts).
 *
 * Each device gets its own loopback address (127.1.0.1, 127.1.0.2, ...) where the system allows
 * it (Linux routes all of 127/8 to loopback), as real devices have their own addresses: the
 * LwM2M server limits Registers per source address (burst 20, then 2 a second), and a whole
 * fleet on 127.0.0.1 would look like one flooding client. Where only 127.0.0.1 exists (macOS),
 * they share it and start within that limit.
 */

/** The server's per-address Register allowance (functions/lwm2m/rateLimiter.ts defaults). */
const SHARED_ADDRESS_BURST = 20;
const SHARED_ADDRESS_PER_SECOND = 2;

export interface DemoFleetOptions {
  readonly thingNames: readonly string[];
  /** The LwM2M server's plain CoAP address. */
  readonly server: PeerAddress;
  /** Where restored devices find the broker now. */
  readonly brokerUri: string;
  readonly flash: DeviceFlash;
  /** Devices started per second (default 20): the server sees a ramp, not a wall. */
  readonly startsPerSecond?: number;
  readonly device?: Omit<Partial<SimulatedDeviceOptions>, 'endpoint' | 'server' | 'transport' | 'bindHost'>;
  /** Something a person should know (a device that could not be restored, MQTT refusing a device). */
  readonly onProblem: (message: string) => void;
}

export interface DemoFleetCounters {
  readonly devices: number;
  readonly connected: number;
  /** State messages the broker acknowledged (PUBACK): each is in the store by then. */
  readonly acknowledged: number;
  readonly mqttErrors: number;
}

interface Member {
  readonly device: SimulatedDevice;
  readonly transport: TappedTransport;
}

const CREDENTIALS_PATH = `/${MQTT_BROKER.id}/0`;

export class DemoFleet {
  private acknowledged = 0;
  private mqttErrors = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly members: ReadonlyMap<string, Member>,
    /** Devices that start holding the credentials they saved in an earlier run. */
    readonly restored: readonly string[],
    private readonly startsPerSecond: number,
    /** All devices on one address: past the server's burst, starts follow its sustained rate. */
    readonly sharedAddress: boolean,
    options: DemoFleetOptions,
  ) {
    const reported = new Set<string>();
    for (const [thingName, { device }] of members) {
      device.events.on('bootstrapped', () => {
        try {
          options.flash.save(thingName, device.valuesAt(CREDENTIALS_PATH));
        } catch (error) {
          options.onProblem(`could not save ${thingName}'s credentials in ${options.flash.dir} (${(error as Error).message}): after a restart it would be refused a second bootstrap`);
        }
      });
      device.events.on('published', ({ kind }) => {
        if (kind === 'state') this.acknowledged += 1;
      });
      device.events.on('mqtt-error', ({ message }) => {
        this.mqttErrors += 1;
        // mqtt.js retries every few seconds: the first error of each device is news, the rest are counted.
        if (reported.has(thingName)) return;
        reported.add(thingName);
        options.onProblem(`${thingName} cannot use MQTT: ${message} (it keeps retrying; further errors are counted, not shown)`);
      });
    }
  }

  /** Opens every device's socket and puts back the credentials each saved before; nothing is sent yet. */
  static async open(options: DemoFleetOptions): Promise<DemoFleet> {
    const ownAddresses = !isIPv6(options.server.address) && (await canBind(ownAddress(0)));
    const bindHost = (i: number) => (isIPv6(options.server.address) ? '::1' : ownAddresses ? ownAddress(i) : '127.0.0.1');
    const members = new Map<string, Member>();
    const restored: string[] = [];
    try {
      for (const [i, thingName] of options.thingNames.entries()) {
        const transport = tapTransport(await openUdpTransport({ host: bindHost(i), port: 0 }));
        let device: SimulatedDevice;
        try {
          device = await SimulatedDevice.open({ ...options.device, endpoint: thingName, server: options.server, transport });
        } catch (error) {
          await transport.close();
          throw error;
        }
        members.set(thingName, { device, transport });
        const saved = options.flash.load(thingName);
        if (saved === undefined) continue;
        const code = await restoreCredentials(transport, options.server, saved, options.brokerUri).catch((error: unknown) => (error as Error).message);
        if (code === CREATED) restored.push(thingName);
        else options.onProblem(`${thingName} could not take back its saved credentials (${code}); it starts without them and asks for a bootstrap`);
      }
    } catch (error) {
      await Promise.all([...members.values()].map(async (m) => {
        await m.device.stop({ deregister: false });
        await m.transport.close();
      }));
      const message = (error as Error).message;
      const hint = /EMFILE|ENFILE/.test(message) ? ' (too many open files: raise `ulimit -n`, or run fewer devices with --devices)' : '';
      throw new Error(`cannot open the demo's simulated devices: ${message}${hint}`, { cause: error });
    }
    return new DemoFleet(members, restored, options.startsPerSecond ?? 20, !ownAddresses, options);
  }

  start(): void {
    const offsets = startOffsetsMs(this.members.size, this.startsPerSecond, this.sharedAddress);
    [...this.members.values()].forEach(({ device }, i) => {
      const at = offsets[i] ?? 0;
      if (at === 0) device.start();
      else this.timers.push(setTimeout(() => this.stopping === undefined && device.start(), at));
    });
  }

  device(thingName: string): SimulatedDevice | undefined {
    return this.members.get(thingName)?.device;
  }

  counters(): DemoFleetCounters {
    let connected = 0;
    for (const { device } of this.members.values()) if (device.mqttConnected) connected += 1;
    return { devices: this.members.size, connected, acknowledged: this.acknowledged, mqttErrors: this.mqttErrors };
  }

  /** De-registers every device (waiting at most `deadlineMs` for each answer), closes MQTT and the sockets. */
  stop(deadlineMs = 2_000): Promise<void> {
    this.stopping ??= (async () => {
      for (const timer of this.timers) clearTimeout(timer);
      await Promise.all(
        [...this.members.values()].map(async ({ device, transport }) => {
          await device.stop({ deregister: true, deadlineMs });
          await transport.close();
        }),
      );
    })();
    return this.stopping;
  }
}

/**
 * When each device starts, from the first: `startsPerSecond` apart, and on a shared address, past
 * the server's per-address burst, no faster than its sustained rate (a refused Register would
 * back off for seconds, then minutes).
 */
export const startOffsetsMs = (count: number, startsPerSecond: number, sharedAddress: boolean): number[] => {
  const spacingMs = 1000 / startsPerSecond;
  const offsets: number[] = [];
  let at = 0;
  for (let i = 0; i < count; i += 1) {
    offsets.push(Math.round(at));
    at += sharedAddress && i + 1 >= SHARED_ADDRESS_BURST ? Math.max(spacingMs, 1000 / SHARED_ADDRESS_PER_SECOND) : spacingMs;
  }
  return offsets;
};

/** Device i's own loopback address: 127.1.0.1 onwards, 250 to a /24. */
const ownAddress = (i: number): string => `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;

const canBind = async (host: string): Promise<boolean> => {
  try {
    await (await openUdpTransport({ host, port: 0 })).close();
    return true;
  } catch {
    return false;
  }
};
