import { z } from 'zod';
import { Endpoint } from './bridgeEvents.ts';

/**
 * Credentials for one device, from the backend (the bootstrap workflow's delivery task) to the one
 * bridge that holds it, on `cmd/lwm2m-bridge/<bridgeId>/bootstrap/<thingName>` (schemas/topics).
 * The bridge writes them to the device's object 18830 "MQTT Broker" and answers with a
 * `bootstrap-result` bridge event. It carries a private key: never retained, never logged, QoS 1,
 * and only that bridge may subscribe (functions/registry/devicePolicy.ts).
 */
export const BootstrapDelivery = z.strictObject({
  endpoint: Endpoint,
  /** Echoed in the bootstrap-result, so the backend matches the answer to this delivery. */
  requestId: z.string().min(1).max(64),
  /** Where the device connects with these credentials, e.g. mqtts://broker.example:8883. */
  brokerUri: z.string().min(1).max(512),
  /** The MQTT client id: the thing name (the policy pins topics to it). */
  clientId: z.string().min(1).max(128),
  securityMode: z.literal('certificate'),
  certificatePem: z.string().min(1).max(16_384),
  privateKeyPem: z.string().min(1).max(16_384),
  /** The CA the device must trust for the broker's server certificate. */
  trustAnchorPem: z.string().min(1).max(16_384),
  /** After this the bridge does not deliver (the device may have gone; the workflow has moved on). */
  expiresAt: z.iso.datetime({ offset: true }),
});
export type BootstrapDelivery = z.infer<typeof BootstrapDelivery>;
