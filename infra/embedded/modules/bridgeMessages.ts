import type { Context } from 'aws-lambda';
import { deviceSessionsProjection } from '../../../events/projections/deviceSessions.ts';
import type { InboundMessage } from '../../../functions/broker/embeddedBroker.ts';
import { refusalAppend } from '../../../functions/bridgeMessages/bridgeRefusal.ts';
import { embeddedBridgePorts, toRuleMessage } from '../../../functions/bridgeMessages/embeddedBridgeMessages.ts';
import { handleBridgeMessage, type BridgeMessageResult } from '../../../functions/bridgeMessages/handleBridgeMessage.ts';
import { ingestThroughBus } from '../../../functions/bridgeMessages/ingestThroughBus.ts';
import { MessageOrder } from '../../../functions/bridgeMessages/messageOrder.ts';
import { withGroupCommit } from '../../../functions/eventStore/groupCommit.ts';
import { messageIdOf } from '../../../functions/ingestion/decodeDeviceMessage.ts';
import { InputValidationError } from '../../../functions/shared/middleware/parseInput.ts';
import type { RunningModule } from '../runtime.ts';
import type { SystemModule } from '../system.ts';

export interface RunningBridgeMessages extends RunningModule {
  /** Told how every bridge message was handled, after its facts are stored (tests wait on it). */
  onHandled(listener: (result: BridgeMessageResult, message: InboundMessage) => void): () => void;
}

/**
 * What the backend does with bridges' MQTT messages, embedded: the broker's onPublish for bridge
 * identities runs the same handler as the Lambda behind the IoT rule (functions/bridgeMessages),
 * and the device-sessions projection folds the facts it appends. Command answers on
 * `cmd/lwm2m/+/res/+` are the commands module's. Registrations that need credentials start the
 * bootstrap workflow, so the bootstrap module must be in the system too.
 *
 * A bridge keeps many messages in flight, and the broker hands over a burst of them at once: they
 * are handled concurrently across devices (their appends share one group commit) and one after
 * another per device (functions/bridgeMessages/messageOrder.ts), so a device's facts keep the
 * order its bridge sent them. The broker still acknowledges each message only once it is handled,
 * in the order it arrived.
 */
export const bridgeMessagesModule = (onStarted?: (m: RunningBridgeMessages) => void): SystemModule => ({
  name: 'bridge-messages',
  projections: [deviceSessionsProjection],
  create: ({ broker, workflows }) => ({
    name: 'bridge-messages',
    start(ctx) {
      // The broker hands over a burst of a bridge's messages at once: their appends share one commit.
      const events = withGroupCommit(ctx.events);
      const handler = handleBridgeMessage(
        embeddedBridgePorts({ events, projectionStore: ctx.projectionStore, projections: ctx.projections, ingest: ingestThroughBus(ctx.bus), workflows }),
      );
      const order = new MessageOrder();
      const listeners = new Set<(result: BridgeMessageResult, message: InboundMessage) => void>();
      const handle = async (m: InboundMessage): Promise<BridgeMessageResult> => {
        const receivedAt = ctx.clock.now();
        const message = toRuleMessage(m, receivedAt);
        try {
          return await handler(message, {} as Context);
        } catch (error) {
          // Only a message beyond what an IoT rule could carry (the rule's own bounds) gets here: it is kept, not dropped.
          if (!(error instanceof InputValidationError)) throw error;
          const messageId = messageIdOf({ thingName: message.clientId, topic: m.topic, payload: m.payload, deliveryKey: message.deliveryKey });
          await events.append(
            refusalAppend({ bridgeId: m.identity.bridgeId, thingName: undefined, topic: m.topic, payload: m.payload, receivedAt, messageId, stage: 'validate', reason: error.message }),
          );
          return { outcome: 'rejected', events: ['MessageRejected'] };
        }
      };
      const handleAndTell = async (m: InboundMessage): Promise<void> => {
        const result = await handle(m);
        for (const listener of listeners) listener(result, m);
      };
      const unsubscribe = broker.onPublish((m) => {
        if (m.identity.kind !== 'bridge' || m.route?.kind === 'command-response') return;
        // One device's messages in the order they came, many devices at once; anything else (a bridge's status) alone.
        const route = m.route;
        return route?.kind === 'bridge-event' ? order.forKey(route.thingName, () => handleAndTell(m)) : order.alone(() => handleAndTell(m));
      });
      const running: RunningBridgeMessages = {
        onHandled(listener) {
          listeners.add(listener);
          return () => void listeners.delete(listener);
        },
        // Nothing new arrives once unsubscribed; what was handed over finishes (the broker acknowledges it then).
        stop: async () => {
          unsubscribe();
          await order.alone(() => Promise.resolve());
        },
      };
      onStarted?.(running);
      return Promise.resolve(running);
    },
  }),
});
