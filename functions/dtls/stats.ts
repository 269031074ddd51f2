/** Why a handshake ended without a session. Each is counted in `stats().handshakes.failed`. */
export const HANDSHAKE_FAILURES = [
  /** The client's identity is unknown to pskLookup: unknown_psk_identity alert (RFC 4279 §2). */
  'unknown_psk_identity',
  /** The client's Finished record did not authenticate: almost always a wrong key (bad_record_mac alert). */
  'bad_record_mac',
  /** The Finished verify_data did not match (decrypt_error alert, RFC 5246 §7.4.9). */
  'bad_finished',
  /** No cipher suite, group or compression in common, or a required extension missing (handshake_failure). */
  'no_shared_parameters',
  /** The client only speaks DTLS 1.0 (protocol_version alert). */
  'protocol_version',
  /** A message did not parse or broke a rule of its RFC (decode_error / illegal_parameter / unexpected_message). */
  'malformed_message',
  /** pskLookup threw or rejected (internal_error alert): look at the server's 'error' events. */
  'psk_lookup_error',
  /** The client went quiet: every retransmission of our flight went unanswered. */
  'timeout',
  /** The client sent a fatal alert. */
  'peer_alert',
  /** A new ClientHello from the same address replaced this handshake (the client restarted). */
  'superseded',
  /** The server was closed while the handshake was running. */
  'server_closed',
] as const;
export type HandshakeFailure = (typeof HANDSHAKE_FAILURES)[number];

/** Why a datagram or record was dropped without an answer (RFC 6347 §4.1.2.7: invalid records are discarded). */
export const DROP_REASONS = [
  /** A record header that is truncated, not DTLS, of an unknown content type or too long: the rest of the datagram goes too. */
  'malformed_record',
  /** A handshake fragment or message that does not parse or does not fit the reassembly limits. */
  'malformed_handshake',
  /** A ClientHello in pieces before the cookie exchange: reassembling it would mean keeping state for an unverified address. */
  'fragmented_client_hello',
  /** Anything but a ClientHello from an address with no session or handshake. */
  'no_association',
  /** A protected record for an epoch we have no keys for. */
  'bad_epoch',
  /** A record number seen before or older than the anti-replay window (RFC 6347 §4.1.2.6). */
  'replayed',
  /** A protected record that did not authenticate (RFC 6347 §4.1.2.7: discarded silently). */
  'bad_record_mac',
  /** A record type that makes no sense where it came (application data in epoch 0 or before Finished). */
  'unexpected_record',
  /** A plaintext alert aimed at an established session: anyone could have sent it. */
  'unauthenticated_alert',
  /** A verified ClientHello refused by maxHandshakes or maxHandshakesPerAddress. */
  'handshake_limit',
  /** A verified ClientHello refused because maxSessions are open. */
  'session_limit',
  /** More early epoch-1 records than a handshake holds while it waits for its keys. */
  'queue_full',
  /** A late copy of a finished handshake's messages. */
  'stale_handshake',
  /** An authentic record whose plaintext exceeds 2^14 bytes (RFC 5246 §6.2.1). */
  'plaintext_too_long',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** Why an established session ended. */
export const CLOSE_REASONS = ['local', 'peer_close_notify', 'peer_alert', 'idle', 'replaced', 'server_closed', 'sequence_exhausted'] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];

export interface DtlsServerStats {
  readonly handshakes: {
    readonly completed: number;
    /** Of the completed ones, how many were abbreviated (session resumption). */
    readonly resumed: number;
    readonly failed: Readonly<Record<HandshakeFailure, number>>;
  };
  readonly helloVerifyRequestsSent: number;
  readonly alertsSent: Readonly<Record<string, number>>;
  readonly alertsReceived: Readonly<Record<string, number>>;
  readonly recordsDropped: Readonly<Record<DropReason, number>>;
  readonly sessionsClosed: Readonly<Record<CloseReason, number>>;
  readonly sessionsOpen: number;
  readonly handshakesInProgress: number;
  readonly datagramsReceived: number;
  readonly sendErrors: number;
}

const zeros = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

/** The mutable counters behind `stats()`. */
export class StatsCounters {
  completed = 0;
  resumed = 0;
  readonly failed = zeros(HANDSHAKE_FAILURES);
  helloVerifyRequestsSent = 0;
  readonly alertsSent: Record<string, number> = {};
  readonly alertsReceived: Record<string, number> = {};
  readonly dropped = zeros(DROP_REASONS);
  readonly closed = zeros(CLOSE_REASONS);
  datagramsReceived = 0;
  sendErrors = 0;

  drop(reason: DropReason) {
    this.dropped[reason]++;
  }

  alertSent(name: string) {
    this.alertsSent[name] = (this.alertsSent[name] ?? 0) + 1;
  }

  alertReceived(name: string) {
    this.alertsReceived[name] = (this.alertsReceived[name] ?? 0) + 1;
  }

  snapshot(sessionsOpen: number, handshakesInProgress: number): DtlsServerStats {
    return {
      handshakes: { completed: this.completed, resumed: this.resumed, failed: { ...this.failed } },
      helloVerifyRequestsSent: this.helloVerifyRequestsSent,
      alertsSent: { ...this.alertsSent },
      alertsReceived: { ...this.alertsReceived },
      recordsDropped: { ...this.dropped },
      sessionsClosed: { ...this.closed },
      sessionsOpen,
      handshakesInProgress,
      datagramsReceived: this.datagramsReceived,
      sendErrors: this.sendErrors,
    };
  }
}
