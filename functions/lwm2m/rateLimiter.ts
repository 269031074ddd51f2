/**
 * A token bucket per source address (the IP, not the port: a flooder picks ports freely).
 * Each Register takes one token; buckets refill at `perSecond` up to `burst`. A full bucket is
 * the same as no bucket; past `maxAddresses` the least recently used bucket is forgotten.
 */
export interface RateLimitOptions {
  /** Registers allowed at once from one address. Default 20. */
  readonly burst?: number;
  /** Sustained Registers per second per address. Default 2. */
  readonly perSecond?: number;
  /** Addresses tracked at once. Default 100,000. */
  readonly maxAddresses?: number;
}

export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

export class AddressRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly burst: number;
  private readonly perSecond: number;
  private readonly maxAddresses: number;

  constructor(
    options: RateLimitOptions,
    private readonly now: () => number,
  ) {
    this.burst = options.burst ?? 20;
    this.perSecond = options.perSecond ?? 2;
    this.maxAddresses = options.maxAddresses ?? 100_000;
    if (!(this.burst >= 1) || !(this.perSecond > 0)) throw new RangeError(`rate limit needs burst >= 1 and perSecond > 0, got ${this.burst}/${this.perSecond}`);
  }

  take(address: string): RateDecision {
    const now = this.now();
    const bucket = this.buckets.get(address);
    const tokens = bucket === undefined ? this.burst : Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    if (tokens < 1) {
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / this.perSecond)) };
    }
    this.buckets.delete(address);
    this.buckets.set(address, { tokens: tokens - 1, at: now });
    this.evict();
    return { allowed: true };
  }

  // Least recently used first: an address that keeps registering keeps its bucket.
  private evict(): void {
    for (const address of this.buckets.keys()) {
      if (this.buckets.size <= this.maxAddresses) return;
      this.buckets.delete(address);
    }
  }
}
