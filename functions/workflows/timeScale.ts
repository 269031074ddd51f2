import { allStates, mapStates, type AslDefinition } from './aslDefinition.ts';
import { WorkflowEngineError } from './workflowEngine.ts';

export interface ScaledTimes {
  /** The definition to run: Wait seconds and Retry intervals multiplied by the scale. */
  readonly definition: AslDefinition;
  /** aws-local-stepfunctions' waitTimeOverrides, in milliseconds, by Wait state name. */
  readonly waitTimeOverrides: Record<string, number>;
}

const DEFAULT_RETRY_INTERVAL_SECONDS = 1;

/**
 * Applies a time scale to the pauses a state machine asks for itself: Wait states and the pause
 * before each retry (IntervalSeconds, MaxDelaySeconds; BackoffRate keeps its shape). A scale of
 * 0.001 turns an hour's Wait into 3.6 s. Task and execution timeouts are not scaled: they bound
 * handlers that run in real time.
 *
 * The definition is rewritten rather than overridden per state because the package's retry
 * override is one fixed pause, which would flatten the backoff the test wants to see. A Wait whose
 * duration comes from the input (SecondsPath, TimestampPath) or the wall clock (Timestamp) cannot
 * be scaled before it runs: it needs an explicit override in milliseconds, or the scale 1.
 */
export const scaleTimes = (
  definition: AslDefinition,
  timeScale: number,
  waitOverridesMs: Readonly<Record<string, number>>,
  source: string,
): ScaledTimes => {
  if (!Number.isFinite(timeScale) || timeScale < 0) {
    throw new WorkflowEngineError('InvalidDefinition', `timeScale must be a finite number >= 0 (1 is real time), got ${timeScale}`);
  }
  const waits = new Set(allStates(definition).filter((s) => s.state.Type === 'Wait').map((s) => s.name));
  for (const [name, ms] of Object.entries(waitOverridesMs)) {
    if (!waits.has(name)) {
      throw new WorkflowEngineError('InvalidDefinition', `${source}: waitOverridesMs names ${JSON.stringify(name)}, which is not a Wait state (Wait states: ${[...waits].join(', ') || 'none'})`);
    }
    if (!Number.isFinite(ms) || ms < 0) throw new WorkflowEngineError('InvalidDefinition', `${source}: waitOverridesMs.${name} must be a number of milliseconds >= 0, got ${ms}`);
  }
  const waitTimeOverrides: Record<string, number> = { ...waitOverridesMs };
  if (timeScale === 1) return { definition, waitTimeOverrides };

  const scaled = mapStates(definition, (name, state) => {
    if (state.Type === 'Wait' && waitTimeOverrides[name] === undefined) {
      if (typeof state['Seconds'] === 'number') {
        state['Seconds'] = state['Seconds'] * timeScale;
      } else {
        const field = ['SecondsPath', 'Timestamp', 'TimestampPath'].find((f) => f in state) ?? 'an unknown field';
        throw new WorkflowEngineError(
          'InvalidDefinition',
          `${source}: Wait state ${JSON.stringify(name)} waits by ${field}, a duration known only when it runs, so timeScale ${timeScale} cannot shorten it; ` +
            `give waitOverridesMs: { ${JSON.stringify(name)}: <milliseconds> } or run with timeScale 1`,
        );
      }
    }
    if (Array.isArray(state['Retry'])) {
      for (const retrier of state['Retry'] as Record<string, unknown>[]) {
        const interval = typeof retrier['IntervalSeconds'] === 'number' ? retrier['IntervalSeconds'] : DEFAULT_RETRY_INTERVAL_SECONDS;
        retrier['IntervalSeconds'] = interval * timeScale;
        if (typeof retrier['MaxDelaySeconds'] === 'number') retrier['MaxDelaySeconds'] = retrier['MaxDelaySeconds'] * timeScale;
      }
    }
  });
  return { definition: scaled, waitTimeOverrides };
};
