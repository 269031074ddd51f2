import { defineProjection, type EventOf } from './projection.ts';

export type SessionEndReason = 'deregistered' | 'lifetime-expired' | 'bridge-offline';

export interface LastBootstrap {
  readonly outcome: 'bootstrapped' | 'failed' | 'rejected';
  /** When the store recorded the outcome. */
  readonly at: string;
  readonly bridgeId: string;
  /** failed: the LwM2M code, or "timeout" / "internal". */
  readonly lwm2mCode?: string | undefined;
  /** rejected: why. */
  readonly reason?: string | undefined;
}

export interface DeviceSessionRow {
  readonly thingName: string;
  /** The bridge whose LwM2M server holds the registration (or held the last one). */
  readonly bridgeId?: string | undefined;
  readonly endpoint?: string | undefined;
  /**
   * True from a Register until a De-register, the lifetime running out (the bridge reports it) or
   * the bridge going offline. A command to a device that is not registered is ignored at once.
   */
  readonly registered: boolean;
  readonly endedReason?: SessionEndReason | undefined;
  readonly endedAt?: string | undefined;
  readonly lwm2mVersion?: string | undefined;
  readonly bindingMode?: string | undefined;
  /** Queue mode: the device sleeps between updates; the bridge queues commands until it wakes. */
  readonly queueMode: boolean;
  readonly lifetimeSeconds?: number | undefined;
  readonly objectLinks?: string | undefined;
  /** The bridge's clock: when the device registered, and when it last registered or updated. */
  readonly registeredAt?: string | undefined;
  readonly lastUpdateAt?: string | undefined;
  /**
   * lastUpdateAt + lifetime: the LwM2M server drops the registration then unless an Update comes.
   * The projection never reads the clock; a reader compares this with its own time.
   */
  readonly expiresAt?: string | undefined;
  readonly bootstrapped: boolean;
  readonly bootstrappedAt?: string | undefined;
  readonly lastBootstrap?: LastBootstrap | undefined;
}

const expiry = (from: string, lifetimeSeconds: number | undefined): string | undefined =>
  lifetimeSeconds === undefined ? undefined : new Date(Date.parse(from) + lifetimeSeconds * 1000).toISOString();

const emptyRow = (thingName: string): DeviceSessionRow => ({ thingName, registered: false, queueMode: false, bootstrapped: false });

const registered = (row: DeviceSessionRow | undefined, event: EventOf<'DeviceRegistered'>): DeviceSessionRow | undefined => {
  const d = event.data;
  // Registrations at two bridges can arrive out of order: an older one elsewhere does not move the device back.
  if (row?.registered && row.bridgeId !== d.bridgeId && row.registeredAt !== undefined && Date.parse(row.registeredAt) > Date.parse(d.registeredAt)) return row;
  return {
    ...(row ?? emptyRow(d.thingName)),
    bridgeId: d.bridgeId,
    endpoint: d.endpoint,
    registered: true,
    endedReason: undefined,
    endedAt: undefined,
    lwm2mVersion: d.lwm2mVersion,
    bindingMode: d.bindingMode,
    queueMode: d.queueMode,
    lifetimeSeconds: d.lifetimeSeconds,
    objectLinks: d.objectLinks,
    registeredAt: d.registeredAt,
    lastUpdateAt: d.registeredAt,
    expiresAt: expiry(d.registeredAt, d.lifetimeSeconds),
  };
};

const updated = (row: DeviceSessionRow | undefined, event: EventOf<'DeviceRegistrationUpdated'>): DeviceSessionRow | undefined => {
  const d = event.data;
  // Only the holding bridge's server can accept an Update; one from elsewhere is stale.
  if (!row || row.bridgeId !== d.bridgeId) return row;
  // A late Update never revives a registration that ended; one after the bridge came back proves the device is still there.
  if (!row.registered && row.endedReason !== 'bridge-offline') return row;
  const lifetimeSeconds = d.lifetimeSeconds ?? row.lifetimeSeconds;
  return {
    ...row,
    registered: true,
    endedReason: undefined,
    endedAt: undefined,
    lifetimeSeconds,
    bindingMode: d.bindingMode ?? row.bindingMode,
    objectLinks: d.objectLinks ?? row.objectLinks,
    lastUpdateAt: d.updatedAt,
    expiresAt: expiry(d.updatedAt, lifetimeSeconds),
  };
};

const ended = (row: DeviceSessionRow | undefined, bridgeId: string, reason: SessionEndReason, at: string): DeviceSessionRow | undefined => {
  // A bridge that no longer holds the device cannot end its session elsewhere.
  if (!row || row.bridgeId !== bridgeId || !row.registered) return row;
  return { ...row, registered: false, endedReason: reason, endedAt: at };
};

/**
 * Per device: which bridge holds its LwM2M registration, whether it can be reached now, its
 * registration's parameters and expiry, and how bootstrap went. The control API reads it to record
 * CommandIgnored at once when no bridge holds the device.
 */
export const deviceSessionsProjection = defineProjection({
  name: 'device-sessions',
  version: 1,
  handles: [
    'DeviceRegistered',
    'DeviceRegistrationUpdated',
    'DeviceDeregistered',
    'DeviceSessionLost',
    'DeviceBootstrapped',
    'BootstrapFailed',
    'BootstrapRejected',
    'DeviceDeprovisioned',
  ],
  keys: (event) => {
    const thingName = event.data.thingName;
    return thingName === undefined ? [] : [thingName];
  },
  apply(row: DeviceSessionRow | undefined, event, key): DeviceSessionRow | undefined {
    switch (event.type) {
      case 'DeviceRegistered':
        return registered(row, event);
      case 'DeviceRegistrationUpdated':
        return updated(row, event);
      case 'DeviceDeregistered':
        return ended(row, event.data.bridgeId, event.data.reason, event.recordedAt);
      case 'DeviceSessionLost':
        return ended(row, event.data.bridgeId, event.data.reason, event.data.at);
      case 'DeviceBootstrapped':
        return {
          ...(row ?? emptyRow(key)),
          bootstrapped: true,
          bootstrappedAt: event.recordedAt,
          lastBootstrap: { outcome: 'bootstrapped', at: event.recordedAt, bridgeId: event.data.bridgeId },
        };
      case 'BootstrapFailed':
        return row && { ...row, lastBootstrap: { outcome: 'failed', at: event.recordedAt, bridgeId: event.data.bridgeId, lwm2mCode: event.data.lwm2mCode } };
      case 'BootstrapRejected':
        return row && { ...row, lastBootstrap: { outcome: 'rejected', at: event.recordedAt, bridgeId: event.data.bridgeId, reason: event.data.reason } };
      case 'DeviceDeprovisioned':
        return undefined;
      default:
        return row;
    }
  },
});
