import type { EventStore } from '../eventStore/eventStore.ts';
import { streamIdFor } from '../../events/envelope.ts';
import { devicesProjection, type DeviceRow } from '../../events/projections/devices.ts';
import type { EventOf } from '../../events/projections/projection.ts';
import { upcast } from '../../events/upcasting.ts';

export interface DeviceRecord {
  /** The device directory's row, folded from the device's own stream; undefined for a new device. */
  readonly row: DeviceRow | undefined;
  /** What each batch last did to the device, so a re-run of the same batch reports the same outcome. */
  readonly byBatch: ReadonlyMap<string, 'provisioned' | 'updated'>;
}

const handled = new Set<string>(devicesProjection.handles);

/**
 * The device as the devices projection sees it, computed from its stream rather than read from the
 * projection store: the stream is never behind, so two uploads in a row compare against the first.
 */
export const readDeviceRecord = async (eventStore: EventStore, thingName: string): Promise<DeviceRecord> => {
  const stored = await eventStore.readStream(streamIdFor.device(thingName));
  let row: DeviceRow | undefined;
  const byBatch = new Map<string, 'provisioned' | 'updated'>();
  for (const raw of stored) {
    if (!handled.has(raw.type)) continue;
    const event = upcast(raw) as EventOf<(typeof devicesProjection.handles)[number]>;
    row = devicesProjection.apply(row, event, thingName);
    if (event.type === 'DeviceProvisioned' && event.data.batchId !== undefined) byBatch.set(event.data.batchId, 'provisioned');
    if (event.type === 'DeviceAttributesChanged' && event.data.batchId !== undefined) byBatch.set(event.data.batchId, 'updated');
  }
  return { row, byBatch };
};
