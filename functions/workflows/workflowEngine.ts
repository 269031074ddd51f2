/**
 * The workflow engine port: start, watch and stop state machine executions, engine-neutral.
 * AWS Step Functions is one adapter; the embedded runtime's local runner (localWorkflowEngine.ts)
 * is the other. Names, statuses, errors and history events follow the Step Functions API so that a
 * caller written against this port behaves the same on both.
 */

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionDescription {
  /** Step Functions style execution ARN; unique per (state machine, name). */
  readonly executionId: string;
  readonly stateMachine: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  /** The execution input, parsed (Step Functions' API returns it as a JSON string). */
  readonly input: unknown;
  /** Present once SUCCEEDED. */
  readonly output?: unknown;
  /** Present for FAILED, TIMED_OUT and ABORTED when the engine knows why. */
  readonly error?: string;
  readonly cause?: string;
  readonly startDate: Date;
  /** Present once the execution is no longer RUNNING. */
  readonly stopDate?: Date;
}

/**
 * History event types. Every one but the last two exists in Step Functions' HistoryEventType.
 * `StateRetried` and `StateCaught` are recorded by the local runner only: Step Functions shows a
 * retry as another attempt of the task and a catch as the next state being entered, which a
 * local runner cannot observe in the same way, so it says what happened plainly instead.
 */
export type HistoryEventType =
  | 'ExecutionStarted'
  | 'ExecutionSucceeded'
  | 'ExecutionFailed'
  | 'ExecutionAborted'
  | 'ExecutionTimedOut'
  | `${StateType}StateEntered`
  | `${Exclude<StateType, 'Fail'>}StateExited`
  | 'TaskFailed'
  | 'TaskTimedOut'
  | 'MapStateFailed'
  | 'ParallelStateFailed'
  | 'MapIterationStarted'
  | 'MapIterationSucceeded'
  | 'MapIterationFailed'
  | 'StateRetried'
  | 'StateCaught';

export type StateType = 'Task' | 'Parallel' | 'Map' | 'Pass' | 'Wait' | 'Choice' | 'Succeed' | 'Fail';

/** Shaped like Step Functions' HistoryEvent: input and output are JSON strings, as the API returns them. */
export interface HistoryEvent {
  /** 1, 2, 3... in the order the engine recorded the events of one execution. */
  readonly id: number;
  /** The event recorded just before this one (0 for the first), as Step Functions defines it. */
  readonly previousEventId: number;
  readonly timestamp: Date;
  readonly type: HistoryEventType;
  /** Local addition: which Map iteration a nested state's event belongs to. */
  readonly mapIterationIndex?: number;
  readonly executionStartedEventDetails?: { readonly input: string };
  readonly executionSucceededEventDetails?: { readonly output: string };
  readonly executionFailedEventDetails?: ErrorDetails;
  readonly executionAbortedEventDetails?: ErrorDetails;
  readonly executionTimedOutEventDetails?: ErrorDetails;
  readonly stateEnteredEventDetails?: { readonly name: string; readonly input: string };
  readonly stateExitedEventDetails?: { readonly name: string; readonly output: string };
  readonly taskFailedEventDetails?: TaskErrorDetails;
  readonly taskTimedOutEventDetails?: TaskErrorDetails;
  readonly mapIterationStartedEventDetails?: MapIterationDetails;
  readonly mapIterationSucceededEventDetails?: MapIterationDetails;
  readonly mapIterationFailedEventDetails?: MapIterationDetails;
  /** Local addition on MapStateFailed and ParallelStateFailed: Step Functions has no details there. */
  readonly stateFailedEventDetails?: { readonly name: string } & ErrorDetails;
  readonly stateRetriedEventDetails?: {
    readonly name: string;
    /** 1 for the first retry. */
    readonly retryAttempt: number;
    /** The matching retrier's ErrorEquals. */
    readonly errorEquals: readonly string[];
  };
  readonly stateCaughtEventDetails?: { readonly name: string; readonly errorEquals: readonly string[]; readonly next: string };
}

export interface ErrorDetails {
  readonly error?: string;
  readonly cause?: string;
}

export interface TaskErrorDetails extends ErrorDetails {
  readonly resourceType: string;
  readonly resource: string;
}

export interface MapIterationDetails {
  readonly name: string;
  readonly index: number;
}

/** What `onEvent` listeners receive: one history event, after it is stored. */
export interface WorkflowProgressEvent {
  readonly executionId: string;
  readonly stateMachine: string;
  readonly event: HistoryEvent;
}

export interface StartExecutionOptions {
  /**
   * Unique per state machine (1-80 characters, no whitespace, brackets, wildcards or the characters
   * Step Functions forbids). Starting again with the same name and the same input returns the
   * existing execution; with a different input it throws ExecutionAlreadyExists. Default: a UUID.
   */
  readonly name?: string;
}

export interface StopExecutionOptions {
  readonly error?: string;
  readonly cause?: string;
}

export interface WorkflowEngine {
  /** Returns the execution id. Throws StateMachineDoesNotExist, InvalidName, InvalidExecutionInput, ExecutionAlreadyExists. */
  startExecution(stateMachine: string, input: unknown, options?: StartExecutionOptions): Promise<string>;
  /** Throws ExecutionDoesNotExist. */
  describeExecution(executionId: string): Promise<ExecutionDescription>;
  /** Every stored event, in order. Throws ExecutionDoesNotExist. */
  getExecutionHistory(executionId: string): Promise<HistoryEvent[]>;
  /** Resolves with the description once the execution is no longer RUNNING. */
  waitForCompletion(executionId: string): Promise<ExecutionDescription>;
  /** Aborts a running execution (status ABORTED); a closed one is left as it is. */
  stopExecution(executionId: string, options?: StopExecutionOptions): Promise<ExecutionDescription>;
  /** Live progress of every execution; returns the function that unsubscribes. */
  onEvent(listener: (event: WorkflowProgressEvent) => void): () => void;
}

/** Errors named as Step Functions names its exceptions, so callers handle both adapters alike. */
export class WorkflowEngineError extends Error {
  constructor(
    override readonly name:
      | 'ExecutionAlreadyExists'
      | 'ExecutionDoesNotExist'
      | 'StateMachineDoesNotExist'
      | 'InvalidName'
      | 'InvalidExecutionInput'
      | 'InvalidDefinition'
      | 'EngineClosed',
    message: string,
  ) {
    super(message);
  }
}

/** Step Functions' limit on an execution's input (and on any state's input or output). */
export const MAX_PAYLOAD_BYTES = 262_144;

/** Why a name is not a valid Step Functions execution name, or undefined when it is. */
export const executionNameProblem = (name: string): string | undefined => {
  if (name.length < 1 || name.length > 80) return `it has ${name.length} characters; use 1 to 80`;
  // Whitespace, brackets, wildcards, the special characters and control characters Step Functions forbids.
  // eslint-disable-next-line no-control-regex
  const bad = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u.exec(name);
  if (bad) return `it contains ${JSON.stringify(bad[0])}; use letters, digits, '-' and '_'`;
  return undefined;
};
