import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { StoredEvent } from '../../events/envelope.ts';
import type { Bus, BusEntry } from '../bus/bus.ts';
import { checkEntry, MAX_ENTRIES_PER_PUT } from '../bus/putEventsLimits.ts';
import { commitsOf, retryFrom } from './eventStoreStream.ts';

/**
 * The source of every stored event published on the bus (the outbox). The detail-type is the
 * event's name (STYLE.md 7), so "every AlarmRaised" is `{ source: [DOMAIN_EVENT_SOURCE],
 * "detail-type": ["AlarmRaised"] }`; `lwm2m.ingest` entries of the same name are requests to
 * append, not facts.
 */
export const DOMAIN_EVENT_SOURCE = 'lwm2m.fleet';

/**
 * Published instead of an event whose entry would exceed PutEvents' 256 KB: subscribers learn that
 * it exists and read it from the store (stream and position). Nothing stored goes unannounced.
 */
export const EVENT_TOO_LARGE_DETAIL_TYPE = 'StoredEventTooLargeToPublish';

/** The detail of a published event: the stored event whole, so a subscriber needs no store read. */
export const publishedDetail = (e: StoredEvent): Record<string, unknown> => ({
  eventId: e.eventId,
  streamId: e.streamId,
  streamPosition: e.streamPosition,
  type: e.type,
  typeVersion: e.typeVersion,
  recordedAt: e.recordedAt,
  actor: e.actor,
  ...(e.correlationId === undefined ? {} : { correlationId: e.correlationId }),
  ...(e.causationId === undefined ? {} : { causationId: e.causationId }),
  data: e.data,
});

/** The bus entry for a stored event (or its too-large notice). */
export const busEntryFor = (e: StoredEvent): BusEntry => {
  const entry: BusEntry = { Source: DOMAIN_EVENT_SOURCE, DetailType: e.type, Detail: publishedDetail(e), Time: new Date(e.recordedAt) };
  const checked = checkEntry(entry);
  if (checked.ok) return entry;
  const { data: _omitted, ...reference } = publishedDetail(e);
  return { Source: DOMAIN_EVENT_SOURCE, DetailType: EVENT_TOO_LARGE_DETAIL_TYPE, Detail: { ...reference, reason: checked.error.ErrorMessage }, Time: entry.Time! };
};

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
    const log = deps.log ?? console.error;
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
