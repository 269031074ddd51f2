import { describe, expect, it } from 'vitest';
import { backoffDelay, judge, parseRetryAfter } from '../../functions/subscriptions/deliveryPolicy.ts';

const now = new Date('2026-01-01T00:00:00Z');

describe('delivery verdicts, as API destinations judge them', () => {
  it('2xx is delivered', () => {
    for (const status of [200, 201, 202, 204]) expect(judge({ kind: 'response', status }, now)).toEqual({ kind: 'delivered', status });
  });

  it('429, 5xx, timeouts and network errors are retried', () => {
    for (const status of [429, 500, 502, 503, 504]) expect(judge({ kind: 'response', status }, now).kind).toBe('retry');
    expect(judge({ kind: 'timeout', afterMs: 5000 }, now)).toMatchObject({ kind: 'retry', errorCode: 'Timeout' });
    expect(judge({ kind: 'network', message: 'connect ECONNREFUSED' }, now)).toMatchObject({ kind: 'retry', errorCode: 'NetworkError', errorMessage: 'connect ECONNREFUSED' });
  });

  it('3xx and 4xx other than 429 are final, with the receiver\'s answer in the message', () => {
    for (const status of [301, 400, 401, 403, 404, 409, 413]) expect(judge({ kind: 'response', status }, now).kind).toBe('fail');
    expect(judge({ kind: 'response', status: 400, bodyExcerpt: 'missing field x' }, now)).toMatchObject({ errorCode: 'HTTP 400', errorMessage: expect.stringContaining('missing field x') as unknown });
    expect(judge({ kind: 'response', status: 302 }, now)).toMatchObject({ errorMessage: expect.stringContaining('redirects are not followed') as unknown });
  });

  it('reads Retry-After in seconds or as a date, negative included', () => {
    expect(judge({ kind: 'response', status: 503, retryAfter: '7' }, now)).toMatchObject({ retryAfterMs: 7000 });
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('-1', now)).toBe(-1000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('backoff', () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
  it('doubles per retry up to the cap, with half of each wait random', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, () => 0.999999))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});
