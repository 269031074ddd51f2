import type { EventStore } from '../eventStore/eventStore.ts';
import type { ObjectStore } from '../objectStore/objectStore.ts';
import { DEVICE_POLICY_NAME } from '../registry/devicePolicy.ts';
import { redactPem, type DeviceRegistry } from '../registry/deviceRegistry.ts';
import { streamIdFor } from '../../events/envelope.ts';
import type { DeviceRow } from '../../events/projections/devices.ts';
import { credentialKeys } from './batchObjects.ts';
import type { DesiredDevice } from './chunkLine.ts';
import { readDeviceRecord } from './deviceRecord.ts';
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
class StepFailed extends Error {
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

/**
 * One row: provision a new device, update a changed one, or leave an unchanged one alone. Every
 * step is idempotent (ensure*, attach*, deterministic event ids, reuse of stored credentials), so
 * running a row again after a crash or a chunk retry finishes the job without making anything twice.
 */
export const provisionDevice = async (deps: ProvisionDeviceDeps, batchId: string, desired: DesiredDevice): Promise<DeviceOutcome> => {
  const step = async <T>(name: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await withThrottleRetry(call, deps.throttleRetry, deps.sleep);
    } catch (error) {
      // Throttling that outlived the row's retries leaves the task: the state machine retries the chunk.
      if (isTransient(error)) throw error;
      throw new StepFailed(name, redactPem(error instanceof Error ? `${error.name}: ${error.message}` : String(error)));
    }
  };
  const { thingName } = desired;
  try {
    const record = await readDeviceRecord(deps.eventStore, thingName);
    const current = record.row;
    if (current === undefined || current.status === 'deprovisioned') {
      await provisionNew(deps, step, batchId, desired);
      return { outcome: 'provisioned' };
    }
    const change = diff(current, desired);
    if (change === undefined) return { outcome: record.byBatch.get(batchId) ?? 'unchanged' };
    await update(deps, step, batchId, desired, current, change);
    return { outcome: 'updated' };
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
    await deps.eventStore.append({
      streamId: streamIdFor.device(thingName),
      expectedVersion: 'any',
      events: [provisioningEvent('DeviceProvisioningFailed', { thingName, batchId, step: error.step, reason: error.reason }, [batchId, thingName, error.step], batchId)],
    });
    return { outcome: 'failed', step: error.step, reason: error.reason };
  }
};

type Step = <T>(name: string, call: () => Promise<T>) => Promise<T>;

const provisionNew = async (deps: ProvisionDeviceDeps, step: Step, batchId: string, desired: DesiredDevice): Promise<void> => {
  const { thingName } = desired;
  await step('ensureThing', () => deps.registry.ensureThing({ thingName, attributes: desired.attributes, thingType: desired.deviceType }));
  const certificateId = await usableCertificate(deps, step, thingName);
  await step('ensurePolicy', deps.ensureDevicePolicy);
  await step('attachPolicy', () => deps.registry.attachPolicy(DEVICE_POLICY_NAME, certificateId));
  await step('attachThingPrincipal', () => deps.registry.attachThingPrincipal(thingName, certificateId));
  const group = desired.thingGroup;
  if (group !== undefined) {
    await step('ensureThingGroup', () => deps.ensureGroup(group));
    await step('addThingToGroup', () => deps.registry.addThingToGroup(thingName, group));
  }
  await step('appendDeviceProvisioned', () =>
    deps.eventStore.append({
      streamId: streamIdFor.device(thingName),
      expectedVersion: 'any',
      events: [provisioningEvent('DeviceProvisioned', { ...desired, certificateId, batchId }, [batchId, thingName, certificateId], batchId)],
    }),
  );
};

/**
 * The certificate stored by an earlier, interrupted try when it is still ACTIVE and belongs to no
 * other thing; otherwise a new one, stored encrypted in the same step that made it (the registry
 * never returns a private key again).
 */
const usableCertificate = async (deps: ProvisionDeviceDeps, step: Step, thingName: string): Promise<string> => {
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

interface Change {
  readonly tenant?: string;
  readonly location?: DesiredDevice['location'];
  readonly thingGroup?: string | null;
  readonly deviceType?: string | null;
  readonly set: Record<string, string>;
  readonly removed: string[];
}

/** What differs between the directory row and the manifest row; undefined when nothing does. */
const diff = (current: DeviceRow, desired: DesiredDevice): Change | undefined => {
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

const update = async (deps: ProvisionDeviceDeps, step: Step, batchId: string, desired: DesiredDevice, current: DeviceRow, change: Change): Promise<void> => {
  const { thingName } = desired;
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
};
