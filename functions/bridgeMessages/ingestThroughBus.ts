import type { Bus } from '../bus/bus.ts';
import { MAX_ENTRIES_PER_PUT } from '../bus/putEventsLimits.ts';
import { decodeDeviceMessage, type DeviceMessage } from '../ingestion/decodeDeviceMessage.ts';

/** The bus refused some of a message's facts; thrown so the caller (Lambda retry, broker log) knows. */
export class IngestPutFailed extends Error {
  override name = 'IngestPutFailed';
}

/**
 * Device state a bridge relayed, into the ingestion path exactly where a device's own message
 * enters it on AWS: the decode step's bus entries (facts, or one MessageRejected), which the
 * append rule stores. Embedded, the system's ingestion pipeline is that rule's subscriber, so no
 * second subscriber (and no second append) exists for bridge data.
 */
export const ingestThroughBus =
  (bus: Pick<Bus, 'put'>) =>
  async (message: DeviceMessage): Promise<void> => {
    const entries = decodeDeviceMessage(message);
    for (let i = 0; i < entries.length; i += MAX_ENTRIES_PER_PUT) {
      const result = await bus.put(entries.slice(i, i + MAX_ENTRIES_PER_PUT));
      if (result.FailedEntryCount > 0) {
        const first = result.Entries.find((e) => e.ErrorCode !== undefined);
        throw new IngestPutFailed(`${result.FailedEntryCount} facts of ${message.topic} were refused by the bus (${first?.ErrorCode}: ${first?.ErrorMessage})`);
      }
    }
  };
