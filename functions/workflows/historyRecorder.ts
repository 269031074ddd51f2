import type { UnnumberedEvent } from './historyEvents.ts';
import type { HistoryEvent } from './workflowEngine.ts';
import type { ExecutionOutcome, WorkflowPersistence } from './workflowPersistence.ts';

export interface HistoryRecorder {
  /** Numbers the events and queues them; they are stored at the end of this turn of the event loop. */
  record(events: readonly UnnumberedEvent[]): void;
  /** Stores what is queued together with the outcome, in one write. */
  finish(outcome: ExecutionOutcome): void;
}

export interface HistoryRecorderOptions {
  readonly executionId: string;
  readonly persistence: WorkflowPersistence;
  /** Called with each batch after it is stored, so a listener never sees an event the store lacks. */
  readonly announce: (events: readonly HistoryEvent[]) => void;
  readonly log: { error(details: object, message: string): void };
}

/**
 * Numbers an execution's events (id 1, 2, ...; previousEventId the one before, as Step Functions
 * defines it) and stores them in batches, one write per turn of the event loop rather than one
 * per event: a Map over many items produces events in bursts, and each write is a commit.
 */
export const createHistoryRecorder = ({ executionId, persistence, announce, log }: HistoryRecorderOptions): HistoryRecorder => {
  let nextId = 1;
  let pending: HistoryEvent[] = [];
  let flushScheduled = false;

  const take = (): HistoryEvent[] => {
    const batch = pending;
    pending = [];
    return batch;
  };

  const flush = () => {
    flushScheduled = false;
    const batch = take();
    if (batch.length === 0) return;
    try {
      persistence.appendHistory(executionId, batch);
    } catch (error) {
      log.error({ executionId, err: error }, 'workflow history could not be stored; these events are lost');
    }
    announce(batch);
  };

  return {
    record(events) {
      for (const event of events) {
        pending.push({ ...event, id: nextId, previousEventId: nextId - 1 });
        nextId += 1;
      }
      if (!flushScheduled && pending.length > 0) {
        flushScheduled = true;
        setImmediate(flush);
      }
    },
    finish(outcome) {
      const batch = take();
      try {
        persistence.finishExecution(executionId, outcome, batch);
      } catch (error) {
        log.error({ executionId, err: error }, 'the workflow outcome could not be stored');
      }
      announce(batch);
    },
  };
};
