/**
 * Every way the broker says no. Each refusal is counted under one of these and logged once.
 * CONNACK codes are MQTT 3.1.1's: 3 server unavailable, 4 bad user name or password, 5 not authorized.
 */
export const REFUSAL_KINDS = [
  /** TLS handshake failed: no client certificate, one from another CA, expired, wrong protocol. No MQTT at all. */
  'tls-handshake',
  /** Plain-TCP dev listener: missing or wrong username/password (CONNACK 4). */
  'bad-credentials',
  /** Certificate revoked (CONNACK 5). */
  'revoked-certificate',
  /** Client id is not the certificate's CN / the thing name (CONNACK 5). */
  'client-id-mismatch',
  /** Certificate chains to the CA but the registry does not know it, or knows it under another name (CONNACK 5). */
  'unknown-certificate',
  /** The registry lookup failed (CONNACK 3): the client may retry. */
  'lookup-failed',
  /** The principal's policy document could not be compiled (CONNACK 5); see the log. */
  'policy-invalid',
  /** The policy does not allow iot:Connect for this client id (CONNACK 5). */
  'connect-denied',
  /** iot:Publish denied: MQTT 3.1.1 has no PUBACK error, so the connection is dropped. */
  'publish-denied',
  /** A last will on a topic the client may not publish to: the will is dropped. */
  'will-denied',
  /** iot:Subscribe denied: SUBACK 0x80 for that filter, the connection stays. */
  'subscribe-denied',
  /** iot:Receive denied: the message is not delivered to that subscriber. */
  'receive-denied',
] as const;

export type RefusalKind = (typeof REFUSAL_KINDS)[number];

export interface BrokerStats {
  /** Connections that completed CONNECT and got CONNACK 0. */
  readonly accepted: number;
  /** Authenticated clients connected right now. */
  readonly connected: number;
  /** Client messages handed to onPublish handlers. */
  readonly delivered: number;
  /** onPublish handlers that threw or rejected (logged; the message was already acknowledged). */
  readonly handlerErrors: number;
  readonly refusals: Readonly<Record<RefusalKind, number>>;
}

export const emptyRefusals = (): Record<RefusalKind, number> =>
  Object.fromEntries(REFUSAL_KINDS.map((k) => [k, 0])) as Record<RefusalKind, number>;
