import type { CipherSuite } from './cipherSuites.ts';

/** What an abbreviated handshake needs from the session it resumes (RFC 5246 §7.3, §7.4.1.2). */
export interface CachedSession {
  readonly sessionId: Buffer;
  readonly masterSecret: Buffer;
  readonly suite: CipherSuite;
  readonly identity: Buffer;
  /** RFC 7627 §5.3: resumption must keep the extended master secret property of the original. */
  readonly extendedMasterSecret: boolean;
  /** SHA-256 of the PSK the session was made with: a rotated or revoked key forces a full handshake. */
  readonly pskDigest: Buffer;
  readonly createdAt: number;
}

/**
 * A bounded session-id cache. Entries expire after ttlMs; when full, the oldest entry goes first
 * (a Map iterates in insertion order, so the first key is the oldest).
 */
export class SessionCache {
  private readonly entries = new Map<string, CachedSession>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size() {
    return this.entries.size;
  }

  put(entry: Omit<CachedSession, 'createdAt'>) {
    if (this.maxEntries <= 0) return;
    const session: CachedSession = { ...entry, createdAt: this.now() };
    const key = session.sessionId.toString('hex');
    this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, session);
  }

  get(sessionId: Buffer): CachedSession | undefined {
    if (sessionId.length === 0) return undefined;
    const key = sessionId.toString('hex');
    const s = this.entries.get(key);
    if (s === undefined) return undefined;
    if (this.now() - s.createdAt > this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return s;
  }

  delete(sessionId: Buffer) {
    this.entries.delete(sessionId.toString('hex'));
  }

  clear() {
    this.entries.clear();
  }
}
