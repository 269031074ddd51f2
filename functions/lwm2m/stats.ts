/**
 * Every way the server says no to what a peer sent, each with what the peer gets back. Each
 * rejection is counted under its kind and logged (throttled per kind, see rejectionLog.ts).
 */
export const REJECTION_KINDS = [
  /** RFC 7252 §4.2/4.3 message format error: RST to a CON, anything else silently dropped. */
  'malformed-message',
  /** CoAP version other than 1: silently ignored (RFC 7252 §3). */
  'unsupported-version',
  /** A datagram over `maxDatagramBytes`: 4.13 to a request, dropped otherwise. */
  'oversized-message',
  /** Unrecognized critical option: 4.02 to a CON request, RST to a NON (RFC 7252 §5.4.1). */
  'bad-option',
  /** Proxy-Uri/Proxy-Scheme: 5.05 Proxying Not Supported (RFC 7252 §5.7.2). */
  'proxy-request',
  /** A response, ACK or RST nobody is waiting for: RST to a CON/NON response, ACK/RST dropped. */
  'unexpected-message',
  /** A Block1 body with a gap or a missing block 0: 4.08 Request Entity Incomplete (RFC 7959 §2.9.2). */
  'incomplete-body',
  /** A body over `maxBodyBytes` (in one datagram or in blocks): 4.13 with Size1 (RFC 7959 §2.9.3). */
  'body-too-large',
  /** A Block1 block whose size does not match its SZX: 4.00. */
  'bad-block',
  /** A URI the server does not serve: 4.04. */
  'not-found',
  /** A method the URI does not take: 4.05. */
  'method-not-allowed',
  /** Register/Update query broken: no `ep`, bad `lt`/`b`/`lwm2m`, unknown parameter: 4.00. */
  'bad-registration',
  /** The registration body is not RFC 6690 link format, or over its limits: 4.00. */
  'bad-link-format',
  /** `lwm2m=` names a version this server does not speak: 4.12 Precondition Failed. */
  'unsupported-lwm2m-version',
  /** A Content-Format the operation does not take: 4.15. */
  'unsupported-content-format',
  /** Update or De-register of a location that does not exist (expired, replaced, never was): 4.04. */
  'unknown-registration',
  /**
   * A Register whose endpoint name is not the authenticated identity's (DTLS), or that would replace
   * a registration made under another identity (plain CoAP included): 4.03 Forbidden.
   */
  'identity-mismatch',
  /** Too many Register requests from one address: 5.03 with Max-Age (RFC 7252 §5.9.3.4). */
  'rate-limited',
  /** `maxRegistrations` reached: 5.03 with Max-Age. */
  'server-full',
  /** Send (POST /dp) from an address with no registration: 4.00 (Transport Table 6.7-4). */
  'send-not-registered',
  /** Send with no payload: 4.00. */
  'bad-send',
  /** A request handler threw: 5.00 (a bug; logged as an error). */
  'handler-error',
] as const;

export type RejectionKind = (typeof REJECTION_KINDS)[number];

export interface Lwm2mServerStats {
  readonly datagramsReceived: number;
  readonly datagramsSent: number;
  /** Sends the operating system refused (logged). */
  readonly sendFailures: number;
  /** Requests from devices answered (any code), duplicates excluded. */
  readonly requestsHandled: number;
  /** Retransmitted CON/NON the duplicate cache answered or dropped without processing. */
  readonly duplicates: number;
  /** CoAP pings (Empty CON), answered with RST (RFC 7252 §4.3). */
  readonly pings: number;
  /** Registrations alive now. */
  readonly registrations: number;
  readonly registered: number;
  readonly updated: number;
  readonly deregistered: number;
  readonly expired: number;
  /** Registrations replaced by a new Register with the same endpoint name. */
  readonly replaced: number;
  /** Requests sent to devices (each block of a block-wise transfer counts once). */
  readonly requestsSent: number;
  readonly retransmissions: number;
  /** Requests that got no ACK after every retransmission, or no separate/NON response in time. */
  readonly timeouts: number;
  /** Requests a device answered with RST. */
  readonly resets: number;
  /** Observations alive now. */
  readonly observations: number;
  readonly notifications: number;
  /** Notifications older than one already seen (RFC 7641 §3.4): acknowledged, not delivered. */
  readonly staleNotifications: number;
  /** Notifications dropped because an observation's stream buffer was full (oldest first). */
  readonly notificationsDropped: number;
  readonly sends: number;
  /** Requests waiting now (queue mode, or behind NSTART). */
  readonly queuedRequests: number;
  readonly queueExpired: number;
  readonly queueFull: number;
  /** Event listeners that threw or rejected (logged; other listeners still ran). */
  readonly listenerErrors: number;
  readonly rejected: Readonly<Record<RejectionKind, number>>;
}

export type MutableStats = { -readonly [K in keyof Omit<Lwm2mServerStats, 'rejected' | 'registrations' | 'queuedRequests' | 'observations'>]: number } & {
  rejected: Record<RejectionKind, number>;
};

export const emptyStats = (): MutableStats => ({
  datagramsReceived: 0,
  datagramsSent: 0,
  sendFailures: 0,
  requestsHandled: 0,
  duplicates: 0,
  pings: 0,
  registered: 0,
  updated: 0,
  deregistered: 0,
  expired: 0,
  replaced: 0,
  requestsSent: 0,
  retransmissions: 0,
  timeouts: 0,
  resets: 0,
  notifications: 0,
  staleNotifications: 0,
  notificationsDropped: 0,
  sends: 0,
  queueExpired: 0,
  queueFull: 0,
  listenerErrors: 0,
  rejected: Object.fromEntries(REJECTION_KINDS.map((k) => [k, 0])) as Record<RejectionKind, number>,
});
