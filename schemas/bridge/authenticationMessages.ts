import { z } from 'zod';
import { IsoTime, ThingName } from '../../events/catalog/common.ts';
import { AUTHENTICATION_FAILURE_REASONS, AuthenticationEndpoint, AuthenticationIdentity, AuthenticationRemote } from '../../events/catalog/deviceAuthentication.ts';

/**
 * Published on `dt/lwm2m-bridge/<bridgeId>/auth-failed` by a bridge whose LwM2M server refused
 * peers that could not prove they are devices (wrong PSK, unknown PSK identity, a session
 * registering under another device's endpoint name). It carries what `DeviceAuthenticationFailed`
 * records, less the bridge id (the topic and the sender's certificate say it): the backend appends
 * that event from it. Rate limited on the bridge as the embedded recorder is
 * (functions/dtls/authenticationFailureLimiter.ts): one message at an identity's first attempt, then
 * at most one per window summing the rest up.
 *
 * Never key material: the identity is what the peer claimed in the clear, printable.
 */
export const BridgeAuthenticationFailed = z.strictObject({
  /** The device the claimed identity (or the session) belongs to, when the bridge's PSK lookup found it. */
  thingName: ThingName.optional(),
  /** The PSK identity claimed, as printable ASCII (other bytes `\xNN`, `\` as `\\`). */
  identity: AuthenticationIdentity,
  reason: z.enum(AUTHENTICATION_FAILURE_REASONS),
  transport: z.literal('coaps'),
  /** Where the (last) attempt came from. */
  remote: AuthenticationRemote,
  /** endpoint-mismatch: the endpoint name the session tried to register as. */
  endpoint: AuthenticationEndpoint.optional(),
  /** Refused attempts this message stands for: 1 at the first, more when a window sums them up. */
  attempts: z.number().int().positive(),
  firstAttemptAt: IsoTime,
  lastAttemptAt: IsoTime,
});
export type BridgeAuthenticationFailed = z.infer<typeof BridgeAuthenticationFailed>;
