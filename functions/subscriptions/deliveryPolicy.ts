/**
 * How a webhook delivery's result is judged and when it is tried again, as EventBridge API
 * destinations do: 2xx is delivered; 429, 5xx, timeouts and network errors are retried with
 * exponential backoff and jitter; any other status (3xx, 4xx) is final. A `Retry-After` header
 * lengthens the wait when it asks for more than the backoff; a negative one stops retrying.
 */

/** What one HTTP attempt came to. */
export type AttemptResult =
  | { readonly kind: 'response'; readonly status: number; readonly retryAfter?: string | undefined; readonly bodyExcerpt?: string | undefined }
  | { readonly kind: 'timeout'; readonly afterMs: number }
  | { readonly kind: 'network'; readonly message: string };

export type Verdict =
  | { readonly kind: 'delivered'; readonly status: number }
  | { readonly kind: 'retry'; readonly errorCode: string; readonly errorMessage: string; readonly status?: number; readonly retryAfterMs?: number }
  | { readonly kind: 'fail'; readonly errorCode: string; readonly errorMessage: string; readonly status?: number };

export interface BackoffPolicy {
  /** The wait before the first retry, before jitter. */
  readonly baseDelayMs: number;
  /** No wait is longer than this, before jitter. */
  readonly maxDelayMs: number;
}

/** EventBridge spreads 185 retries over 24 hours; one second doubling to ten minutes is of that order. */
export const defaultBackoff: BackoffPolicy = { baseDelayMs: 1000, maxDelayMs: 600_000 };

/**
 * The wait before retry number `retry` (1 = the first retry): exponential, capped, with "equal
 * jitter" (half fixed, half random) so that receivers recovering from an outage are not hit by
 * every queued delivery at the same instant, yet never retried at once.
 */
export const backoffDelay = (retry: number, policy: BackoffPolicy, random: () => number): number => {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
};

/** `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export const parseRetryAfter = (header: string | undefined, now: Date): number | undefined => {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^-?\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : at - now.getTime();
};

const excerpt = (body: string | undefined) => (body ? `: ${body.length > 200 ? `${body.slice(0, 200)}…` : body}` : '');

export const judge = (result: AttemptResult, now: Date): Verdict => {
  if (result.kind === 'timeout') {
    return { kind: 'retry', errorCode: 'Timeout', errorMessage: `the receiver did not answer within ${result.afterMs} ms` };
  }
  if (result.kind === 'network') return { kind: 'retry', errorCode: 'NetworkError', errorMessage: result.message };
  const { status } = result;
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  const errorCode = `HTTP ${status}`;
  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(result.retryAfter, now);
    return {
      kind: 'retry',
      errorCode,
      errorMessage: `the receiver answered ${status}${excerpt(result.bodyExcerpt)}`,
      status,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  const hint = status >= 300 && status < 400 ? ' (redirects are not followed: point the subscription at the final URL)' : ' (not retried: fix the receiver or the subscription, then redrive)';
  return { kind: 'fail', errorCode, errorMessage: `the receiver answered ${status}${hint}${excerpt(result.bodyExcerpt)}`, status };
};
