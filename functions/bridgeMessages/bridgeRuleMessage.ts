import { z } from 'zod';

/**
 * One message a bridge published, as the IoT rules on `dt/lwm2m-bridge/+/+/+`,
 * `dt/lwm2m-bridge/+/status` and `dt/lwm2m-bridge/+/auth-failed`
 * (infra/cdk/constructs/bridgeTraffic.ts) hand it to a Lambda:
 *
 *   SELECT topic() AS topic, clientid() AS clientId, encode(*, 'base64') AS payloadBase64,
 *          timestamp() AS receivedAt FROM '<filter>'
 *
 * and as the embedded broker's onPublish hands it over (embeddedBridgeMessages.ts). The payload is
 * base64 because a Lambda action cannot carry raw bytes (notify and send are SenML CBOR).
 */
export const BridgeRuleMessage = z.object({
  topic: z.string().min(1).max(256),
  /** The sender: `bridge:<bridgeId>`. The bridge policy allows no other client id for its certificate. */
  clientId: z.string().min(1).max(128),
  payloadBase64: z.string().max(200_000).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be standard base64'),
  /** Milliseconds since the epoch, when the broker received the message. */
  receivedAt: z.number().int().nonnegative(),
  /** Embedded only: client id + MQTT packet id, equal for a redelivery of the same message. */
  deliveryKey: z.string().min(1).max(200).optional(),
});
export type BridgeRuleMessage = z.infer<typeof BridgeRuleMessage>;
