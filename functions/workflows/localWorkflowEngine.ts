import './polyfills.ts';
import { randomUUID } from 'node:crypto';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, type StateMachine } from 'aws-local-stepfunctions';
import { canonicalJson } from '../projections/canonicalJson.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './aslDefinition.ts';
import { translateEvent } from './historyEvents.ts';
import { createExecutionWriter, createHistoryRecorder } from './historyRecorder.ts';
import { bindTaskHandlers, type LocalTaskHandler } from './localTaskHandlers.ts';
import { prepareStateMachine, type LocalStateMachine, type PreparedStateMachine } from './prepareStateMachine.ts';
import {
  executionNameProblem,
  MAX_PAYLOAD_BYTES,
  WorkflowEngineError,
  type ErrorDetails,
  type ExecutionDescription,
  type HistoryEvent,
  type StartExecutionOptions,
  type StopExecutionOptions,
  type WorkflowEngine,
  type WorkflowProgressEvent,
} from './workflowEngine.ts';
import type { ExecutionOutcome, ExecutionRecord, WorkflowPersistence } from './workflowPersistence.ts';

export { localFunctionArn } from './aslDefinition.ts';
export type { LocalTaskContext, LocalTaskHandler } from './localTaskHandlers.ts';
export type { LocalStateMachine } from './prepareStateMachine.ts';

export interface LocalWorkflowEngineOptions {
  readonly persistence: WorkflowPersistence;
  /** Local handlers by Lambda function name (the last part of `arn:aws:lambda:...:function:NAME`). */
  readonly handlers: Readonly<Record<string, LocalTaskHandler>>;
  readonly stateMachines?: readonly LocalStateMachine[];
  /** Multiplies Wait durations and retry pauses: 1 is real time (default), 0.001 makes an hour 3.6 s. */
  readonly timeScale?: number;
  readonly clock?: Clock;
  /** Names executions started without one (default: a random UUID). */
  readonly newExecutionName?: () => string;
  /** Where failures with no caller to throw to go (a listener that throws, a failed write). Default: console.error. */
  readonly log?: { error(details: object, message: string): void };
}

export interface LocalWorkflowEngine extends WorkflowEngine {
  /** Loads, substitutes, validates and binds a state machine; returns its ARN. Throws InvalidDefinition naming every problem. */
  registerStateMachine(source: LocalStateMachine): string;
  /** Executions found RUNNING in the persistence at start-up, now FAILED: this runner does not resume them. */
  readonly interruptedByRestart: readonly string[];
  /** Refuses new starts, aborts running executions (error Local.Shutdown) and waits until they are recorded. */
  close(): Promise<void>;
}

export const INTERRUPTED_ERROR = 'Local.Interrupted';
export const INTERRUPTED_CAUSE = 'interrupted by a restart';
export const SHUTDOWN_ERROR = 'Local.Shutdown';
/** The execution's start could not be stored (the database refused it); it never ran. */
export const NOT_RECORDED_ERROR = 'Local.NotRecorded';

interface Running {
  readonly record: ExecutionRecord;
  readonly stop: AbortController;
  stopReason?: ErrorDetails;
  abort?: () => void;
  done?: Promise<ExecutionDescription>;
}

type PackageInput = Parameters<StateMachine['run']>[0];

/** Runs synchronous work behind the port's promise API: a throw becomes a rejection. */
const settle = <T>(work: () => T): Promise<T> => {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
};

const executionArn = (stateMachine: string, name: string) => `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${stateMachine}:${name}`;

const describe = (record: ExecutionRecord): ExecutionDescription => ({
  executionId: record.executionId,
  stateMachine: record.stateMachine,
  name: record.name,
  status: record.status,
  input: JSON.parse(record.input) as unknown,
  ...(record.output === undefined ? {} : { output: JSON.parse(record.output) as unknown }),
  ...(record.error === undefined ? {} : { error: record.error }),
  ...(record.cause === undefined ? {} : { cause: record.cause }),
  startDate: new Date(record.startDate),
  ...(record.stopDate === undefined ? {} : { stopDate: new Date(record.stopDate) }),
});

/** The input as Step Functions would accept it: JSON (absent means {}), at most 256 KiB. */
const checkInput = (input: unknown): { json: string; value: unknown } => {
  let json: string | undefined;
  try {
    json = JSON.stringify(input === undefined ? {} : input);
  } catch (error) {
    throw new WorkflowEngineError('InvalidExecutionInput', `the execution input is not JSON: ${(error as Error).message}`);
  }
  if (json === undefined) throw new WorkflowEngineError('InvalidExecutionInput', 'the execution input is not JSON (a function or a symbol?)');
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > MAX_PAYLOAD_BYTES) {
    throw new WorkflowEngineError('InvalidExecutionInput', `the execution input is ${bytes} bytes, over Step Functions' ${MAX_PAYLOAD_BYTES}; pass large data by reference (an object key)`);
  }
  return { json, value: JSON.parse(json) as unknown };
};

/**
 * The embedded runtime's workflow engine: runs the ASL files under workflows/ with
 * aws-local-stepfunctions, Task states bound to local handlers by Lambda function name, and keeps
 * every execution and its history in the persistence it is given. It does not resume: executions
 * it finds RUNNING when it starts were cut off by a crash and are marked FAILED (README.md).
 */
export const createLocalWorkflowEngine = (options: LocalWorkflowEngineOptions): LocalWorkflowEngine => {
  const { persistence, handlers } = options;
  const clock = options.clock ?? systemClock;
  const timeScale = options.timeScale ?? 1;
  const newExecutionName = options.newExecutionName ?? randomUUID;
  const log = options.log ?? { error: (details: object, message: string) => console.error(message, details) };
  const machines = new Map<string, PreparedStateMachine>();
  const running = new Map<string, Running>();
  const listeners = new Set<(event: WorkflowProgressEvent) => void>();
  // Every execution's starts, history and outcomes of one turn in one write: many executions run at once.
  const writer = createExecutionWriter({ persistence, log });
  let closed = false;

  const interruptedByRestart = persistence.listRunning().map((record) => {
    const lastId = persistence.lastEventId(record.executionId);
    const now = clock.now();
    const failed: HistoryEvent = {
      id: lastId + 1,
      previousEventId: lastId,
      timestamp: now,
      type: 'ExecutionFailed',
      executionFailedEventDetails: { error: INTERRUPTED_ERROR, cause: INTERRUPTED_CAUSE },
    };
    persistence.finishExecution(record.executionId, { status: 'FAILED', error: INTERRUPTED_ERROR, cause: INTERRUPTED_CAUSE, stopDate: now.getTime() }, [failed]);
    return record.executionId;
  });

  const announce = (record: ExecutionRecord, events: readonly HistoryEvent[]) => {
    for (const event of events) {
      for (const listener of listeners) {
        try {
          listener({ executionId: record.executionId, stateMachine: record.stateMachine, event });
        } catch (error) {
          log.error({ executionId: record.executionId, eventId: event.id, err: error }, 'a workflow event listener threw; the execution goes on');
        }
      }
    }
  };

  const registerStateMachine = (source: LocalStateMachine): string => {
    if (machines.has(source.name)) throw new WorkflowEngineError('InvalidDefinition', `a state machine named ${source.name} is already registered`);
    const prepared = prepareStateMachine(source, handlers, timeScale);
    machines.set(prepared.name, prepared);
    return prepared.arn;
  };

  const findMachine = (stateMachine: string): PreparedStateMachine => {
    const prepared = machines.get(stateMachine) ?? [...machines.values()].find((m) => m.arn === stateMachine);
    if (prepared) return prepared;
    throw new WorkflowEngineError('StateMachineDoesNotExist', `no state machine ${JSON.stringify(stateMachine)} is registered (registered: ${[...machines.keys()].join(', ') || 'none'})`);
  };

  const findRecord = (executionId: string): ExecutionRecord => {
    const record = persistence.getExecution(executionId);
    if (!record) throw new WorkflowEngineError('ExecutionDoesNotExist', `no execution ${executionId}`);
    return record;
  };

  const outcomeOf = async (result: Promise<unknown>, execution: Running): Promise<ExecutionOutcome> => {
    try {
      const output = await result;
      return { status: 'SUCCEEDED', output: JSON.stringify(output ?? null), stopDate: clock.now().getTime() };
    } catch (error) {
      const stopDate = clock.now().getTime();
      if (error instanceof ExecutionAbortedError) return { status: 'ABORTED', ...execution.stopReason, stopDate };
      if (error instanceof ExecutionTimeoutError) return { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'the execution ran longer than its TimeoutSeconds', stopDate };
      // ExecutionError wraps the state's error, whose name is the ASL error (States.TaskFailed, a Fail state's Error...).
      const failure = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : (error as Error);
      return { status: 'FAILED', error: failure.name || 'States.Runtime', cause: failure.message, stopDate };
    }
  };

  /** Runs one execution to its end and records it; never rejects (failures are the outcome, or logged). */
  const run = async (prepared: PreparedStateMachine, execution: Running, input: unknown): Promise<ExecutionDescription> => {
    const { executionId, name } = execution.record;
    const recorder = createHistoryRecorder({ executionId, writer, announce: (events) => announce(execution.record, events) });
    const started = prepared.machine.run(input as PackageInput, {
      overrides: {
        taskResourceLocalHandlers: bindTaskHandlers(prepared.tasks, handlers, {
          executionId,
          executionName: name,
          stateMachine: prepared.name,
          signal: execution.stop.signal,
        }),
        waitTimeOverrides: { ...prepared.waitTimeOverrides },
      },
      context: { Execution: { Id: executionId, Name: name }, StateMachine: { Id: prepared.arn, Name: prepared.name } },
    });
    execution.abort = started.abort;
    // Stopped while its start was being stored: it ends before its first state.
    if (execution.stop.signal.aborted) started.abort();
    const translation = {
      taskResource: (stateName: string) => prepared.tasks.get(stateName)?.resource ?? 'unknown',
      stopReason: () => execution.stopReason,
    };
    const logged = (async () => {
      for await (const event of started.eventLogs) recorder.record(translateEvent(event, translation));
    })().catch((error: unknown) => log.error({ executionId, err: error }, 'the workflow event log could not be read to its end'));

    const outcome = await outcomeOf(started.result, execution);
    // The package closes its event log before it settles the result, so this ends promptly.
    await logged;
    await recorder.finish(outcome);
    running.delete(executionId);
    execution.stop.abort();
    return describe({ ...execution.record, ...outcome });
  };

  /** The execution id, and when its record is stored (it runs from then on). */
  const startNow = (stateMachine: string, input: unknown, start: StartExecutionOptions = {}): { executionId: string; stored: Promise<void> } => {
    if (closed) throw new WorkflowEngineError('EngineClosed', 'the workflow engine is closed; no new executions start');
    const prepared = findMachine(stateMachine);
    const name = start.name ?? newExecutionName();
    const nameProblem = executionNameProblem(name);
    if (nameProblem) throw new WorkflowEngineError('InvalidName', `execution name ${JSON.stringify(name)} is not valid: ${nameProblem}`);
    const checked = checkInput(input);

    // Check and create in one synchronous stretch: no other start can slip in between.
    const pending = writer.pendingCreation(prepared.name, name);
    const existing = pending?.record ?? persistence.findExecutionByName(prepared.name, name);
    if (existing) {
      if (canonicalJson(JSON.parse(existing.input)) === canonicalJson(checked.value)) return { executionId: existing.executionId, stored: pending?.stored ?? Promise.resolve() };
      throw new WorkflowEngineError(
        'ExecutionAlreadyExists',
        `execution ${name} of ${prepared.name} already exists (${existing.status}) with a different input; use another name, or the same input to get it back`,
      );
    }
    const record: ExecutionRecord = {
      executionId: executionArn(prepared.name, name),
      stateMachine: prepared.name,
      name,
      status: 'RUNNING',
      input: checked.json,
      startDate: clock.now().getTime(),
    };
    // Stored with this turn's other writes (one commit for a burst of starts), and run only once stored.
    const stored = writer.create(record);
    const execution: Running = { record, stop: new AbortController() };
    running.set(record.executionId, execution);
    execution.done = stored.then(
      () => run(prepared, execution, checked.value),
      (error: unknown) => {
        running.delete(record.executionId);
        const cause = `the execution could not be recorded: ${error instanceof Error ? error.message : String(error)}`;
        return describe({ ...record, status: 'FAILED', error: NOT_RECORDED_ERROR, cause, stopDate: clock.now().getTime() });
      },
    );
    return { executionId: record.executionId, stored };
  };

  const stopExecution = async (executionId: string, stop: StopExecutionOptions = {}): Promise<ExecutionDescription> => {
    const execution = running.get(executionId);
    if (!execution?.done) return describe(findRecord(executionId));
    execution.stopReason ??= { ...(stop.error === undefined ? {} : { error: stop.error }), ...(stop.cause === undefined ? {} : { cause: stop.cause }) };
    execution.stop.abort();
    execution.abort?.();
    return execution.done;
  };

  for (const source of options.stateMachines ?? []) registerStateMachine(source);

  return {
    registerStateMachine,
    interruptedByRestart,
    startExecution: async (stateMachine, input, start) => {
      const { executionId, stored } = startNow(stateMachine, input, start);
      await stored;
      return executionId;
    },
    stopExecution,
    describeExecution: (executionId) => settle(() => describe(findRecord(executionId))),
    getExecutionHistory: (executionId) =>
      settle(() => {
        findRecord(executionId);
        return persistence.readHistory(executionId);
      }),
    waitForCompletion: async (executionId) => running.get(executionId)?.done ?? describe(findRecord(executionId)),
    onEvent(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    async close() {
      closed = true;
      const cause = 'the workflow runner was closed while the execution ran; start it again';
      await Promise.all([...running.keys()].map((id) => stopExecution(id, { error: SHUTDOWN_ERROR, cause })));
    },
  };
};
