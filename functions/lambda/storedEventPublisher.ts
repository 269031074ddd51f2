import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { Bus, BusEntry } from '../bus/bus.ts';
import { MAX_ENTRIES_PER_PUT } from '../bus/putEventsLimits.ts';
import { toBusEntry as busEntryFor } from '../outbox/toBusEntry.ts';
import { commitsOf, retryFrom } from './eventStoreStream.ts';
import { logger } from './observability.ts';

// One mapping from stored event to bus entry for both modes (functions/outbox/toBusEntry.ts).
export { DOMAIN_EVENT_SOURCE, EVENT_TOO_LARGE_DETAIL_TYPE, publishedDetail, toBusEntry as busEntryFor } from '../outbox/toBusEntry.ts';

/**
 * The outbox on AWS: the event store table's stream → every appended event on the bus, in stream
 * order per shard. When PutEvents refuses an entry or a commit cannot be read, the handler answers
 * with that record as the first batch item failure: Lambda retries from there (earlier records are
 * done; later ones are put again, so subscribers see at-least-once delivery and deduplicate by
 * `detail.eventId`). After the mapping's retries the record goes to its on-failure destination.
 */
export const publishStoredEvents =
  (deps: { readonly bus: Pick<Bus, 'put'>; readonly log?: (message: string) => void }) =>
  async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const log = deps.log ?? ((message: string) => logger.error(message));
    const pending: { entry: BusEntry; sequenceNumber: string }[] = [];
    /** Puts full groups of ten (or, at the end, everything); the record to retry from when a put fails. */
    const flush = async (all: boolean): Promise<string | undefined> => {
      while (pending.length >= (all ? 1 : MAX_ENTRIES_PER_PUT)) {
        const group = pending.slice(0, MAX_ENTRIES_PER_PUT);
        let result;
        try {
          result = await deps.bus.put(group.map((p) => p.entry));
        } catch (error) {
          log(`PutEvents failed (${(error as Error).message}); retrying from record ${group[0]!.sequenceNumber}`);
          return group[0]!.sequenceNumber;
        }
        const failed = result.Entries.findIndex((r) => r.ErrorCode !== undefined);
        if (failed !== -1) {
          const why = result.Entries[failed]!;
          log(`PutEvents refused ${group[failed]!.entry.DetailType} (${why.ErrorCode}: ${why.ErrorMessage}); retrying from record ${group[failed]!.sequenceNumber}`);
          return group[failed]!.sequenceNumber;
        }
        pending.splice(0, group.length);
      }
      return undefined;
    };

    for (const item of commitsOf(event)) {
      if (item.kind === 'unreadable') {
        const failedEarlier = await flush(true);
        log(`record ${item.sequenceNumber} holds a commit that cannot be read: ${item.error.message}`);
        return retryFrom(failedEarlier ?? item.sequenceNumber);
      }
      for (const e of item.events) pending.push({ entry: busEntryFor(e), sequenceNumber: item.sequenceNumber });
      const failed = await flush(false);
      if (failed !== undefined) return retryFrom(failed);
    }
    return retryFrom(await flush(true));
  };
