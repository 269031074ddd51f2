import type { AppendRequest, EventStore } from '../eventStore/eventStore.ts';
import type { ObjectStore } from '../objectStore/objectStore.ts';
import { redactPem, type DeviceRegistry } from '../registry/deviceRegistry.ts';
import { streamIdFor } from '../../events/envelope.ts';
import type { DeviceRow } from '../../events/projections/devices.ts';
import { credentialKeys } from './batchObjects.ts';
import type { DesiredDevice } from './chunkLine.ts';
import { provisioningEvent } from './provisioningEvents.ts';
import { isTransient, withThrottleRetry, type Sleep, type ThrottleRetryOptions } from './throttleRetry.ts';

export interface ProvisionDeviceDeps {
  readonly eventStore: EventStore;
  readonly registry: DeviceRegistry;
  /** The encrypted credentials store: the one place a private key is written. */
  readonly credentials: ObjectStore;
  readonly throttleRetry: ThrottleRetryOptions;
  readonly sleep: Sleep;
  /** ensurePolicy('lwm2m-device', ...) once per chunk, shared by its rows. */
  readonly ensureDevicePolicy: () => Promise<void>;
  /** ensureThingGroup once per group per chunk. */
  readonly ensureGroup: (groupName: string) => Promise<void>;
}

export type DeviceOutcome =
  | { readonly outcome: 'provisioned' | 'updated' | 'unchanged' }
  | { readonly outcome: 'failed'; readonly step: string; readonly reason: string };

/** A step that failed for a reason a retry would not fix; the row is recorded as failed at that step. */
export class StepFailed extends Error {
  constructor(
    readonly step: string,
    readonly reason: string,
  ) {
    super(`${step}: ${reason}`);
  }
}

export interface StoredMqttCredentials {
  readonly certificateId: string;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

export type Step = <T>(name: string, call: () => Promise<T>) => Promise<T>;

/**
 * Runs one named step of a row with the per-call throttle retry. Throttling or a transient fault
 * that outlives the retries leaves the task (the state machine retries the chunk); anything else
 * becomes StepFailed with the step's name and a redacted reason.
 */
export const stepRunner =
  (deps: Pick<ProvisionDeviceDeps, 'throttleRetry' | 'sleep'>): Step =>
  async (name, call) => {
    try {
      return await withThrottleRetry(call, deps.throttleRetry, deps.sleep);
    } catch (error) {
      if (isTransient(error)) throw error;
      throw new StepFailed(name, redactPem(error instanceof Error ? `${error.name}: ${error.message}` : String(error)));
    }
  };

/** The event a row that stopped at a step leaves; its id repeats, so a retried chunk records it once. */
export const failedRequest = (batchId: string, thingName: string, failure: StepFailed): AppendRequest => ({
  streamId: streamIdFor.device(thingName),
  expectedVersion: 'any',
  events: [provisioningEvent('DeviceProvisioningFailed', { thingName, batchId, step: failure.step, reason: failure.reason }, [batchId, thingName, failure.step], batchId)],
});

export const failedOutcome = (failure: StepFailed): DeviceOutcome => ({ outcome: 'failed', step: failure.step, reason: failure.reason });

/**
 * The certificate stored by an earlier, interrupted try when it is still ACTIVE and belongs to no
 * other thing; otherwise a new one, stored encrypted in the same step that made it (the registry
 * never returns a private key again).
 */
export const usableCertificate = async (deps: ProvisionDeviceDeps, step: Step, thingName: string): Promise<string> => {
  const key = credentialKeys.mqtt(thingName);
  const earlier = await step('readCredentials', async () => {
    if ((await deps.credentials.head(key)) === undefined) return undefined;
    const stored = JSON.parse((await deps.credentials.getBytes(key)).toString('utf8')) as Partial<StoredMqttCredentials>;
    return typeof stored.certificateId === 'string' ? stored.certificateId : undefined;
  });
  if (earlier !== undefined) {
    const status = await step('certificateStatus', () => deps.registry.certificateStatus(earlier));
    if (status?.status === 'ACTIVE' && status.thingNames.every((t) => t === thingName)) return earlier;
  }
  const created = await step('createKeysAndCertificate', () => deps.registry.createKeysAndCertificate({ thingName }));
  const stored: StoredMqttCredentials = { certificateId: created.certificateId, certificatePem: created.certificatePem, privateKeyPem: created.privateKeyPem };
  await step('storeCredentials', () => deps.credentials.put(key, JSON.stringify(stored), { contentType: 'application/json' }));
  return created.certificateId;
};

export interface Change {
  readonly tenant?: string;
  readonly location?: DesiredDevice['location'];
  readonly thingGroup?: string | null;
  readonly deviceType?: string | null;
  readonly set: Record<string, string>;
  readonly removed: string[];
}

/** What differs between the directory row and the manifest row; undefined when nothing does. */
export const diff = (current: DeviceRow, desired: DesiredDevice): Change | undefined => {
  const set: Record<string, string> = {};
  for (const [name, value] of Object.entries(desired.attributes)) if (current.attributes[name] !== value) set[name] = value;
  const removed = Object.keys(current.attributes).filter((name) => !Object.hasOwn(desired.attributes, name));
  const change: Change = {
    set,
    removed,
    ...(current.tenant === desired.tenant ? {} : { tenant: desired.tenant }),
    ...(current.location.latitude === desired.location.latitude && current.location.longitude === desired.location.longitude ? {} : { location: desired.location }),
    ...(current.thingGroup === desired.thingGroup ? {} : { thingGroup: desired.thingGroup ?? null }),
    ...(current.deviceType === desired.deviceType ? {} : { deviceType: desired.deviceType ?? null }),
  };
  const same = Object.keys(set).length === 0 && removed.length === 0 && Object.keys(change).length === 2;
  return same ? undefined : change;
};

/**
 * A device the manifest changed: thing attributes and type, group membership moved, and
 * DeviceAttributesChanged with only what differs (a group or type that was removed is `null`).
 */
export const updateDevice = async (deps: ProvisionDeviceDeps, batchId: string, desired: DesiredDevice, current: DeviceRow, change: Change): Promise<DeviceOutcome> => {
  const step = stepRunner(deps);
  const { thingName } = desired;
  try {
    if (Object.keys(change.set).length > 0 || change.removed.length > 0 || change.deviceType !== undefined) {
      await step('ensureThing', () => deps.registry.ensureThing({ thingName, attributes: desired.attributes, thingType: desired.deviceType }));
    }
    const group = desired.thingGroup;
    if (change.thingGroup !== undefined) {
      if (current.thingGroup !== undefined) await step('removeThingFromGroups', () => deps.registry.removeThingFromGroups(thingName));
      if (group !== undefined) {
        await step('ensureThingGroup', () => deps.ensureGroup(group));
        await step('addThingToGroup', () => deps.registry.addThingToGroup(thingName, group));
      }
    }
    await step('appendDeviceAttributesChanged', () =>
      deps.eventStore.append({
        streamId: streamIdFor.device(thingName),
        expectedVersion: 'any',
        events: [provisioningEvent('DeviceAttributesChanged', { thingName, ...change, batchId }, [batchId, thingName, JSON.stringify(desired)], batchId)],
      }),
    );
    return { outcome: 'updated' };
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
    await deps.eventStore.append(failedRequest(batchId, thingName, error));
    return failedOutcome(error);
  }
};
