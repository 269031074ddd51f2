import type { StateMachine } from 'aws-local-stepfunctions';
import type { ErrorDetails, HistoryEvent, HistoryEventType } from './workflowEngine.ts';

/** One entry of aws-local-stepfunctions' event log (the package exports the generator, not the type). */
export type PackageEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/** A history event before the recorder numbers it. */
export type UnnumberedEvent = Omit<HistoryEvent, 'id' | 'previousEventId'>;

export interface TranslationContext {
  /** The resource (function ARN) a Task state calls, for TaskFailed details. */
  taskResource(stateName: string): string;
  /** Why the execution was stopped, when stopExecution said. */
  stopReason(): ErrorDetails | undefined;
}

const json = (value: unknown): string => JSON.stringify(value ?? null);

/** The package puts `error.cause ?? error.message` in Cause, which need not be a string. */
const text = (value: unknown): string => (typeof value === 'string' ? value : json(value));

const retrierErrors = (rule: unknown): string[] => {
  const names = rule !== null && typeof rule === 'object' ? (rule as Record<string, unknown>)['ErrorEquals'] : undefined;
  return Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
};

/**
 * Maps the package's event log onto Step Functions' history vocabulary. Events Step Functions
 * records but a local runner cannot observe (TaskScheduled, LambdaFunction*) are not invented;
 * Parallel branch markers, which Step Functions does not record, are dropped; a Pass, Wait, Choice
 * or Fail state's failure has no Step Functions event either, and its error is in ExecutionFailed.
 */
export const translateEvent = (event: PackageEvent, ctx: TranslationContext): UnnumberedEvent[] => {
  const timestamp = new Date(event.timestamp);
  switch (event.type) {
    case 'ExecutionStarted':
      return [{ type: 'ExecutionStarted', timestamp, executionStartedEventDetails: { input: json(event.input) } }];
    case 'ExecutionSucceeded':
      return [{ type: 'ExecutionSucceeded', timestamp, executionSucceededEventDetails: { output: json(event.output) } }];
    case 'ExecutionFailed':
      return [{ type: 'ExecutionFailed', timestamp, executionFailedEventDetails: { error: event.Error, cause: text(event.Cause) } }];
    case 'ExecutionAborted':
      return [{ type: 'ExecutionAborted', timestamp, executionAbortedEventDetails: ctx.stopReason() ?? {} }];
    case 'ExecutionTimeout':
      return [
        {
          type: 'ExecutionTimedOut',
          timestamp,
          executionTimedOutEventDetails: { error: 'States.Timeout', cause: 'the execution ran longer than its TimeoutSeconds' },
        },
      ];
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed': {
      const details = { name: event.parentState.name, index: event.index };
      const key = `${event.type.charAt(0).toLowerCase()}${event.type.slice(1)}EventDetails` as const;
      return [{ type: event.type, timestamp, mapIterationIndex: event.index, [key]: details }];
    }
    case 'ParallelBranchStarted':
    case 'ParallelBranchSucceeded':
    case 'ParallelBranchFailed':
      return [];
    default:
      break;
  }
  const { name, type: stateType } = event.state;
  const where = event.index === undefined ? {} : { mapIterationIndex: event.index };
  switch (event.type) {
    case 'StateEntered':
      return [{ type: `${stateType}StateEntered`, timestamp, ...where, stateEnteredEventDetails: { name, input: json(event.state.input) } }];
    case 'StateExited':
      if (stateType === 'Fail') return [];
      return [{ type: `${stateType}StateExited` as HistoryEventType, timestamp, ...where, stateExitedEventDetails: { name, output: json(event.state.output) } }];
    case 'StateFailed': {
      const error = { error: event.Error, cause: text(event.Cause) };
      if (stateType === 'Task') {
        const task = { resourceType: 'lambda', resource: ctx.taskResource(name), ...error };
        return event.Error === 'States.Timeout'
          ? [{ type: 'TaskTimedOut', timestamp, ...where, taskTimedOutEventDetails: task }]
          : [{ type: 'TaskFailed', timestamp, ...where, taskFailedEventDetails: task }];
      }
      if (stateType === 'Map' || stateType === 'Parallel') {
        return [{ type: `${stateType}StateFailed`, timestamp, ...where, stateFailedEventDetails: { name, ...error } }];
      }
      return [];
    }
    case 'StateRetried':
      return [
        {
          type: 'StateRetried',
          timestamp,
          ...where,
          stateRetriedEventDetails: { name, retryAttempt: event.retry.attempt, errorEquals: retrierErrors(event.retry.retrier) },
        },
      ];
    case 'StateCaught':
      return [
        {
          type: 'StateCaught',
          timestamp,
          ...where,
          stateCaughtEventDetails: { name, errorEquals: retrierErrors(event.catch.catcher), next: event.catch.catcher.Next },
        },
      ];
  }
};
