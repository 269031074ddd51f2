import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import { createLocalWorkflowEngine, localFunctionArn, type LocalWorkflowEngine } from '../../functions/workflows/localWorkflowEngine.ts';
import { createSqliteWorkflowPersistence } from '../../functions/workflows/sqliteWorkflowPersistence.ts';
import type { WorkflowPersistence } from '../../functions/workflows/workflowPersistence.ts';

/**
 * A registration burst starts one bootstrap execution per device at once: the local engine stores
 * every start, history and outcome of one turn in one SQLite write instead of one commit each
 * (functions/workflows/historyRecorder.ts). Real SQLite files; the persistence is wrapped only to
 * count the writes it is asked for and, in the last test, to refuse some.
 */

const singleTask = join(import.meta.dirname, '../workflows/fixtures/singleTask.asl.json');
const dirs: string[] = [];
const dbs: SqliteDatabase[] = [];
const engines: LocalWorkflowEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
  for (const db of dbs.splice(0)) db.close();
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const counted = (refuse: { batch?: boolean; create?: (name: string) => boolean } = {}) => {
  const dir = mkdtempSync(join(tmpdir(), 'workflow-burst-'));
  dirs.push(dir);
  const db = openSqlite({ file: join(dir, 'fleet.db') });
  dbs.push(db);
  const inner = createSqliteWorkflowPersistence(db);
  const writes = { batches: 0, creates: 0, histories: 0, finishes: 0 };
  const persistence: WorkflowPersistence = {
    ...inner,
    createExecution(record) {
      writes.creates += 1;
      if (refuse.create?.(record.name)) throw new Error(`disk refused ${record.name}`);
      inner.createExecution(record);
    },
    appendHistory(executionId, events) {
      writes.histories += 1;
      inner.appendHistory(executionId, events);
    },
    finishExecution(executionId, outcome, last) {
      writes.finishes += 1;
      inner.finishExecution(executionId, outcome, last);
    },
    writeBatch(batch) {
      writes.batches += 1;
      if (refuse.batch) throw new Error('the batch was refused');
      inner.writeBatch!(batch);
    },
  };
  const engine = createLocalWorkflowEngine({ persistence, handlers: { doWork: (input) => Promise.resolve(input) }, log: { error: () => undefined } });
  engines.push(engine);
  engine.registerStateMachine({ name: 'singleTask', definitionFile: singleTask, substitutions: { DoWorkFunctionArn: localFunctionArn('doWork') } });
  return { engine, writes, inner };
};

const BURST = 100;

describe('the local workflow engine under a burst of starts', () => {
  it('stores a burst of executions in a handful of writes, each with its whole history in order', async () => {
    const { engine, writes } = counted();
    const ids = await Promise.all(Array.from({ length: BURST }, (_, i) => engine.startExecution('singleTask', { device: i }, { name: `bs-${i}` })));
    const done = await Promise.all(ids.map((id) => engine.waitForCompletion(id)));
    expect(done.map((d) => d.status)).toEqual(Array.from({ length: BURST }, () => 'SUCCEEDED'));
    expect(done.map((d) => d.output)).toEqual(Array.from({ length: BURST }, (_, i) => ({ device: i })));
    for (const id of ids) {
      const history = await engine.getExecutionHistory(id);
      expect(history.map((e) => e.type)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'TaskStateExited', 'ExecutionSucceeded']);
      expect(history.map((e) => [e.id, e.previousEventId])).toEqual(history.map((_, i) => [i + 1, i]));
      expect((await engine.describeExecution(id)).status).toBe('SUCCEEDED');
    }
    // One commit per execution per step would be hundreds; the starts, histories and outcomes share a few.
    expect(writes.batches).toBeGreaterThan(0);
    expect(writes.batches).toBeLessThanOrEqual(10);
    expect(writes).toMatchObject({ creates: 0, histories: 0, finishes: 0 });
  });

  it('finds a start still waiting to be stored: the same name and input is the same execution, other input is refused', async () => {
    const { engine } = counted();
    const first = engine.startExecution('singleTask', { device: 1 }, { name: 'bs-twice' });
    const again = engine.startExecution('singleTask', { device: 1 }, { name: 'bs-twice' });
    const other = engine.startExecution('singleTask', { device: 2 }, { name: 'bs-twice' });
    await expect(other).rejects.toThrow(/already exists \(RUNNING\) with a different input/);
    expect(await again).toBe(await first);
    expect((await engine.waitForCompletion(await first)).status).toBe('SUCCEEDED');
  });

  it('writes part by part when a batch is refused, so only the start at fault fails', async () => {
    const { engine, writes, inner } = counted({ batch: true, create: (name) => name === 'bs-doomed' });
    const good = Array.from({ length: 5 }, (_, i) => engine.startExecution('singleTask', { device: i }, { name: `bs-ok-${i}` }));
    const doomed = engine.startExecution('singleTask', { device: 99 }, { name: 'bs-doomed' });
    await expect(doomed).rejects.toThrow('disk refused bs-doomed');
    const ids = await Promise.all(good);
    for (const id of ids) expect((await engine.waitForCompletion(id)).status).toBe('SUCCEEDED');
    expect(inner.findExecutionByName('singleTask', 'bs-doomed')).toBeUndefined();
    expect(writes.batches).toBeGreaterThan(0);
    expect(writes.creates).toBe(6);
    expect(writes.finishes).toBe(5);
  });
});
