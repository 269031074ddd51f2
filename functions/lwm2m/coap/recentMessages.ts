/**
 * Duplicate detection (RFC 7252 §4.5): a CON or NON seen from a peer with the same Message ID
 * within EXCHANGE_LIFETIME is a retransmission. It is not processed again; a CON gets the same
 * reply again (the cached ACK, response or RST), so a lost ACK never registers a device twice.
 *
 * Bounded: entries live one exchange lifetime, and past `maxEntries` the oldest are forgotten, so
 * a flood of datagrams costs memory up to the cap and no more.
 */
export interface RecentMessage {
  readonly expiresAt: number;
  /** What we answered; undefined while the request is still being handled (or for a NON). */
  reply: Buffer | undefined;
}

export class RecentMessages {
  private readonly entries = new Map<string, RecentMessage>();

  constructor(
    private readonly lifetimeMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The entry for a duplicate, or undefined for a message not seen within the lifetime. */
  lookup(key: string): RecentMessage | undefined {
    this.prune();
    return this.entries.get(key);
  }

  remember(key: string): RecentMessage {
    this.prune();
    const entry: RecentMessage = { expiresAt: this.now() + this.lifetimeMs, reply: undefined };
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return entry;
  }

  clear(): void {
    this.entries.clear();
  }

  // Entries are inserted with one lifetime, so insertion order is expiry order: stop at the first live one.
  private prune(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now) break;
      this.entries.delete(key);
    }
  }
}
