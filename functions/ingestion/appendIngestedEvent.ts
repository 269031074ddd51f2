import middy from '@middy/core';
import { currentDefinition } from '../../events/catalog/index.ts';
import { streamIdFor } from '../../events/envelope.ts';
import { IngestEnvelope } from '../../schemas/bus/ingest.ts';
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
 * The append handler for device facts from the decode step: the same code runs as the Lambda
 * target of the EventBridge rule and as the embedded bus's subscriber. It validates the bus event
 * (a trust boundary) and appends the fact to the device's stream; the event id makes a redelivery
 * a no-op.
 */
export const appendIngestedEvent = (deps: AppendIngestedDeps) =>
  middy<IngestEnvelope, AppendIngestedResult>()
    .use(parseInput(IngestEnvelope, 'ingest bus event'))
    .handler(async (event) => {
      const type = event['detail-type'];
      const { eventId, thingName, messageId, data } = event.detail;
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
    });
