/**
 * A child process for the restart test: starts the local workflow engine on the SQLite file named
 * by WORKFLOW_DB, starts one execution whose task never finishes, and prints `running <executionId>`
 * once the history of that task's start is stored. The parent then kills it with SIGKILL.
 */
import { join } from 'node:path';
import { openSqlite } from '../../../functions/eventStore/sqliteDatabase.ts';
import { createLocalWorkflowEngine, localFunctionArn } from '../../../functions/workflows/localWorkflowEngine.ts';
import { createSqliteWorkflowPersistence } from '../../../functions/workflows/sqliteWorkflowPersistence.ts';

const file = process.env['WORKFLOW_DB'];
if (!file) throw new Error('set WORKFLOW_DB to the SQLite file to use');

const engine = createLocalWorkflowEngine({
  persistence: createSqliteWorkflowPersistence(openSqlite({ file })),
  handlers: { doWork: () => new Promise(() => undefined) },
  stateMachines: [
    {
      name: 'singleTask',
      definitionFile: join(import.meta.dirname, '../fixtures/singleTask.asl.json'),
      substitutions: { DoWorkFunctionArn: localFunctionArn('doWork') },
    },
  ],
});
engine.onEvent(({ executionId, event }) => {
  if (event.type === 'TaskStateEntered') process.stdout.write(`running ${executionId}\n`);
});
await engine.startExecution('singleTask', { serial: 'meter-1' }, { name: 'never-finishes' });
