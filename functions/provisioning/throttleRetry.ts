/**
 * AWS IoT throttles each control-plane API on its own. A throttled call is retried here, for that
 * row only, with exponential backoff; when the budget is spent the ThrottlingException leaves the
 * task, and the state machine's Retry on ProvisionChunk runs the chunk again (row processing is
 * idempotent, so that is safe).
 */
export interface ThrottleRetryOptions {
  /** Tries per call, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_THROTTLE_RETRY: ThrottleRetryOptions = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 };

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Errors a later try may not see: AWS's throttling and transient service faults. */
export const isTransient = (error: unknown): boolean =>
  error instanceof Error && ['ThrottlingException', 'ServiceUnavailableException', 'InternalFailureException'].includes(error.name);

export const withThrottleRetry = async <T>(call: () => Promise<T>, options: ThrottleRetryOptions, sleep: Sleep): Promise<T> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isTransient(error) || attempt >= options.attempts) throw error;
      // Half fixed, half random ("equal jitter"): rows throttled together do not retry together.
      const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
      await sleep(ceiling / 2 + Math.random() * (ceiling / 2));
    }
  }
};
