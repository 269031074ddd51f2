import type { EventStore } from '../eventStore/eventStore.ts';
import type { ObjectStore } from '../objectStore/objectStore.ts';
import { credentialKeys } from '../provisioning/batchObjects.ts';
import { issueDevicePsk } from './devicePsk.ts';

export interface ProvisionedDevicePsksDeps {
  readonly events: Pick<EventStore, 'readAll'> & { onAppended(listener: () => void): () => void };
  /** The encrypted credentials area. */
  readonly credentials: ObjectStore;
  /** The global position to follow the store from; what came before is summed up in `existing`. */
  readonly after: number;
  /** Devices in the fleet as of `after`: each gets a PSK if it has none. */
  readonly existing: readonly string[];
  /** A device left the fleet: end its DTLS sessions (its PSK is deleted here too). */
  readonly onDeprovisioned?: (thingName: string) => void;
  readonly log: {
    info(details: object, message: string): void;
    error(details: object, message: string): void;
  };
  /** Events read per page. Default 500. */
  readonly pageSize?: number;
}

export interface ProvisionedDevicePsks {
  /** Resolves once everything appended so far has been handled. */
  settled(): Promise<void>;
  /** PSKs issued since the start. */
  readonly issued: number;
  stop(): Promise<void>;
}

/**
 * Gives every provisioned device without a PSK a generated one (provisioning stores a manifest's
 * own pskIdentity/pskKey itself, functions/provisioning/manifestPsk.ts, and those are kept): it
 * follows the event store, issues a random 16-byte PSK under the thing name for each
 * DeviceProvisioned whose device has none, and on DeviceDeprovisioned deletes the PSK (deprovisioning does too; doing it here as
 * well means a PSK this follower issued late, behind a deprovisioning, never outlives the device)
 * and ends the device's sessions.
 *
 * Following the store rather than the bus: the embedded bus delivers only what the outbox
 * publishes, and a follower that starts from the devices projection's checkpoint needs no
 * checkpoint of its own: the projection's rows say which devices came before it.
 */
export const followProvisionedDevicePsks = (deps: ProvisionedDevicePsksDeps): ProvisionedDevicePsks => {
  const pageSize = deps.pageSize ?? 500;
  let cursor = String(deps.after);
  let backlog: readonly string[] = deps.existing;
  let issued = 0;
  let stopped = false;
  let dirty = true;
  let running: Promise<void> | undefined;

  const ensure = async (thingName: string) => {
    try {
      // A metadata read: at every start each device of the fleet is checked, most already have one.
      if ((await deps.credentials.head(credentialKeys.psk(thingName))) !== undefined) return;
      const result = await issueDevicePsk({ credentials: deps.credentials, thingName });
      if (result.outcome === 'issued') {
        issued += 1;
        deps.log.info({ thingName, identity: result.identity }, 'issued a DTLS PSK for a provisioned device (identity = thing name)');
      }
    } catch (error) {
      deps.log.error(
        { thingName, err: error instanceof Error ? `${error.name}: ${error.message}` : String(error) },
        'could not issue a DTLS PSK for a provisioned device; it cannot connect over coaps until it has one: fix the cause, then restart or re-upload its manifest row',
      );
    }
  };

  const forget = async (thingName: string) => {
    try {
      await deps.credentials.delete(credentialKeys.psk(thingName));
    } catch (error) {
      deps.log.error({ thingName, err: error instanceof Error ? error.message : String(error) }, 'could not delete the PSK of a deprovisioned device; delete it by hand');
    }
    deps.onDeprovisioned?.(thingName);
  };

  const drain = async () => {
    while (dirty && !stopped) {
      dirty = false;
      const devices = backlog;
      backlog = [];
      for (const thingName of devices) {
        if (stopped) return;
        await ensure(thingName);
      }
      for (;;) {
        if (stopped) return;
        const page = await deps.events.readAll({ after: cursor, limit: pageSize });
        for (const event of page.events) {
          const thingName = (event.data as { thingName?: unknown }).thingName;
          if (typeof thingName !== 'string') continue;
          if (event.type === 'DeviceProvisioned') await ensure(thingName);
          else if (event.type === 'DeviceDeprovisioned') await forget(thingName);
        }
        cursor = page.cursor ?? cursor;
        if (page.events.length < pageSize) break;
      }
    }
  };

  const kick = () => {
    dirty = true;
    running ??= drain()
      .catch((error: unknown) => {
        // Reading the store failed: the next append tries again from the same cursor.
        deps.log.error({ err: error instanceof Error ? error.message : String(error) }, 'the PSK follower could not read the event store; it retries on the next append');
      })
      .finally(() => {
        running = undefined;
        if (dirty && !stopped) kick();
      });
  };

  const unsubscribe = deps.events.onAppended(kick);
  kick();

  return {
    async settled() {
      while (running !== undefined) await running;
    },
    get issued() {
      return issued;
    },
    async stop() {
      stopped = true;
      unsubscribe();
      while (running !== undefined) await running;
    },
  };
};
