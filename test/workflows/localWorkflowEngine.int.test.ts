import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../../functions/eventStore/sqliteDatabase.ts';
import {
  createLocalWorkflowEngine,
  INTERRUPTED_CAUSE,
  localFunctionArn,
  SHUTDOWN_ERROR,
  type LocalTaskHandler,
  type LocalWorkflowEngine,
  type LocalWorkflowEngineOptions,
} from '../../functions/workflows/localWorkflowEngine.ts';
import { createSqliteWorkflowPersistence } from '../../functions/workflows/sqliteWorkflowPersistence.ts';
import type { HistoryEvent, WorkflowProgressEvent } from '../../functions/workflows/workflowEngine.ts';
import { createInMemoryWorkflowPersistence } from '../../functions/workflows/workflowPersistence.ts';

const fixture = (name: string) => join(import.meta.dirname, 'fixtures', `${name}.asl.json`);

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'workflows-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const engines: LocalWorkflowEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

const engineWith = (handlers: Record<string, LocalTaskHandler>, options: Partial<LocalWorkflowEngineOptions> = {}) => {
  const engine = createLocalWorkflowEngine({ persistence: createInMemoryWorkflowPersistence(), handlers, timeScale: 0.0001, ...options });
  engines.push(engine);
  return engine;
};

const provisionOneSubstitutions = {
  ValidateRowFunctionArn: localFunctionArn('validateRow'),
  CreateThingFunctionArn: localFunctionArn('createThing'),
  CreateKeysFunctionArn: localFunctionArn('createKeys'),
};

const thrownBy = (work: () => unknown): Error => {
  try {
    work();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw, got none');
};

const types = (history: readonly HistoryEvent[]) => history.map((e) => e.type);

/** Thrown by handlers as an AWS SDK error would be: the name is the ASL error. */
class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

describe('local workflow engine (aws-local-stepfunctions)', () => {
  it('runs a task chain with substitutions through Choice, Pass, Parallel, a time-scaled Wait, Succeed and Fail', async () => {
    const calls: { fn: string; input: unknown; state: string }[] = [];
    const record =
      (fn: string, result: (input: Record<string, unknown>) => unknown): LocalTaskHandler =>
      (input, ctx) => {
        calls.push({ fn, input, state: ctx.stateName });
        return result(input as Record<string, unknown>);
      };
    const engine = engineWith({
      validateRow: record('validateRow', (row) => ({ valid: row['serial'] !== 'bad' })),
      createThing: record('createThing', (row) => ({ thingName: `thing-${String(row['serial'])}`, policy: row['policy'] })),
      createKeys: record('createKeys', (payload) => ({ keyId: `key-${String(payload['serial'])}` })),
    });
    const arn = engine.registerStateMachine({ name: 'provisionOne', definitionFile: fixture('provisionOne'), substitutions: provisionOneSubstitutions });
    expect(arn).toBe('arn:aws:states:local:000000000000:stateMachine:provisionOne');
    const live: WorkflowProgressEvent[] = [];
    engine.onEvent((e) => live.push(e));

    const started = Date.now();
    const id = await engine.startExecution('provisionOne', { serial: 'meter-7', tenant: 'city' });
    const done = await engine.waitForCompletion(id);
    const elapsed = Date.now() - started;

    expect(done).toMatchObject({
      status: 'SUCCEEDED',
      stateMachine: 'provisionOne',
      input: { serial: 'meter-7', tenant: 'city' },
      output: { thing: { thingName: 'thing-meter-7', policy: 'device-default' }, keys: { keyId: 'key-meter-7' } },
    });
    expect(done.stopDate!.getTime()).toBeGreaterThanOrEqual(done.startDate.getTime());
    // lambda:invoke passes only Parameters.Payload to the function.
    expect(calls.find((c) => c.fn === 'createKeys')).toEqual({ fn: 'createKeys', input: { serial: 'meter-7' }, state: 'CreateKeys' });

    const history = await engine.getExecutionHistory(id);
    expect(history.map((e) => e.id)).toEqual(history.map((_, i) => i + 1));
    expect(history.map((e) => e.previousEventId)).toEqual(history.map((_, i) => i));
    expect(types(history).filter((t) => t.endsWith('StateEntered'))).toEqual([
      'TaskStateEntered',
      'ChoiceStateEntered',
      'PassStateEntered',
      'ParallelStateEntered',
      'TaskStateEntered',
      'TaskStateEntered',
      'WaitStateEntered',
      'SucceedStateEntered',
    ]);
    expect(history[0]).toMatchObject({ type: 'ExecutionStarted', executionStartedEventDetails: { input: '{"serial":"meter-7","tenant":"city"}' } });
    expect(JSON.parse(history.at(-1)!.executionSucceededEventDetails!.output)).toEqual(done.output);

    // Wait Seconds 2000 at scale 0.0001 is 200 ms: scaled, not skipped, and not 33 minutes.
    const waitEntered = history.find((e) => e.type === 'WaitStateEntered')!;
    const waitExited = history.find((e) => e.type === 'WaitStateExited')!;
    expect(waitExited.timestamp.getTime() - waitEntered.timestamp.getTime()).toBeGreaterThanOrEqual(195);
    expect(elapsed).toBeLessThan(10_000);

    // Listeners saw every stored event, in order.
    expect(live.filter((e) => e.executionId === id).map((e) => e.event)).toEqual(history);

    const rejected = await engine.waitForCompletion(await engine.startExecution('provisionOne', { serial: 'bad', tenant: 'city' }));
    expect(rejected).toMatchObject({ status: 'FAILED', error: 'RowRejected', cause: 'the manifest row did not validate' });
    const rejectedHistory = await engine.getExecutionHistory(rejected.executionId);
    expect(types(rejectedHistory).slice(-2)).toEqual(['FailStateEntered', 'ExecutionFailed']);
  });

  it('runs a Map over 50 items with MaxConcurrency 4: never more than 4 handlers at once', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let calls = 0;
    const engine = engineWith({
      processItem: async (input) => {
        calls += 1;
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        // Give the other iterations a chance to start while this one is in flight.
        for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
        return { n: (input as { n: number }).n * 2 };
      },
    });
    engine.registerStateMachine({ name: 'mapItems', definitionFile: fixture('mapItems'), substitutions: { ProcessItemFunctionArn: localFunctionArn('processItem') } });
    const items = Array.from({ length: 50 }, (_, n) => ({ n }));

    const done = await engine.waitForCompletion(await engine.startExecution('mapItems', { items }));

    expect(done.status).toBe('SUCCEEDED');
    expect(done.output).toEqual(items.map(({ n }) => ({ n: n * 2 })));
    expect(calls).toBe(50);
    expect(maxInFlight).toBe(4);
    const history = await engine.getExecutionHistory(done.executionId);
    const iterations = history.filter((e) => e.type === 'MapIterationStarted');
    expect(iterations.map((e) => e.mapIterationStartedEventDetails!.index).sort((a, b) => a - b)).toEqual(items.map(({ n }) => n));
    expect(history.filter((e) => e.type === 'MapIterationSucceeded')).toHaveLength(50);
    const taskEntries = history.filter((e) => e.type === 'TaskStateEntered');
    expect(new Set(taskEntries.map((e) => e.mapIterationIndex)).size).toBe(50);
    expect(types(history).slice(0, 2)).toEqual(['ExecutionStarted', 'MapStateEntered']);
    expect(types(history).slice(-2)).toEqual(['MapStateExited', 'ExecutionSucceeded']);
  });

  it('retries a custom error with backoff: fails twice, then succeeds; the history shows each retry', async () => {
    const attempts: number[] = [];
    const engine = engineWith(
      {
        callApi: (input) => {
          attempts.push(Date.now());
          if (attempts.length <= 2) throw new NamedError('ThrottlingException', `slow down (attempt ${attempts.length})`);
          return { ok: true, input };
        },
      },
      // 2 s and 6 s become 20 ms and 60 ms.
      { timeScale: 0.01 },
    );
    engine.registerStateMachine({ name: 'retryBackoff', definitionFile: fixture('retryBackoff'), substitutions: { CallApiFunctionArn: localFunctionArn('callApi') } });

    const done = await engine.waitForCompletion(await engine.startExecution('retryBackoff', { call: 1 }));

    expect(done).toMatchObject({ status: 'SUCCEEDED', output: { ok: true, input: { call: 1 } } });
    expect(attempts).toHaveLength(3);
    const history = await engine.getExecutionHistory(done.executionId);
    expect(types(history)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskFailed',
      'StateRetried',
      'TaskFailed',
      'StateRetried',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    const failed = history.filter((e) => e.type === 'TaskFailed').map((e) => e.taskFailedEventDetails!);
    expect(failed.map((f) => [f.error, JSON.parse(f.cause!) as unknown, f.resource])).toEqual([
      ['ThrottlingException', { errorType: 'ThrottlingException', errorMessage: 'slow down (attempt 1)' }, localFunctionArn('callApi')],
      ['ThrottlingException', { errorType: 'ThrottlingException', errorMessage: 'slow down (attempt 2)' }, localFunctionArn('callApi')],
    ]);
    const retries = history.filter((e) => e.type === 'StateRetried').map((e) => e.stateRetriedEventDetails!);
    expect(retries).toEqual([
      { name: 'CallThrottledApi', retryAttempt: 1, errorEquals: ['ThrottlingException'] },
      { name: 'CallThrottledApi', retryAttempt: 2, errorEquals: ['ThrottlingException'] },
    ]);
    // Backoff: IntervalSeconds 2, BackoffRate 3, scaled by 0.01 (timers may fire a millisecond early).
    expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(19);
    expect(attempts[2]! - attempts[1]!).toBeGreaterThanOrEqual(59);
  });

  it('fails with the custom error once the retries are spent', async () => {
    let calls = 0;
    const engine = engineWith({
      callApi: () => {
        calls += 1;
        throw new NamedError('ThrottlingException', 'still throttled');
      },
    });
    engine.registerStateMachine({ name: 'retryBackoff', definitionFile: fixture('retryBackoff'), substitutions: { CallApiFunctionArn: localFunctionArn('callApi') } });
    const done = await engine.waitForCompletion(await engine.startExecution('retryBackoff', {}));
    expect(calls).toBe(4); // the first attempt and MaxAttempts 3
    expect(done).toMatchObject({ status: 'FAILED', error: 'ThrottlingException' });
    expect(JSON.parse(done.cause!)).toEqual({ errorType: 'ThrottlingException', errorMessage: 'still throttled' });
  });

  it('catches a named error into a failure path; a plain Error is States.TaskFailed', async () => {
    const recorded: unknown[] = [];
    const engine = engineWith({
      registerDevice: () => {
        throw new NamedError('DeviceRejected', 'meter-9 is on the deny list');
      },
      recordFailure: (input) => {
        recorded.push(input);
        return { recorded: true };
      },
      doWork: () => {
        throw new Error('disk full');
      },
    });
    engine.registerStateMachine({
      name: 'catchFailure',
      definitionFile: fixture('catchFailure'),
      substitutions: { RegisterDeviceFunctionArn: localFunctionArn('registerDevice'), RecordFailureFunctionArn: localFunctionArn('recordFailure') },
    });
    engine.registerStateMachine({ name: 'singleTask', definitionFile: fixture('singleTask'), substitutions: { DoWorkFunctionArn: localFunctionArn('doWork') } });

    const caught = await engine.waitForCompletion(await engine.startExecution('catchFailure', { serial: 'meter-9' }));
    expect(caught).toMatchObject({ status: 'FAILED', error: 'RegistrationFailed', cause: 'the device was rejected; see the recorded failure' });
    expect(recorded).toEqual([
      {
        serial: 'meter-9',
        error: { Error: 'DeviceRejected', Cause: JSON.stringify({ errorType: 'DeviceRejected', errorMessage: 'meter-9 is on the deny list' }) },
      },
    ]);
    const history = await engine.getExecutionHistory(caught.executionId);
    expect(types(history)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskFailed',
      'StateCaught',
      'TaskStateExited',
      'TaskStateEntered',
      'TaskStateExited',
      'FailStateEntered',
      'ExecutionFailed',
    ]);
    expect(history.find((e) => e.type === 'StateCaught')!.stateCaughtEventDetails).toEqual({ name: 'RegisterDevice', errorEquals: ['DeviceRejected'], next: 'RecordFailure' });

    const plain = await engine.waitForCompletion(await engine.startExecution('singleTask', {}));
    expect(plain).toMatchObject({ status: 'FAILED', error: 'States.TaskFailed' });
    expect(JSON.parse(plain.cause!)).toEqual({ errorType: 'Error', errorMessage: 'disk full' });
  });

  it('refuses a definition with an unsubstituted ${X}, naming it and where it is', async () => {
    const engine = engineWith({ validateRow: () => ({}), createThing: () => ({}), createKeys: () => ({}) });
    const { CreateKeysFunctionArn: _left, ...partial } = provisionOneSubstitutions;
    const error = thrownBy(() => engine.registerStateMachine({ name: 'provisionOne', definitionFile: fixture('provisionOne'), substitutions: partial }));
    expect(error.name).toBe('InvalidDefinition');
    expect(error.message).toContain('unsubstituted ${CreateKeysFunctionArn} at States.CreateAll.Branches[1].States.CreateKeys.Parameters.FunctionName');
    expect(error.message).toContain('given: ValidateRowFunctionArn, CreateThingFunctionArn');
    await expect(engine.startExecution('provisionOne', {})).rejects.toThrow(/no state machine "provisionOne" is registered/u);
  });

  it('refuses a Task whose resource has no local handler, naming the state, the function and the handlers it has', () => {
    const engine = engineWith({ validateRow: () => ({}), createThing: () => ({}) });
    const error = thrownBy(() =>
      engine.registerStateMachine({ name: 'provisionOne', definitionFile: fixture('provisionOne'), substitutions: { ...provisionOneSubstitutions, CreateKeysFunctionArn: localFunctionArn('createKeyz') } }),
    );
    expect(error.name).toBe('InvalidDefinition');
    const { message } = error;
    expect(message).toContain('no local handler for Task state "CreateKeys"');
    expect(message).toContain('function "createKeyz"');
    expect(message).toContain('Registered handlers: validateRow, createThing');
  });

  it('refuses a time-scaled Wait whose duration comes from the input, unless given an override', async () => {
    const waitFromInput = {
      StartAt: 'Pause',
      States: { Pause: { Type: 'Wait', SecondsPath: '$.seconds', End: true } },
    };
    const engine = engineWith({});
    expect(() => engine.registerStateMachine({ name: 'pause', definition: waitFromInput })).toThrow(/Wait state "Pause" waits by SecondsPath.*waitOverridesMs/u);
    engine.registerStateMachine({ name: 'pauseOverridden', definition: JSON.stringify(waitFromInput), waitOverridesMs: { Pause: 1 } });
    const done = await engine.waitForCompletion(await engine.startExecution('pauseOverridden', { seconds: 86_400 }));
    expect(done).toMatchObject({ status: 'SUCCEEDED', output: { seconds: 86_400 } });
  });

  it('starts idempotently by name: same input returns the execution, a different input is ExecutionAlreadyExists', async () => {
    let calls = 0;
    const engine = engineWith({
      doWork: (input) => {
        calls += 1;
        return input;
      },
    });
    engine.registerStateMachine({ name: 'singleTask', definitionFile: fixture('singleTask'), substitutions: { DoWorkFunctionArn: localFunctionArn('doWork') } });

    const first = await engine.startExecution('singleTask', { serial: 'meter-1', tenant: 'city' }, { name: 'manifest-42' });
    const again = await engine.startExecution('singleTask', { tenant: 'city', serial: 'meter-1' }, { name: 'manifest-42' });
    expect(again).toBe(first);
    expect(first).toBe('arn:aws:states:local:000000000000:execution:singleTask:manifest-42');
    await engine.waitForCompletion(first);
    // Still the same once it has finished, and the handler ran once.
    expect(await engine.startExecution('arn:aws:states:local:000000000000:stateMachine:singleTask', { serial: 'meter-1', tenant: 'city' }, { name: 'manifest-42' })).toBe(first);
    expect(calls).toBe(1);

    const conflict = engine.startExecution('singleTask', { serial: 'meter-2', tenant: 'city' }, { name: 'manifest-42' });
    await expect(conflict).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await expect(conflict).rejects.toThrow('execution manifest-42 of singleTask already exists (SUCCEEDED) with a different input');
    await expect(engine.startExecution('singleTask', {}, { name: 'has space' })).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(engine.startExecution('nope', {})).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    await expect(engine.startExecution('singleTask', { blob: 'x'.repeat(300_000) })).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    await expect(engine.describeExecution('arn:aws:states:local:000000000000:execution:singleTask:unknown')).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
    // Two starts in the same turn: one execution.
    const [a, b] = await Promise.all([
      engine.startExecution('singleTask', { n: 1 }, { name: 'racing' }),
      engine.startExecution('singleTask', { n: 1 }, { name: 'racing' }),
    ]);
    expect(a).toBe(b);
  });

  it('stops a running execution: ABORTED with the given reason, the handler sees its signal; close() aborts the rest', async () => {
    const signals: AbortSignal[] = [];
    const engine = engineWith({
      doWork: (_input, ctx) =>
        new Promise((_resolve, reject) => {
          signals.push(ctx.signal);
          ctx.signal.addEventListener('abort', () => reject(new Error('stopped')));
        }),
    });
    engine.registerStateMachine({ name: 'singleTask', definitionFile: fixture('singleTask'), substitutions: { DoWorkFunctionArn: localFunctionArn('doWork') } });
    const entered = new Promise<void>((resolve) => {
      engine.onEvent(({ event }) => {
        if (event.type === 'TaskStateEntered') resolve();
      });
    });
    const id = await engine.startExecution('singleTask', {}, { name: 'to-stop' });
    await entered;
    expect((await engine.describeExecution(id)).status).toBe('RUNNING');

    const stopped = await engine.stopExecution(id, { error: 'OperatorStop', cause: 'manifest withdrawn' });
    expect(stopped).toMatchObject({ status: 'ABORTED', error: 'OperatorStop', cause: 'manifest withdrawn' });
    expect(signals[0]!.aborted).toBe(true);
    const history = await engine.getExecutionHistory(id);
    expect(history.at(-1)).toMatchObject({ type: 'ExecutionAborted', executionAbortedEventDetails: { error: 'OperatorStop', cause: 'manifest withdrawn' } });
    // Stopping a closed execution leaves it as it is.
    expect(await engine.stopExecution(id)).toEqual(stopped);

    const other = await engine.startExecution('singleTask', {}, { name: 'closed-on' });
    await engine.close();
    expect(await engine.describeExecution(other)).toMatchObject({ status: 'ABORTED', error: SHUTDOWN_ERROR });
    await expect(engine.startExecution('singleTask', {})).rejects.toMatchObject({ name: 'EngineClosed' });
  });

  it('times out an execution that runs past its TimeoutSeconds (TIMED_OUT, ExecutionTimedOut)', async () => {
    const engine = engineWith({
      doWork: (_input, ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('gave up')))),
    });
    const definition = {
      TimeoutSeconds: 1,
      StartAt: 'DoWork',
      States: { DoWork: { Type: 'Task', Resource: localFunctionArn('doWork'), End: true } },
    };
    engine.registerStateMachine({ name: 'slow', definition });
    const done = await engine.waitForCompletion(await engine.startExecution('slow', {}));
    expect(done).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect((await engine.getExecutionHistory(done.executionId)).at(-1)?.type).toBe('ExecutionTimedOut');
  });

  it('keeps executions and history in SQLite: readable after closing and reopening the database', async () => {
    const file = join(tempDir(), 'fleet.db');
    const db = openSqlite({ file });
    const engine = createLocalWorkflowEngine({
      persistence: createSqliteWorkflowPersistence(db),
      timeScale: 0.001,
      handlers: {
        callApi: (() => {
          let calls = 0;
          return () => {
            calls += 1;
            if (calls === 1) throw new NamedError('ThrottlingException', 'once');
            return { ok: calls };
          };
        })(),
        processItem: (input) => input,
      },
      stateMachines: [
        { name: 'retryBackoff', definitionFile: fixture('retryBackoff'), substitutions: { CallApiFunctionArn: localFunctionArn('callApi') } },
        { name: 'mapItems', definitionFile: fixture('mapItems'), substitutions: { ProcessItemFunctionArn: localFunctionArn('processItem') } },
      ],
    });
    const retried = await engine.waitForCompletion(await engine.startExecution('retryBackoff', { a: 1 }, { name: 'r1' }));
    const mapped = await engine.waitForCompletion(await engine.startExecution('mapItems', { items: [1, 2, 3] }, { name: 'm1' }));
    const histories = [await engine.getExecutionHistory(retried.executionId), await engine.getExecutionHistory(mapped.executionId)];
    await engine.close();
    db.close();

    const reopened = openSqlite({ file });
    try {
      const again = createLocalWorkflowEngine({ persistence: createSqliteWorkflowPersistence(reopened), handlers: {} });
      expect(again.interruptedByRestart).toEqual([]);
      expect(await again.describeExecution(retried.executionId)).toEqual(retried);
      expect(await again.describeExecution(mapped.executionId)).toEqual(mapped);
      expect(await again.getExecutionHistory(retried.executionId)).toEqual(histories[0]);
      expect(await again.getExecutionHistory(mapped.executionId)).toEqual(histories[1]);
      expect(types(histories[0]!)).toContain('StateRetried');
      expect(histories[1]!.filter((e) => e.type === 'MapIterationSucceeded')).toHaveLength(3);
      const rows = reopened.prepare('SELECT COUNT(*) AS n FROM workflow_history').get() as { n: number };
      expect(rows.n).toBe(histories[0]!.length + histories[1]!.length);
    } finally {
      reopened.close();
    }
  });

  it('marks an execution cut off by a crash (kill -9) FAILED "interrupted by a restart" when the runner starts again', async () => {
    const file = join(tempDir(), 'fleet.db');
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'support/killedMidTask.ts')], {
      env: { ...process.env, WORKFLOW_DB: file },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const executionId = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line.startsWith('running ')) resolve(line.slice('running '.length));
      });
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`the child exited (${code}) before its task started`)));
    });
    const exited = new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const db = openSqlite({ file });
    try {
      const persistence = createSqliteWorkflowPersistence(db);
      expect(persistence.getExecution(executionId)?.status).toBe('RUNNING');
      const engine = createLocalWorkflowEngine({ persistence, handlers: {} });
      expect(engine.interruptedByRestart).toEqual([executionId]);
      expect(await engine.describeExecution(executionId)).toMatchObject({
        status: 'FAILED',
        name: 'never-finishes',
        input: { serial: 'meter-1' },
        error: 'Local.Interrupted',
        cause: INTERRUPTED_CAUSE,
      });
      const history = await engine.getExecutionHistory(executionId);
      expect(types(history)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'ExecutionFailed']);
      expect(history[2]).toMatchObject({ id: 3, previousEventId: 2, executionFailedEventDetails: { cause: 'interrupted by a restart' } });
      // Only once: a second start finds nothing running.
      expect(createLocalWorkflowEngine({ persistence, handlers: {} }).interruptedByRestart).toEqual([]);
    } finally {
      db.close();
    }
  });
});
