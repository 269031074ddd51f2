import type { Context } from 'aws-lambda';
import type { Bus } from '../bus/bus.ts';
import type { EventBridgeEnvelope } from '../bus/envelope.ts';
import { MAX_ENTRIES_PER_PUT } from '../bus/putEventsLimits.ts';
import type { EventStore } from '../eventStore/eventStore.ts';
import { ingestRulePattern } from '../../schemas/bus/ingest.ts';
import { appendIngestedEvent, appendIngestedFact } from './appendIngestedEvent.ts';
import { decodeDeviceFacts, factEntry, type CheckedFact, type DeviceMessage } from './decodeDeviceMessage.ts';

export interface IngestionPipelineOptions {
  readonly bus: Bus;
  /** The store the append handler writes to; wrap it in group commit for throughput. */
  readonly events: Pick<EventStore, 'append'>;
  /** A message whose facts are not all stored by then is reported as failed (the device will retry). */
  readonly ackTimeoutMs?: number;
  /** Deliveries of the append rule in flight at once; they share group commits. */
  readonly concurrency?: number;
}

interface Waiting {
  /** Event ids of the message's facts not stored yet. */
  readonly remaining: Set<string>;
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class IngestTimeoutError extends Error {
  override name = 'IngestTimeoutError';
}

/**
 * The embedded ingestion path: decode → bus → append handler, with an acknowledgement that means
 * "every fact of this message is stored". `ingest` resolves once the append handler has stored (or
 * recognised as duplicates) all of the message's facts, so the broker can send PUBACK only then.
 */
export const createIngestionPipeline = ({ bus, events, ackTimeoutMs = 10_000, concurrency = 256 }: IngestionPipelineOptions) => {
  const handler = appendIngestedEvent({ events });
  const appendFact = appendIngestedFact({ events });
  const waiting = new Map<string, Waiting[]>();
  // Facts this pipeline decoded and validated, by message id, while the message waits for them.
  const ownFacts = new Map<string, readonly CheckedFact[]>();
  const stats = { messages: 0, facts: 0, rejected: 0, failed: 0 };

  /** A fact was stored (eventId) or the whole message failed (error). */
  const settle = (messageId: string, outcome: { stored: string } | { error: Error }) => {
    const list = waiting.get(messageId);
    if (!list) return;
    for (const w of [...list]) {
      if ('error' in outcome) w.reject(outcome.error);
      else if (w.remaining.delete(outcome.stored) && w.remaining.size === 0) w.resolve();
      else continue;
      clearTimeout(w.timer);
      list.splice(list.indexOf(w), 1);
    }
    if (list.length === 0) {
      waiting.delete(messageId);
      ownFacts.delete(messageId);
    }
  };

  /**
   * The fact this pipeline's own decode step produced for a delivered event, if it is still
   * waiting. Appending that typed, already validated value instead of the delivered copy skips a
   * second parse of the same data in the same process; any other event on the rule (another
   * module's, or one delivered after its message gave up) goes through the validating handler.
   */
  const ownFact = (event: EventBridgeEnvelope): CheckedFact | undefined => {
    const { messageId, eventId } = event.detail;
    if (typeof messageId !== 'string' || typeof eventId !== 'string') return undefined;
    const fact = ownFacts.get(messageId)?.find((f) => f.detail.eventId === eventId);
    return fact?.type === event['detail-type'] ? fact : undefined;
  };

  const unsubscribe = bus.subscribe({
    name: 'ingest-append',
    pattern: ingestRulePattern,
    maxConcurrency: concurrency,
    target: async (event: EventBridgeEnvelope) => {
      // A failure throws: the bus retries, and the waiting device learns only through the timeout.
      const own = ownFact(event);
      if (own) await appendFact(own.type, own.detail);
      else await handler(event as never, {} as Context);
      const { messageId, eventId } = event.detail;
      if (typeof messageId === 'string' && typeof eventId === 'string') settle(messageId, { stored: eventId });
    },
  });

  const ingest = async (message: DeviceMessage): Promise<void> => {
    const decoded = decodeDeviceFacts(message);
    const { messageId } = decoded;
    const entries = decoded.kind === 'facts' ? decoded.facts.map((f) => factEntry(f, message.receivedAt)) : [decoded.rejection];
    stats.messages++;
    stats.facts += entries.length;
    if (decoded.kind === 'rejected') stats.rejected++;
    // A redelivery while the first copy waits decodes to the same facts: either list serves both.
    else ownFacts.set(messageId, decoded.facts);
    const done = new Promise<void>((resolve, reject) => {
      const w: Waiting = {
        remaining: new Set(entries.map((e) => (e.Detail as { eventId: string }).eventId)),
        resolve,
        reject,
        timer: setTimeout(() => {
          stats.failed++;
          settle(messageId, { error: new IngestTimeoutError(`message ${messageId} from ${message.thingName} was not stored within ${ackTimeoutMs} ms`) });
        }, ackTimeoutMs),
      };
      const list = waiting.get(messageId) ?? [];
      list.push(w);
      waiting.set(messageId, list);
    });
    for (let i = 0; i < entries.length; i += MAX_ENTRIES_PER_PUT) {
      const result = await bus.put(entries.slice(i, i + MAX_ENTRIES_PER_PUT));
      if (result.FailedEntryCount > 0) {
        const reason = result.Entries.find((e) => e.ErrorCode)?.ErrorMessage ?? 'unknown';
        settle(messageId, { error: new Error(`the bus refused part of message ${messageId}: ${reason}`) });
      }
    }
    return done;
  };

  return {
    ingest,
    stats: () => ({ ...stats, pending: waiting.size }),
    stop: () => {
      unsubscribe();
      for (const id of [...waiting.keys()]) settle(id, { error: new Error('ingestion stopped before the message was stored') });
    },
  };
};

export type IngestionPipeline = ReturnType<typeof createIngestionPipeline>;
