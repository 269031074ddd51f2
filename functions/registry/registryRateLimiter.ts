import type { Clock } from '../shared/clock.ts';
import { InvalidRequestException, ThrottlingException } from './registryErrors.ts';

/**
 * AWS IoT throttles each control-plane API on its own (CreateThing, AttachPolicy, ... each have a
 * requests-per-second quota). The embedded registry can do the same, so that a workflow's Retry with
 * backoff is exercised locally: one token bucket per API name, refilled from an injected clock, so a
 * test moves time by hand instead of sleeping.
 */

export interface RateLimit {
  /** Sustained requests per second for one API. */
  readonly perSecond: number;
  /** Requests allowed at once after a quiet spell; defaults to perSecond (at least 1). */
  readonly burst?: number;
}

export interface RateLimitOptions extends RateLimit {
  /** Other limits for some APIs, by operation name (e.g. `{ createKeysAndCertificate: { perSecond: 1 } }`). */
  readonly overrides?: Readonly<Record<string, RateLimit>>;
}

interface Bucket {
  tokens: number;
  at: number;
  readonly perSecond: number;
  readonly burst: number;
}

const checkLimit = (limit: RateLimit, what: string): { perSecond: number; burst: number } => {
  const { perSecond } = limit;
  const burst = limit.burst ?? Math.max(1, perSecond);
  if (!Number.isFinite(perSecond) || perSecond <= 0) {
    throw new InvalidRequestException(`rate limit ${what}: perSecond ${perSecond} is not valid: use a positive number of requests per second`);
  }
  if (!Number.isFinite(burst) || burst < 1) {
    throw new InvalidRequestException(`rate limit ${what}: burst ${burst} is not valid: use at least 1 request`);
  }
  return { perSecond, burst };
};

export class RegistryRateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #defaults: { perSecond: number; burst: number };
  readonly #overrides: Map<string, { perSecond: number; burst: number }>;

  constructor(
    options: RateLimitOptions,
    private readonly clock: Clock,
  ) {
    this.#defaults = checkLimit(options, 'for every API');
    this.#overrides = new Map(Object.entries(options.overrides ?? {}).map(([api, limit]) => [api, checkLimit(limit, `for ${api}`)]));
  }

  /** Takes one token for `api`, or throws ThrottlingException saying when to try again. */
  take(api: string): void {
    const now = this.clock.now().getTime();
    let bucket = this.#buckets.get(api);
    if (!bucket) {
      const limit = this.#overrides.get(api) ?? this.#defaults;
      bucket = { tokens: limit.burst, at: now, ...limit };
      this.#buckets.set(api, bucket);
    }
    // A clock that steps back (tests, NTP) refills nothing rather than draining the bucket.
    const elapsed = Math.max(0, now - bucket.at) / 1000;
    bucket.tokens = Math.min(bucket.burst, bucket.tokens + elapsed * bucket.perSecond);
    bucket.at = Math.max(bucket.at, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }
    const waitMs = Math.ceil(((1 - bucket.tokens) / bucket.perSecond) * 1000);
    throw new ThrottlingException(
      `rate exceeded for ${api}: the registry allows ${bucket.perSecond} requests per second (burst ${bucket.burst}); retry with backoff, a token is free in ${waitMs} ms`,
    );
  }
}
