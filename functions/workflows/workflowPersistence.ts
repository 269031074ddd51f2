import type { ExecutionStatus, HistoryEvent } from './workflowEngine.ts';

/** An execution as stored: input and output as JSON text, dates as epoch milliseconds. */
export interface ExecutionRecord {
  readonly executionId: string;
  readonly stateMachine: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly input: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly startDate: number;
  readonly stopDate?: number;
}

export interface ExecutionOutcome {
  readonly status: Exclude<ExecutionStatus, 'RUNNING'>;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly stopDate: number;
}

/** What the runner writes in one turn of the event loop: new executions, then history, then outcomes. */
export interface ExecutionWrites {
  readonly creates: readonly ExecutionRecord[];
  readonly histories: readonly { readonly executionId: string; readonly events: readonly HistoryEvent[] }[];
  readonly finishes: readonly { readonly executionId: string; readonly outcome: ExecutionOutcome; readonly lastEvents: readonly HistoryEvent[] }[];
}

/**
 * Where the local runner keeps executions and their history so both survive a restart.
 * Synchronous: both adapters are (memory, better-sqlite3), and the runner relies on a start
 * being recorded in the same turn as the idempotency check that allowed it.
 */
export interface WorkflowPersistence {
  /** Records a new RUNNING execution; throws if the id or (stateMachine, name) is taken. */
  createExecution(record: ExecutionRecord): void;
  getExecution(executionId: string): ExecutionRecord | undefined;
  findExecutionByName(stateMachine: string, name: string): ExecutionRecord | undefined;
  /** Appends events (numbered by the runner, in order) to an execution's history. */
  appendHistory(executionId: string, events: readonly HistoryEvent[]): void;
  /** Several executions' writes in one, all or nothing, in the order of ExecutionWrites; without it the runner writes each alone. */
  writeBatch?(writes: ExecutionWrites): void;
  /** Appends the last events and records the outcome together, so status and history agree. */
  finishExecution(executionId: string, outcome: ExecutionOutcome, lastEvents: readonly HistoryEvent[]): void;
  readHistory(executionId: string): HistoryEvent[];
  /** The highest event id stored for the execution (0 when none). */
  lastEventId(executionId: string): number;
  listRunning(): ExecutionRecord[];
}

/** For tests and throwaway runners: forgets everything when the process ends. */
export const createInMemoryWorkflowPersistence = (): WorkflowPersistence => {
  const executions = new Map<string, ExecutionRecord>();
  const byName = new Map<string, string>();
  const histories = new Map<string, HistoryEvent[]>();
  const nameKey = (stateMachine: string, name: string) => `${stateMachine}\u0000${name}`;
  const history = (executionId: string): HistoryEvent[] => {
    const events = histories.get(executionId);
    if (!events) throw new Error(`no execution ${executionId} is stored; create it before appending its history`);
    return events;
  };
  return {
    createExecution(record) {
      if (executions.has(record.executionId) || byName.has(nameKey(record.stateMachine, record.name))) {
        throw new Error(`execution ${record.executionId} is already stored`);
      }
      executions.set(record.executionId, record);
      byName.set(nameKey(record.stateMachine, record.name), record.executionId);
      histories.set(record.executionId, []);
    },
    getExecution: (executionId) => executions.get(executionId),
    findExecutionByName(stateMachine, name) {
      const id = byName.get(nameKey(stateMachine, name));
      return id === undefined ? undefined : executions.get(id);
    },
    appendHistory(executionId, events) {
      history(executionId).push(...events);
    },
    finishExecution(executionId, outcome, lastEvents) {
      const record = executions.get(executionId);
      if (!record) throw new Error(`no execution ${executionId} is stored; create it before finishing it`);
      history(executionId).push(...lastEvents);
      executions.set(executionId, { ...record, ...outcome });
    },
    readHistory: (executionId) => [...(histories.get(executionId) ?? [])],
    lastEventId: (executionId) => histories.get(executionId)?.at(-1)?.id ?? 0,
    listRunning: () => [...executions.values()].filter((e) => e.status === 'RUNNING'),
  };
};
