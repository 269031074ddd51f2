import type { SqliteDatabase } from '../eventStore/sqliteDatabase.ts';
import type { ExecutionStatus, HistoryEvent } from './workflowEngine.ts';
import type { ExecutionRecord, ExecutionWrites, WorkflowPersistence } from './workflowPersistence.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS workflow_executions (
  execution_id  TEXT PRIMARY KEY,
  state_machine TEXT NOT NULL,
  name          TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED')),
  input         TEXT NOT NULL,
  output        TEXT,
  error         TEXT,
  cause         TEXT,
  start_date    INTEGER NOT NULL,
  stop_date     INTEGER,
  UNIQUE (state_machine, name)
);
CREATE INDEX IF NOT EXISTS workflow_executions_running ON workflow_executions (status) WHERE status = 'RUNNING';
CREATE TABLE IF NOT EXISTS workflow_history (
  execution_id      TEXT NOT NULL REFERENCES workflow_executions (execution_id),
  event_id          INTEGER NOT NULL,
  previous_event_id INTEGER NOT NULL,
  type              TEXT NOT NULL,
  timestamp         INTEGER NOT NULL,
  details           TEXT NOT NULL,
  PRIMARY KEY (execution_id, event_id)
) WITHOUT ROWID;
`;

interface ExecutionRow {
  execution_id: string;
  state_machine: string;
  name: string;
  status: ExecutionStatus;
  input: string;
  output: string | null;
  error: string | null;
  cause: string | null;
  start_date: number;
  stop_date: number | null;
}

interface HistoryRow {
  event_id: number;
  previous_event_id: number;
  type: HistoryEvent['type'];
  timestamp: number;
  details: string;
}

const toRecord = (row: ExecutionRow): ExecutionRecord => ({
  executionId: row.execution_id,
  stateMachine: row.state_machine,
  name: row.name,
  status: row.status,
  input: row.input,
  startDate: row.start_date,
  ...(row.output === null ? {} : { output: row.output }),
  ...(row.error === null ? {} : { error: row.error }),
  ...(row.cause === null ? {} : { cause: row.cause }),
  ...(row.stop_date === null ? {} : { stopDate: row.stop_date }),
});

/**
 * Workflow executions and their history in the embedded database (tables workflow_executions and
 * workflow_history), next to the event store. The database is the caller's: opened with
 * openSqlite (WAL, busy timeout) and closed by whoever opened it.
 */
export const createSqliteWorkflowPersistence = (db: SqliteDatabase): WorkflowPersistence => {
  db.exec(SCHEMA);
  const insertExecution = db.prepare(
    `INSERT INTO workflow_executions (execution_id, state_machine, name, status, input, start_date)
     VALUES (@executionId, @stateMachine, @name, @status, @input, @startDate)`,
  );
  const selectById = db.prepare<[string], ExecutionRow>('SELECT * FROM workflow_executions WHERE execution_id = ?');
  const selectByName = db.prepare<[string, string], ExecutionRow>('SELECT * FROM workflow_executions WHERE state_machine = ? AND name = ?');
  const selectRunning = db.prepare<[], ExecutionRow>("SELECT * FROM workflow_executions WHERE status = 'RUNNING' ORDER BY start_date");
  const updateOutcome = db.prepare(
    `UPDATE workflow_executions SET status = @status, output = @output, error = @error, cause = @cause, stop_date = @stopDate
     WHERE execution_id = @executionId`,
  );
  const insertEvent = db.prepare(
    `INSERT INTO workflow_history (execution_id, event_id, previous_event_id, type, timestamp, details)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const selectHistory = db.prepare<[string], HistoryRow>(
    'SELECT event_id, previous_event_id, type, timestamp, details FROM workflow_history WHERE execution_id = ? ORDER BY event_id',
  );
  const selectLastEventId = db.prepare<[string], { last: number | null }>('SELECT MAX(event_id) AS last FROM workflow_history WHERE execution_id = ?');

  const append = (executionId: string, events: readonly HistoryEvent[]) => {
    for (const { id, previousEventId, type, timestamp, ...details } of events) {
      insertEvent.run(executionId, id, previousEventId, type, timestamp.getTime(), JSON.stringify(details));
    }
  };
  const appendInTransaction = db.transaction(append);
  const create = (record: ExecutionRecord) =>
    insertExecution.run({ executionId: record.executionId, stateMachine: record.stateMachine, name: record.name, status: record.status, input: record.input, startDate: record.startDate });
  const finish = db.transaction((executionId: string, outcome: Parameters<WorkflowPersistence['finishExecution']>[1], events: readonly HistoryEvent[]) => {
    append(executionId, events);
    const changed = updateOutcome.run({
      executionId,
      status: outcome.status,
      output: outcome.output ?? null,
      error: outcome.error ?? null,
      cause: outcome.cause ?? null,
      stopDate: outcome.stopDate,
    }).changes;
    if (changed !== 1) throw new Error(`no execution ${executionId} is stored; create it before finishing it`);
  });
  const writeBatch = db.transaction((writes: ExecutionWrites) => {
    for (const record of writes.creates) create(record);
    for (const { executionId, events } of writes.histories) append(executionId, events);
    // A transaction of its own, so a savepoint here: its refusal undoes the whole batch, which the runner then writes part by part.
    for (const { executionId, outcome, lastEvents } of writes.finishes) finish(executionId, outcome, lastEvents);
  });

  return {
    createExecution(record) {
      create(record);
    },
    getExecution(executionId) {
      const row = selectById.get(executionId);
      return row && toRecord(row);
    },
    findExecutionByName(stateMachine, name) {
      const row = selectByName.get(stateMachine, name);
      return row && toRecord(row);
    },
    appendHistory(executionId, events) {
      if (events.length > 0) appendInTransaction(executionId, events);
    },
    writeBatch(writes) {
      writeBatch(writes);
    },
    finishExecution(executionId, outcome, lastEvents) {
      finish(executionId, outcome, lastEvents);
    },
    readHistory(executionId) {
      return selectHistory.all(executionId).map((row) => ({
        ...(JSON.parse(row.details) as Omit<HistoryEvent, 'id' | 'previousEventId' | 'type' | 'timestamp'>),
        id: row.event_id,
        previousEventId: row.previous_event_id,
        type: row.type,
        timestamp: new Date(row.timestamp),
      }));
    },
    lastEventId(executionId) {
      return selectLastEventId.get(executionId)?.last ?? 0;
    },
    listRunning() {
      return selectRunning.all().map(toRecord);
    },
  };
};
