import type { EventStore } from '../eventStore/eventStore.ts';
import type { DeviceRegistry } from '../registry/deviceRegistry.ts';
import { readDeviceRecord } from '../provisioning/deviceRecord.ts';
import { DeprovisioningInput, parseDeprovisioningInput } from './deprovisioningInput.ts';

export interface DescribeDeviceDeps {
  readonly eventStore: EventStore;
  readonly registry: DeviceRegistry;
}

/** The device is in neither the registry nor the event store: nothing to deprovision. */
export class DeviceNotFound extends Error {
  override name = 'DeviceNotFound';
}

export interface DeviceToDeprovision {
  readonly thingName: string;
  /** null rather than absent: a JSONPath to a missing field fails the state on Step Functions. */
  readonly reason: string | null;
  /** True when the stream says deprovisioned and the registry has no thing left: the run is a no-op. */
  readonly alreadyDeprovisioned: boolean;
  /** Certificates to revoke and delete: those attached to the thing, plus the one the stream names if it still exists. */
  readonly certificateIds: readonly string[];
}

/**
 * What is left of a device, from both sources of truth. The registry says what to remove; the
 * device's own stream says whether it ever existed and whether it is already gone. A run cut off
 * after deleteThing but before RecordDeprovisioned finds no thing but a live stream, and finishes.
 */
export const findDeviceToDeprovision = async (deps: DescribeDeviceDeps, thingName: string): Promise<Omit<DeviceToDeprovision, 'reason'> | undefined> => {
  const [thing, record] = await Promise.all([deps.registry.describeThing(thingName), readDeviceRecord(deps.eventStore, thingName)]);
  if (!thing && !record.row) return undefined;
  const ids = new Set(thing?.principals ?? []);
  // A certificate detached from the thing by an interrupted run is no longer among its principals.
  const known = record.row?.certificateId;
  if (known !== undefined && !ids.has(known) && (await deps.registry.certificateStatus(known)) !== undefined) ids.add(known);
  return {
    thingName,
    alreadyDeprovisioned: !thing && ids.size === 0 && record.row?.status === 'deprovisioned',
    certificateIds: [...ids].sort(),
  };
};

/** DescribeDevice: the workflow's input checked, and what there is to remove. */
export const describeDevice =
  (deps: DescribeDeviceDeps) =>
  async (input: unknown): Promise<DeviceToDeprovision> => {
    const { thingName, reason } = parseDeprovisioningInput(DeprovisioningInput, input, 'DescribeDevice');
    const found = await findDeviceToDeprovision(deps, thingName);
    if (!found) throw new DeviceNotFound(`no device "${thingName}" is registered or was ever provisioned: check the thing name (GET /devices lists them).`);
    return { ...found, reason: reason ?? null };
  };
