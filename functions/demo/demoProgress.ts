import type { DemoFleetCounters } from './demoFleet.ts';

/**
 * What the demo has seen so far, and the lines it prints. Pure: the bus events and the fleet's
 * counters come in as values, lines go out as text, so the wording is unit-tested.
 *
 * Backend facts (provisioned, registered, bootstrapped, stored, alarms) come from the stored
 * events the outbox publishes on the bus; "connected" and "acknowledged" come from the devices,
 * since the broker records no event for a connection and only a device sees its PUBACK.
 */

/** The part of a published stored event the demo reads (functions/outbox/toBusEntry.ts: the detail). */
export interface SeenEvent {
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export const WATCHED_EVENTS = [
  'DeviceProvisioned',
  'DeviceProvisioningFailed',
  'DeviceRegistered',
  'DeviceBootstrapped',
  'BootstrapRejected',
  'BootstrapFailed',
  'DeviceStateReported',
  'AlarmRaised',
  'AlarmCleared',
  'MessageRejected',
] as const;

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

const REJECTION_HINTS: Readonly<Record<string, string>> = {
  'already-bootstrapped': 'it lost the credentials it was given (its saved copy under <data dir>/demo/devices is gone); giving them again is not built yet: delete the data dir to start the demo over',
  unauthenticated: 'plain CoAP bootstrap is off: the demo turns FLEET_BOOTSTRAP_OVER_PLAIN_COAP on, so this system was started another way',
  'unknown-device': 'no manifest brought it in',
  deprovisioned: 'it was deprovisioned',
  'not-active': 'its certificate is not active',
};

export class DemoProgress {
  private readonly provisioned = new Set<string>();
  private inFleet = 0;
  private readonly registered = new Set<string>();
  private readonly bootstrapped = new Set<string>();
  private readonly reporting = new Set<string>();
  private stored = 0;
  private alarms = 0;
  private fleet: DemoFleetCounters | undefined;
  private lastLine = '';

  constructor(private readonly things: ReadonlySet<string>) {}

  get total(): number {
    return this.things.size;
  }

  /** The batch ended: devices in the fleet now, whether this batch or an earlier one provisioned them. */
  batchDone(inFleet: number): void {
    this.inFleet = inFleet;
  }

  fleetCounters(counters: DemoFleetCounters): void {
    this.fleet = counters;
  }

  /** Devices that kept their credentials from an earlier run: bootstrapped, though no new event says so. */
  markRestored(thingNames: Iterable<string>): void {
    for (const t of thingNames) this.bootstrapped.add(t);
  }

  isReporting(thingName: string): boolean {
    return this.reporting.has(thingName);
  }

  /** Takes one event; returns the lines it deserves on its own (most only move the counters). */
  see(event: SeenEvent): string[] {
    const thing = text(event.data['thingName']) || text(event.data['endpoint']);
    if (!this.things.has(thing)) return [];
    switch (event.type) {
      case 'DeviceProvisioned':
        this.provisioned.add(thing);
        return [];
      case 'DeviceProvisioningFailed':
        return [`provisioning ${thing} failed at ${text(event.data['step'])}: ${text(event.data['reason'])}`];
      case 'DeviceRegistered':
        this.registered.add(thing);
        return [];
      case 'DeviceBootstrapped':
        this.bootstrapped.add(thing);
        // A late one corrects a "bootstrap failed" line printed before: say so.
        return event.data['late'] === true ? [`bootstrap of ${thing} confirmed late: the bridge's result came after the timeout, and the device has its credentials`] : [];
      case 'BootstrapRejected': {
        const reason = text(event.data['reason']);
        return [`bootstrap refused for ${thing}: ${reason}${REJECTION_HINTS[reason] ? ` (${REJECTION_HINTS[reason]})` : ''}`];
      }
      case 'BootstrapFailed':
        return [`bootstrap failed for ${thing}: ${text(event.data['lwm2mCode'])} ${text(event.data['message'])}`.trimEnd()];
      case 'DeviceStateReported':
        this.stored += 1;
        this.reporting.add(thing);
        return [];
      case 'AlarmRaised':
        this.alarms += 1;
        return [`alarm raised on ${thing}: ${text(event.data['code'])} (${text(event.data['severity'])}) ${text(event.data['message'])}`.trimEnd()];
      case 'AlarmCleared':
        return [`alarm cleared on ${thing}: ${text(event.data['alarmId'])}`];
      case 'MessageRejected':
        return [`a message from ${thing} was rejected at ${text(event.data['stage'])}: ${text(event.data['reason'])}`];
      default:
        return [];
    }
  }

  /** Provisioned by this run's batch as the events come, or in the fleet by any batch once it is done. */
  private provisionedCount(): number {
    return Math.max(this.provisioned.size, this.inFleet);
  }

  /** The counters on one line. */
  statusLine(elapsedMs: number): string {
    const n = this.total;
    const f = this.fleet;
    return [
      `[${`${Math.floor(elapsedMs / 1000)}s`.padStart(5)}]`,
      `provisioned ${this.provisionedCount()}/${n}`,
      `registered ${this.registered.size}/${n}`,
      `bootstrapped ${this.bootstrapped.size}/${n}`,
      `connected ${f?.connected ?? 0}/${n}`,
      `data from ${this.reporting.size}/${n}`,
      `messages stored ${this.stored} (acknowledged ${f?.acknowledged ?? 0})`,
      `alarms raised ${this.alarms}`,
    ].join('  ');
  }

  /** The status line when something changed since the last one printed, else undefined. */
  changedStatusLine(elapsedMs: number): string | undefined {
    const line = this.statusLine(elapsedMs);
    const withoutTime = line.slice(line.indexOf(']') + 1);
    if (withoutTime === this.lastLine) return undefined;
    this.lastLine = withoutTime;
    return line;
  }

  /** The figures for the summary. */
  figures(): { provisioned: number; registered: number; bootstrapped: number; connected: number; reporting: number; stored: number; acknowledged: number; alarms: number; total: number } {
    return {
      total: this.total,
      provisioned: this.provisionedCount(),
      registered: this.registered.size,
      bootstrapped: this.bootstrapped.size,
      connected: this.fleet?.connected ?? 0,
      reporting: this.reporting.size,
      stored: this.stored,
      acknowledged: this.fleet?.acknowledged ?? 0,
      alarms: this.alarms,
    };
  }
}
