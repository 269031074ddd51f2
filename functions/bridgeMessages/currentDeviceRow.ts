import type { StoredEvent } from '../../events/envelope.ts';
import { devicesProjection, type DeviceRow } from '../../events/projections/devices.ts';
import type { EventOf } from '../../events/projections/projection.ts';
import { upcast } from '../../events/upcasting.ts';
import { deviceStreamId } from '../bootstrap/bootstrapStreams.ts';
import type { EventStore } from '../eventStore/eventStore.ts';
import type { ProjectionStore } from '../projections/projectionStore.ts';

/** Events read per page from the end of a device's stream; the tail past the checkpoint is usually shorter. */
const PAGE = 16;

const handled = new Set<string>(devicesProjection.handles);

/**
 * A device's directory row as of every event stored so far, without waiting for the projection to
 * catch up: the projected row and the checkpoint it is exact at (read together, in one synchronous
 * stretch: the engine commits rows and checkpoint in one transaction), then the device's own events
 * past that checkpoint, read back from the end of its stream and folded on top. Waiting for the
 * projection instead (`settled()`) held every registration until the engine was idle, which under a
 * steady stream of appends it seldom is.
 *
 * Needs a store with global positions (SQLite); an event without one counts as newer than any
 * checkpoint, so the answer stays exact, only slower.
 */
export const currentDeviceRow = async (events: Pick<EventStore, 'readStream'>, projectionStore: ProjectionStore, thingName: string): Promise<DeviceRow | undefined> => {
  const checkpoint = projectionStore.checkpoint(devicesProjection.name)?.position ?? 0;
  let row = projectionStore.getRow(devicesProjection.name, thingName) as DeviceRow | undefined;
  const streamId = deviceStreamId(thingName);
  const newer: StoredEvent[] = [];
  let from: number | undefined;
  for (;;) {
    const page = await events.readStream(streamId, { direction: 'backwards', limit: PAGE, ...(from === undefined ? {} : { from }) });
    const seen = page.findIndex((e) => (e.globalPosition ?? Number.POSITIVE_INFINITY) <= checkpoint);
    newer.push(...(seen === -1 ? page : page.slice(0, seen)));
    const oldest = page.at(-1)?.streamPosition;
    if (seen !== -1 || page.length < PAGE || oldest === undefined || oldest <= 1) break;
    from = oldest - 1;
  }
  for (const stored of newer.reverse()) {
    if (!handled.has(stored.type)) continue;
    row = devicesProjection.apply(row, upcast(stored) as EventOf<(typeof devicesProjection.handles)[number]>, thingName);
  }
  return row;
};
