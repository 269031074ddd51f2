import type { AppendRequest } from '../eventStore/eventStore.ts';
import { bridgeStreamId, deviceStreamId } from '../bootstrap/bootstrapStreams.ts';
import { bridgeActor, derivedEvent } from '../shared/derivedEvent.ts';
import type { BridgeMessageResult, Handling } from './handleBridgeMessage.ts';
import type { ReadBridgeMessage } from './readBridgeMessage.ts';

/** Streams per appendBatch: a bridge may hold thousands of devices. */
const BATCH = 100;

/**
 * A bridge's status: online is recorded; offline (the bridge's last will, or its own goodbye) also
 * ends the session of every device it held, since commands cannot reach them through it any more.
 * Each loss is its own fact in the device's stream, with an id from the session it ends, so a
 * repeated offline changes nothing while a new session, once lost, is recorded again.
 */
export const sessionsLost = async (h: Handling, read: Extract<ReadBridgeMessage, { kind: 'status' }>): Promise<BridgeMessageResult> => {
  const { bridgeId, body } = read;
  const at = body.at ?? h.receivedAt.toISOString();
  const actor = bridgeActor(bridgeId);
  const held = body.status === 'offline' ? await h.deps.sessionsHeldBy(bridgeId) : [];
  const losses: AppendRequest[] = held.map((s) => ({
    streamId: deviceStreamId(s.thingName),
    expectedVersion: 'any',
    events: [
      derivedEvent('DeviceSessionLost', { thingName: s.thingName, endpoint: s.endpoint, bridgeId, reason: 'bridge-offline', at }, [s.thingName, bridgeId, s.lastUpdateAt], actor, h.messageId),
    ],
  }));
  const status = derivedEvent(
    'BridgeStatusChanged',
    {
      bridgeId,
      status: body.status,
      at,
      ...(body.lwm2mEndpoints === undefined ? {} : { lwm2mEndpoints: body.lwm2mEndpoints }),
      ...(body.status === 'offline' ? { devicesLost: held.length } : {}),
    },
    [h.messageId],
    actor,
    h.messageId,
  );
  // The bridge's own event goes last: once it is stored, every loss it counts is too.
  const requests = [...losses, { streamId: bridgeStreamId(bridgeId), expectedVersion: 'any' as const, events: [status] }];
  for (let i = 0; i < requests.length; i += BATCH) {
    for (const outcome of await h.deps.events.appendBatch(requests.slice(i, i + BATCH))) if (!outcome.ok) throw outcome.error;
  }
  return { outcome: 'recorded', events: [...losses.map(() => 'DeviceSessionLost'), 'BridgeStatusChanged'] };
};
