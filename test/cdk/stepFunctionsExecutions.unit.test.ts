import { DescribeExecutionCommand, ExecutionDoesNotExist, StartExecutionCommand, type GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { createStepFunctionsExecutions, executionArnOf, type SfnSender } from '../../functions/lambda/stepFunctionsExecutions.ts';
import { WorkflowEngineError } from '../../functions/workflows/workflowEngine.ts';

const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:LwM2MFleet-Deprovisioning';

/** Records every command and answers from a script, at the SDK's `send` boundary. */
const sender = (answer: (command: unknown) => unknown) => {
  const sent: unknown[] = [];
  const client = { send: (command: unknown) => (sent.push(command), Promise.resolve().then(() => answer(command))) } as unknown as SfnSender;
  return { sent, client };
};

describe('the Step Functions executions adapter', () => {
  it('derives execution ARNs as Step Functions names them, and refuses an ARN that names no state machine', () => {
    expect(executionArnOf(MACHINE, 'd-1')).toBe('arn:aws:states:eu-west-1:123456789012:execution:LwM2MFleet-Deprovisioning:d-1');
    expect(() => executionArnOf('arn:aws:lambda:eu-west-1:1:function:x', 'd-1')).toThrow(/not a state machine ARN/);
  });

  it('starts a named execution with the input as JSON and maps ExecutionAlreadyExists to the port’s error', async () => {
    const { sent, client } = sender(() => ({ executionArn: executionArnOf(MACHINE, 'd-1'), startDate: new Date() }));
    await expect(createStepFunctionsExecutions(client).startExecution(MACHINE, { thingName: 'lamp-1' }, { name: 'd-1' })).resolves.toBe(executionArnOf(MACHINE, 'd-1'));
    expect(sent[0]).toBeInstanceOf(StartExecutionCommand);
    expect((sent[0] as StartExecutionCommand).input).toEqual({ stateMachineArn: MACHINE, name: 'd-1', input: '{"thingName":"lamp-1"}' });

    const exists = Object.assign(new Error('Execution Already Exists'), { name: 'ExecutionAlreadyExists' });
    const refusing = sender(() => Promise.reject(exists));
    await expect(createStepFunctionsExecutions(refusing.client).startExecution(MACHINE, {}, { name: 'd-1' })).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it('describes a run in the port’s terms (parsed input and output, FAILED for a run waiting to be redriven)', async () => {
    const startDate = new Date('2026-05-01T10:00:00Z');
    const { sent, client } = sender(() => ({
      executionArn: executionArnOf(MACHINE, 'd-2'),
      stateMachineArn: MACHINE,
      name: 'd-2',
      status: 'PENDING_REDRIVE',
      input: '{"thingName":"lamp-2"}',
      output: '{"ok":true}',
      error: 'DeleteConflictException',
      cause: 'still attached',
      startDate,
      stopDate: new Date('2026-05-01T10:02:00Z'),
    }));
    const described = await createStepFunctionsExecutions(client).describeExecution(executionArnOf(MACHINE, 'd-2'));
    expect(sent[0]).toBeInstanceOf(DescribeExecutionCommand);
    expect(described).toEqual({
      executionId: executionArnOf(MACHINE, 'd-2'),
      stateMachine: MACHINE,
      name: 'd-2',
      status: 'FAILED',
      input: { thingName: 'lamp-2' },
      output: { ok: true },
      error: 'DeleteConflictException',
      cause: 'still attached',
      startDate,
      stopDate: new Date('2026-05-01T10:02:00Z'),
    });
  });

  it('says ExecutionDoesNotExist in the port’s error, and reads every page of a history', async () => {
    const missing = sender(() => Promise.reject(new ExecutionDoesNotExist({ message: 'nope', $metadata: {} })));
    const error = await createStepFunctionsExecutions(missing.client).describeExecution(executionArnOf(MACHINE, 'x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowEngineError);
    expect((error as Error).name).toBe('ExecutionDoesNotExist');

    const pages = [
      { events: [{ id: 1, previousEventId: 0, type: 'ExecutionStarted', timestamp: new Date() }], nextToken: 'p2' },
      { events: [{ id: 2, previousEventId: 1, type: 'TaskStateEntered', timestamp: new Date(), stateEnteredEventDetails: { name: 'DescribeDevice', input: '{}' } }] },
    ];
    const paged = sender(() => pages.shift());
    const history = await createStepFunctionsExecutions(paged.client).getExecutionHistory(executionArnOf(MACHINE, 'd-3'));
    expect(history.map((h) => h.type)).toEqual(['ExecutionStarted', 'TaskStateEntered']);
    expect((paged.sent[1] as GetExecutionHistoryCommand).input).toMatchObject({ nextToken: 'p2' });
  });
});
