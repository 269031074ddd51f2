import type { DeviceStatus } from '../../events/projections/devices.ts';
import type { BootstrapInput } from '../bootstrap/bootstrapInput.ts';
import type { EventStore } from '../eventStore/eventStore.ts';
import type { DeviceMessage } from '../ingestion/decodeDeviceMessage.ts';

/** A device session a bridge holds, as the device-sessions projection knows it. */
export interface HeldSession {
  readonly thingName: string;
  readonly endpoint: string;
  /** The latest Register or Update: a session ends once per renewal, so this names the one ending. */
  readonly lastUpdateAt: string;
}

/** What the bridge-message handler needs from the system; each adapter knows one technology. */
export interface BridgeMessageDeps {
  /** readStream: a bridge's ok for a delivery the workflow gave up on is concluded from the device's stream. */
  readonly events: Pick<EventStore, 'append' | 'appendBatch' | 'readStream'>;
  /**
   * The device's lifecycle status; undefined for an endpoint no manifest ever brought in.
   * `exact`: as of every event stored so far (a registration, which may start a bootstrap); `recent`:
   * may miss the last few milliseconds (device data, where that costs nothing and speed matters).
   */
  deviceStatus(thingName: string, freshness: 'exact' | 'recent'): Promise<DeviceStatus | undefined>;
  /** The devices whose registration the bridge holds now (device-sessions, caught up with the store). */
  sessionsHeldBy(bridgeId: string): Promise<readonly HeldSession[]>;
  /** The ingestion path for device state: the same decode as a device's own message; resolves once stored. */
  ingestState(message: DeviceMessage): Promise<void>;
  /** Starts (or, for the same name and input, finds) a bootstrap execution. */
  startBootstrap(execution: { readonly name: string; readonly input: BootstrapInput }): Promise<void>;
}
