import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { claimKey } from '../eventStore/dynamoTableDesign.ts';
import { MAX_EVENTS_PER_APPEND, type EventStore } from '../eventStore/eventStore.ts';
import type { RejectedPayload } from './deviceReadModel.ts';
import { rejectedPayloadOf } from './rejectedPayload.ts';

export interface DynamoRejectedPayloadsDeps {
  readonly client: Pick<DynamoDBDocumentClient, 'send'>;
  /** The event store table (ADR 0002), whose claim items say where each event id is stored. */
  readonly eventStoreTable: string;
  readonly events: Pick<EventStore, 'readStream'>;
}

/**
 * The kept bytes of rejected messages, by event id, on the DynamoDB event store. The rejections
 * table keeps no bytes (a payload is up to 128 KiB) and the EventStore port has no read by id, so
 * this reads the store's own index of ids: the claim item `$event#<id>` (dynamoEventClaims.ts)
 * names the stream and, once committed, the position; a claim its writer never confirmed holds
 * the head the writer read, and the event, if it was stored, is in the one commit after it.
 */
export const dynamoRejectedPayloads =
  (deps: DynamoRejectedPayloadsDeps) =>
  async (eventIds: readonly string[]): Promise<ReadonlyMap<string, RejectedPayload>> => {
    const found = await Promise.all(
      eventIds.map(async (eventId): Promise<[string, RejectedPayload | undefined]> => {
        const claim = (await deps.client.send(new GetCommand({ TableName: deps.eventStoreTable, Key: claimKey(eventId) }))).Item;
        if (!claim || typeof claim.streamId !== 'string') return [eventId, undefined];
        const position = Number(claim.position);
        const read =
          claim.state === 'committed' && Number.isSafeInteger(position)
            ? { from: position, limit: 1 }
            : { from: Number(claim.headAtClaim ?? 0) + 1, limit: MAX_EVENTS_PER_APPEND };
        const events = await deps.events.readStream(claim.streamId, read);
        return [eventId, rejectedPayloadOf(events.find((e) => e.eventId === eventId))];
      }),
    );
    return new Map(found.filter((f): f is [string, RejectedPayload] => f[1] !== undefined));
  };
