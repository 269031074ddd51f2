import middy from '@middy/core';
import { currentDefinition } from '../../events/catalog/index.ts';
import { streamIdFor } from '../../events/envelope.ts';
import { IngestEnvelope, type IngestDetail, type IngestDetailType } from '../../schemas/bus/ingest.ts';
import type { EventStore } from '../eventStore/eventStore.ts';
import { parseInput } from '../shared/middleware/parseInput.ts';

export interface AppendIngestedDeps {
  readonly events: Pick<EventStore, 'append'>;
}

export interface AppendIngestedResult {
  readonly status: 'appended' | 'duplicate';
  readonly streamId: string;
  readonly position: number;
}

/** Where a fact without a device (a message from an unidentified sender) is kept. */
export const UNATTRIBUTED_STREAM = 'rejected-unattributed';

/**
 * Appends one device fact to its device's stream; the event id makes a redelivery a no-op. Its
 * input must already be valid: the handler below parses bus events into it, and the embedded
 * pipeline hands it facts its own decode step has just validated (`CheckedFact`).
 */
export const appendIngestedFact =
  (deps: AppendIngestedDeps) =>
  async (type: IngestDetailType, detail: IngestDetail): Promise<AppendIngestedResult> => {
    const { eventId, thingName, messageId, data } = detail;
    const streamId = thingName === undefined ? UNATTRIBUTED_STREAM : streamIdFor.device(thingName);
    const result = await deps.events.append({
      streamId,
      expectedVersion: 'any',
      events: [
        {
          eventId,
          type,
          typeVersion: currentDefinition.get(type)!.version,
          data,
          actor: thingName === undefined ? { kind: 'system', id: 'ingestion' } : { kind: 'device', id: thingName },
          correlationId: messageId,
        },
      ],
    });
    return { status: result.status, streamId, position: result.events[0]!.streamPosition };
  };

/**
 * The append handler for device facts from the decode step: the same code runs as the Lambda
 * target of the EventBridge rule and as the embedded bus's subscriber. It validates the bus event
 * (a trust boundary) and appends the fact to the device's stream.
 */
export const appendIngestedEvent = (deps: AppendIngestedDeps) => {
  const appendFact = appendIngestedFact(deps);
  return middy<IngestEnvelope, AppendIngestedResult>()
    .use(parseInput(IngestEnvelope, 'ingest bus event'))
    .handler((event) => appendFact(event['detail-type'], event.detail));
};
