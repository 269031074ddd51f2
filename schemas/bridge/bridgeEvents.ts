import { z } from 'zod';
import { IsoTime } from '../../events/catalog/common.ts';

/**
 * What a bridge publishes about the devices its LwM2M server holds, on
 * `dt/lwm2m-bridge/<bridgeId>/<event>/<thingName>` (schemas/topics). The thing name in the topic
 * is the device's LwM2M endpoint name; the bridge never invents one.
 *
 * `notify` and `send` carry the device's data as `application/senml+cbor` (the same packs devices
 * publish on `dt/lwm2m/<thing>/state`), so ingestion decodes them unchanged; every other event is
 * one of the JSON documents below.
 */

/** An LwM2M endpoint name: the thing name, 1-128 of AWS's thing-name characters. */
export const Endpoint = z.string().regex(/^[a-zA-Z0-9:_-]{1,128}$/, 'an endpoint name is 1-128 of a-z A-Z 0-9 : _ -');

/** Register: a device registered, or re-registered (maybe from a new address). */
export const BridgeRegister = z.strictObject({
  endpoint: Endpoint,
  /** The LwM2M version the client declared (`lwm2m=`), 1.0 when it declared none. */
  lwm2mVersion: z.string().max(8),
  lifetimeSeconds: z.number().int().positive(),
  /** `b=`: U, UQ (1.0 queue mode), S, N ... */
  bindingMode: z.string().max(8).optional(),
  queueMode: z.boolean(),
  /** The registration's CoRE link format, as the device sent it. */
  objectLinks: z.string().max(4096),
  /** The registration's location on the LwM2M server (`/rd/<id>`). */
  location: z.string().max(64),
  registeredAt: IsoTime,
  /** The transport the device registered over: plain coap (development) or coaps (DTLS). */
  transport: z.enum(['coap', 'coaps']),
});
export type BridgeRegister = z.infer<typeof BridgeRegister>;

/** Update: lifetime, binding or the object list changed (or just a heartbeat). */
export const BridgeUpdate = z.strictObject({
  endpoint: Endpoint,
  lifetimeSeconds: z.number().int().positive().optional(),
  bindingMode: z.string().max(8).optional(),
  objectLinks: z.string().max(4096).optional(),
  updatedAt: IsoTime,
});
export type BridgeUpdate = z.infer<typeof BridgeUpdate>;

/** De-register: the device left, or its lifetime ran out without an update. */
export const BridgeDeregister = z.strictObject({
  endpoint: Endpoint,
  reason: z.enum(['deregistered', 'lifetime-expired']),
  at: IsoTime,
});
export type BridgeDeregister = z.infer<typeof BridgeDeregister>;

/** Bootstrap-Request: the device asked for credentials (or registered without them). */
export const BridgeBootstrapRequest = z.strictObject({
  endpoint: Endpoint,
  at: IsoTime,
  /** Whether the device's LwM2M session is authenticated as this endpoint (DTLS PSK), not merely claimed. */
  authenticated: z.boolean(),
});
export type BridgeBootstrapRequest = z.infer<typeof BridgeBootstrapRequest>;

/** How delivering credentials to the device went: every write to object 18830 succeeded, or the first LwM2M error. */
export const BridgeBootstrapResult = z.strictObject({
  endpoint: Endpoint,
  /** Echoes the delivery's requestId, so the backend matches result and delivery. */
  requestId: z.string().min(1).max(64),
  ok: z.boolean(),
  /** The LwM2M (CoAP) response code of the last write, e.g. "2.04", "4.04", or "timeout". */
  lwm2mCode: z.string().min(1).max(16),
  message: z.string().max(500).optional(),
  at: IsoTime,
});
export type BridgeBootstrapResult = z.infer<typeof BridgeBootstrapResult>;

/** Retained on `dt/lwm2m-bridge/<bridgeId>/status`: `online` when connected, `offline` as its last will. */
export const BridgeStatus = z.strictObject({
  bridgeId: z.string().min(1).max(63),
  status: z.enum(['online', 'offline']),
  at: IsoTime.optional(),
  /** Where devices reach this bridge's LwM2M server, e.g. coap://host:5683. */
  lwm2mEndpoints: z.array(z.string().max(200)).max(4).optional(),
});
export type BridgeStatus = z.infer<typeof BridgeStatus>;

/** The JSON schema of each JSON bridge event, by the event's topic level. */
export const BRIDGE_EVENT_SCHEMAS = {
  register: BridgeRegister,
  update: BridgeUpdate,
  deregister: BridgeDeregister,
  'bootstrap-request': BridgeBootstrapRequest,
  'bootstrap-result': BridgeBootstrapResult,
} as const;
