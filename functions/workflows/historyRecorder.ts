import type { UnnumberedEvent } from './historyEvents.ts';
import type { HistoryEvent } from './workflowEngine.ts';
import type { ExecutionOutcome, ExecutionRecord, ExecutionWrites, WorkflowPersistence } from './workflowPersistence.ts';

export interface HistoryRecorder {
  /** Numbers the events and queues them; they are stored at the end of this turn of the event loop. */
  record(events: readonly UnnumberedEvent[]): void;
  /** Stores what is queued together with the outcome; resolves once stored (a failure is logged, never thrown). */
  finish(outcome: ExecutionOutcome): Promise<void>;
}

type Log = { error(details: object, message: string): void };

interface QueuedHistory {
  readonly executionId: string;
  take(): HistoryEvent[];
  announce(events: readonly HistoryEvent[]): void;
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

const deferred = (): Deferred => {
  let resolve: () => void = () => undefined;
  let reject: (error: Error) => void = () => undefined;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

/**
 * What an engine's executions write, gathered per turn of the event loop and stored in one write:
 * new executions first, then history, then outcomes. A fleet arriving runs hundreds of executions
 * at once, and a write per start, per execution per turn and per outcome was a commit (an fsync)
 * each. Every caller still learns when its own part is stored.
 */
export interface ExecutionWriter {
  /** Stores a new RUNNING execution with this turn's writes; resolves once stored, rejects if it could not be. */
  create(record: ExecutionRecord): Promise<void>;
  /** A creation still waiting to be stored, so that a second start in the same turn finds it. */
  pendingCreation(stateMachine: string, name: string): { readonly record: ExecutionRecord; readonly stored: Promise<void> } | undefined;
  /** Stores this execution's queued events at the end of the turn, with every other execution's. */
  enqueue(history: QueuedHistory): void;
  /** Stores the last events and the outcome with this turn's writes; resolves once stored (or the failure logged). */
  finish(history: QueuedHistory, outcome: ExecutionOutcome): Promise<void>;
}

const nameKey = (stateMachine: string, name: string) => `${stateMachine}\u0000${name}`;

export const createExecutionWriter = ({ persistence, log }: { readonly persistence: WorkflowPersistence; readonly log: Log }): ExecutionWriter => {
  let creates = new Map<string, { record: ExecutionRecord; done: Deferred }>();
  let histories = new Map<string, QueuedHistory>();
  let finishes: { history: QueuedHistory; outcome: ExecutionOutcome; done: Deferred }[] = [];
  let scheduled = false;

  /** One write at a time, so one execution's problem does not cost the others theirs. */
  const writeEach = (writes: ExecutionWrites, createdFailed: Map<string, Error>) => {
    for (const record of writes.creates) {
      try {
        persistence.createExecution(record);
      } catch (error) {
        createdFailed.set(record.executionId, error instanceof Error ? error : new Error(String(error)));
      }
    }
    for (const { executionId, events } of writes.histories) {
      try {
        persistence.appendHistory(executionId, events);
      } catch (error) {
        log.error({ executionId, err: error }, 'workflow history could not be stored; these events are lost');
      }
    }
    for (const { executionId, outcome, lastEvents } of writes.finishes) {
      try {
        persistence.finishExecution(executionId, outcome, lastEvents);
      } catch (error) {
        log.error({ executionId, err: error }, 'the workflow outcome could not be stored');
      }
    }
  };

  const flush = () => {
    scheduled = false;
    const created = [...creates.values()];
    const queued = [...histories.values()];
    const finished = finishes;
    creates = new Map();
    histories = new Map();
    finishes = [];
    const history = queued.map((h) => ({ queued: h, executionId: h.executionId, events: h.take() })).filter((h) => h.events.length > 0);
    const last = finished.map((f) => ({ ...f, lastEvents: f.history.take() }));
    const writes: ExecutionWrites = {
      creates: created.map((c) => c.record),
      histories: history,
      finishes: last.map((f) => ({ executionId: f.history.executionId, outcome: f.outcome, lastEvents: f.lastEvents })),
    };
    const createdFailed = new Map<string, Error>();
    if (persistence.writeBatch === undefined) writeEach(writes, createdFailed);
    else {
      try {
        persistence.writeBatch(writes);
      } catch {
        // The batch was all or nothing: write each part alone, so only the part at fault fails.
        writeEach(writes, createdFailed);
      }
    }
    for (const { record, done } of created) {
      const error = createdFailed.get(record.executionId);
      if (error) done.reject(error);
      else done.resolve();
    }
    for (const h of history) h.queued.announce(h.events);
    for (const f of last) {
      f.history.announce(f.lastEvents);
      f.done.resolve();
    }
  };

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };

  return {
    create(record) {
      const done = deferred();
      creates.set(nameKey(record.stateMachine, record.name), { record, done });
      schedule();
      return done.promise;
    },
    pendingCreation(stateMachine, name) {
      const pending = creates.get(nameKey(stateMachine, name));
      return pending && { record: pending.record, stored: pending.done.promise };
    },
    enqueue(history) {
      histories.set(history.executionId, history);
      schedule();
    },
    finish(history, outcome) {
      // Its remaining events go with the outcome, after whatever of it this turn already queued.
      histories.delete(history.executionId);
      const done = deferred();
      finishes.push({ history, outcome, done });
      schedule();
      return done.promise;
    },
  };
};

export interface HistoryRecorderOptions {
  readonly executionId: string;
  readonly writer: ExecutionWriter;
  /** Called with each batch after it is stored, so a listener never sees an event the store lacks. */
  readonly announce: (events: readonly HistoryEvent[]) => void;
}

/**
 * Numbers an execution's events (id 1, 2, ...; previousEventId the one before, as Step Functions
 * defines it) and stores them in batches, one write per turn of the event loop rather than one
 * per event: a Map over many items produces events in bursts, and each write is a commit.
 */
export const createHistoryRecorder = ({ executionId, writer, announce }: HistoryRecorderOptions): HistoryRecorder => {
  let nextId = 1;
  let pending: HistoryEvent[] = [];
  const queued: QueuedHistory = {
    executionId,
    take: () => {
      const taken = pending;
      pending = [];
      return taken;
    },
    announce,
  };

  return {
    record(events) {
      for (const event of events) {
        pending.push({ ...event, id: nextId, previousEventId: nextId - 1 });
        nextId += 1;
      }
      if (pending.length > 0) writer.enqueue(queued);
    },
    finish: (outcome) => writer.finish(queued, outcome),
  };
};
