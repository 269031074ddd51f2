import type { AppendRequest } from '../eventStore/eventStore.ts';
import { UNATTRIBUTED_STREAM } from '../ingestion/appendIngestedEvent.ts';
import { rejection } from '../ingestion/decodeDeviceMessage.ts';
import { currentDefinition } from '../../events/catalog/index.ts';
import { bridgeStreamId } from '../bootstrap/bootstrapStreams.ts';
import { bridgeActor } from '../shared/derivedEvent.ts';
import type { IngestDetail } from '../../schemas/bus/ingest.ts';

export interface BridgeRefusal {
  readonly bridgeId: string | undefined;
  readonly thingName: string | undefined;
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly receivedAt: Date;
  readonly messageId: string;
  readonly stage: 'topic' | 'decode' | 'validate' | 'unknown-device';
  readonly reason: string;
}

/**
 * A bridge message the backend could not use becomes MessageRejected, with its bytes and the
 * reason, exactly as a device's refused message does (the same builder), so nothing is dropped.
 * It is kept in the sending bridge's stream: the bridge sent it, whatever device it names.
 */
export const refusalAppend = (r: BridgeRefusal): AppendRequest => {
  const entry = rejection({ thingName: r.thingName, topic: r.topic, payload: r.payload, receivedAt: r.receivedAt }, r.messageId, r.stage, r.reason);
  const detail = entry.Detail as IngestDetail;
  return {
    streamId: r.bridgeId === undefined ? UNATTRIBUTED_STREAM : bridgeStreamId(r.bridgeId),
    expectedVersion: 'any',
    events: [
      {
        eventId: detail.eventId,
        type: 'MessageRejected',
        typeVersion: currentDefinition.get('MessageRejected')!.version,
        data: detail.data,
        actor: r.bridgeId === undefined ? { kind: 'system', id: 'bridge-messages' } : bridgeActor(r.bridgeId),
        correlationId: r.messageId,
      },
    ],
  };
};
