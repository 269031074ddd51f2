import { describe, expect, it } from 'vitest';
import { isTransient, withThrottleRetry } from '../../functions/provisioning/throttleRetry.ts';

const named = (name: string) => Object.assign(new Error(`${name} happened`), { name });

describe('withThrottleRetry', () => {
  it('retries a throttled call with growing, capped pauses and returns its result', async () => {
    const pauses: number[] = [];
    let calls = 0;
    const result = await withThrottleRetry(
      () => {
        calls += 1;
        return calls < 5 ? Promise.reject(named('ThrottlingException')) : Promise.resolve('done');
      },
      { attempts: 5, baseDelayMs: 100, maxDelayMs: 300 },
      (ms) => {
        pauses.push(ms);
        return Promise.resolve();
      },
    );
    expect(result).toBe('done');
    expect(calls).toBe(5);
    // Equal jitter: each pause lies in [ceiling/2, ceiling], ceilings 100, 200, 300, 300.
    const ceilings = [100, 200, 300, 300];
    pauses.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(ceilings[i]! / 2);
      expect(ms).toBeLessThanOrEqual(ceilings[i]!);
    });
  });

  it('gives up after the last attempt with the throttling error, so the state machine can retry the chunk', async () => {
    let calls = 0;
    const error = await withThrottleRetry(
      () => {
        calls += 1;
        return Promise.reject(named('ThrottlingException'));
      },
      { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
      () => Promise.resolve(),
    ).catch((e: unknown) => e);
    expect(calls).toBe(3);
    expect(error).toMatchObject({ name: 'ThrottlingException' });
  });

  it('does not retry an error a retry cannot fix', async () => {
    let calls = 0;
    const error = await withThrottleRetry(
      () => {
        calls += 1;
        return Promise.reject(named('InvalidRequestException'));
      },
      { attempts: 5, baseDelayMs: 1, maxDelayMs: 1 },
      () => Promise.resolve(),
    ).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(error).toMatchObject({ name: 'InvalidRequestException' });
    expect(isTransient(error)).toBe(false);
    expect(isTransient(named('ServiceUnavailableException'))).toBe(true);
  });
});
