import { cipherSuiteByName, type CipherSuiteName } from './cipherSuites.ts';
import type { GroupName } from './ecdhe.ts';
import type { HandshakeSettings } from './handshake.ts';

export interface DtlsServerOptions {
  /** Server preference order. Default: CCM_8 (RFC 7925's mandatory suite), ECDHE_PSK CBC, PSK CBC. */
  readonly cipherSuites?: readonly CipherSuiteName[];
  /** ECDHE groups allowed for ECDHE_PSK; the client's order decides among them. Default x25519, secp256r1. */
  readonly groups?: readonly GroupName[];
  /** psk_identity_hint (RFC 4279 §5.2). RFC 7925 §4.2 advises against it; sent only when set. */
  readonly identityHint?: Buffer;
  /** Refuse clients without extended_master_secret (RFC 7627 §5.2 allows either). Default false. */
  readonly requireExtendedMasterSecret?: boolean;
  /** Largest datagram we send (RFC 6347 §4.1.1.1). Default 1200, safe on IPv6 and most tunnels. */
  readonly mtu?: number;
  /** First retransmission timeout (RFC 6347 §4.2.4.1: 1 s). */
  readonly retransmitInitialMs?: number;
  /** Ceiling of the doubling timeout (RFC 6347 §4.2.4.1: 60 s). */
  readonly retransmitMaxMs?: number;
  /** Retransmissions of one flight before the handshake is abandoned. Default 5. */
  readonly maxRetransmits?: number;
  /** Hard limit on one handshake's life, whatever it waits for (a slow pskLookup included). Default 90 s. */
  readonly handshakeTimeoutMs?: number;
  /** Cookie secret rotation period; the previous secret stays valid one more period. Default 60 s. */
  readonly cookieRotationMs?: number;
  /** Handshakes past the cookie exchange at once, all peers together. Default 1000. */
  readonly maxHandshakes?: number;
  /** Handshakes at once from one IP address (any port). Default 32: NAT gateways put many devices behind one address. */
  readonly maxHandshakesPerAddress?: number;
  /** Established sessions at once. Default 100,000. */
  readonly maxSessions?: number;
  /** A session with no authenticated record from the peer for this long is closed (close_notify sent). Default 1 h. */
  readonly idleTimeoutMs?: number;
  /** Session-id cache for abbreviated handshakes; false disables resumption. Default 10,000 entries, 24 h. */
  readonly sessionCache?: false | { readonly maxEntries: number; readonly ttlMs: number };
  /** Largest handshake message accepted from a client. Default 2048 bytes. */
  readonly maxHandshakeMessageLength?: number;
  /** Anti-replay window in records (RFC 6347 §4.1.2.6). Default 64. */
  readonly replayWindowSize?: number;
}

export interface ResolvedOptions {
  readonly handshake: HandshakeSettings;
  readonly handshakeTimeoutMs: number;
  readonly cookieRotationMs: number;
  readonly maxHandshakes: number;
  readonly maxHandshakesPerAddress: number;
  readonly maxSessions: number;
  readonly idleTimeoutMs: number;
  readonly sessionCache: false | { readonly maxEntries: number; readonly ttlMs: number };
}

const positive = (name: string, value: number | undefined, fallback: number, min = 1): number => {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < min) throw new RangeError(`DTLS option ${name} must be a number >= ${min}, got ${String(value)}`);
  return v;
};

/** Fills in defaults and refuses values that cannot work, naming the option and the fix. */
export const resolveOptions = (o: DtlsServerOptions = {}): ResolvedOptions => {
  const suites = (o.cipherSuites ?? ['TLS_PSK_WITH_AES_128_CCM_8', 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256', 'TLS_PSK_WITH_AES_128_CBC_SHA256']).map(cipherSuiteByName);
  if (suites.length === 0) throw new RangeError('DTLS option cipherSuites is empty: list at least one suite');
  const groups = o.groups ?? ['x25519', 'secp256r1'];
  for (const g of groups) if (g !== 'x25519' && g !== 'secp256r1') throw new RangeError(`DTLS option groups: unknown group ${String(g)}, use x25519 or secp256r1`);
  if (o.identityHint !== undefined && o.identityHint.length > 0xffff) throw new RangeError('DTLS option identityHint is longer than 65535 bytes');
  const retransmitInitialMs = positive('retransmitInitialMs', o.retransmitInitialMs, 1000);
  const cache = o.sessionCache ?? { maxEntries: 10_000, ttlMs: 24 * 3600_000 };
  if (cache !== false) {
    positive('sessionCache.maxEntries', cache.maxEntries, 1);
    positive('sessionCache.ttlMs', cache.ttlMs, 1);
  }
  return {
    handshake: {
      suites,
      groups,
      identityHint: o.identityHint,
      requireExtendedMasterSecret: o.requireExtendedMasterSecret ?? false,
      retransmitInitialMs,
      retransmitMaxMs: positive('retransmitMaxMs', o.retransmitMaxMs, 60_000, retransmitInitialMs),
      maxRetransmits: positive('maxRetransmits', o.maxRetransmits, 5, 0),
      // Below 256 a ServerHello flight would need absurd fragmentation; above 65507 UDP cannot carry it.
      mtu: Math.min(65_507, positive('mtu', o.mtu, 1200, 256)),
      maxHandshakeMessageLength: positive('maxHandshakeMessageLength', o.maxHandshakeMessageLength, 2048, 256),
      replayWindowSize: positive('replayWindowSize', o.replayWindowSize, 64, 32),
    },
    handshakeTimeoutMs: positive('handshakeTimeoutMs', o.handshakeTimeoutMs, 90_000),
    cookieRotationMs: positive('cookieRotationMs', o.cookieRotationMs, 60_000),
    maxHandshakes: positive('maxHandshakes', o.maxHandshakes, 1000),
    maxHandshakesPerAddress: positive('maxHandshakesPerAddress', o.maxHandshakesPerAddress, 32),
    maxSessions: positive('maxSessions', o.maxSessions, 100_000),
    idleTimeoutMs: positive('idleTimeoutMs', o.idleTimeoutMs, 3600_000),
    sessionCache: cache,
  };
};
