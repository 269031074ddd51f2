import type { StoredEvent } from '../../events/envelope.ts';
import type { BusEntry } from '../bus/bus.ts';
import { checkEntry } from '../bus/putEventsLimits.ts';

/**
 * The source of every stored event published on the bus (the outbox). The detail-type is the
 * event's name (STYLE.md 7), so "every AlarmRaised" is `{ "source": ["lwm2m.fleet"],
 * "detail-type": ["AlarmRaised"] }`; `lwm2m.ingest` entries of the same name are requests to
 * append, not facts.
 */
export const DOMAIN_EVENT_SOURCE = 'lwm2m.fleet';

/**
 * Published instead of an event whose entry would exceed PutEvents' 256 KB: subscribers learn that
 * it exists and read it from the store (stream and position). Nothing stored goes unannounced.
 */
export const EVENT_TOO_LARGE_DETAIL_TYPE = 'StoredEventTooLargeToPublish';

/**
 * The detail of a published event: the stored event whole, so a subscriber needs no store read.
 * `type` repeats the detail-type so the detail stands alone once taken out of its envelope (an
 * input path of `$.detail`); `globalPosition` exists only where the store has one (SQLite).
 */
export const publishedDetail = (e: StoredEvent): Record<string, unknown> => ({
  eventId: e.eventId,
  streamId: e.streamId,
  streamPosition: e.streamPosition,
  ...(e.globalPosition === undefined ? {} : { globalPosition: e.globalPosition }),
  type: e.type,
  typeVersion: e.typeVersion,
  recordedAt: e.recordedAt,
  actor: e.actor,
  ...(e.correlationId === undefined ? {} : { correlationId: e.correlationId }),
  ...(e.causationId === undefined ? {} : { causationId: e.causationId }),
  data: e.data,
});

/**
 * The one mapping from a stored event to its bus entry, shared by the embedded outbox and the
 * DynamoDB-stream publisher on AWS. `resources` names the stream, so a rule can select one device
 * with `{ "resources": ["device-m1"] }`; Time is when the store recorded the event. An event whose
 * entry would break PutEvents' size limit becomes a StoredEventTooLargeToPublish notice without
 * its data, so the result always passes checkEntry.
 */
export const toBusEntry = (e: StoredEvent): BusEntry => {
  const recorded = new Date(e.recordedAt);
  // A store always writes a valid time; should one not parse, the bus's clock stands in rather than the entry failing forever.
  const time = Number.isNaN(recorded.getTime()) ? {} : { Time: recorded };
  const entry: BusEntry = { Source: DOMAIN_EVENT_SOURCE, DetailType: e.type, Detail: publishedDetail(e), Resources: [e.streamId], ...time };
  const checked = checkEntry(entry);
  if (checked.ok) return entry;
  const { data: _omitted, ...reference } = publishedDetail(e);
  return {
    Source: DOMAIN_EVENT_SOURCE,
    DetailType: EVENT_TOO_LARGE_DETAIL_TYPE,
    Detail: { ...reference, reason: checked.error.ErrorMessage },
    Resources: [e.streamId],
    ...time,
  };
};
