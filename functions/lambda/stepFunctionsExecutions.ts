import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
  type GetExecutionHistoryCommandOutput,
  type HistoryEvent as SfnHistoryEvent,
  type StartExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import type { ExecutionDescription, ExecutionStatus, HistoryEvent, WorkflowEngine } from '../workflows/workflowEngine.ts';
import { WorkflowEngineError } from '../workflows/workflowEngine.ts';

/** The calls this adapter makes; an SFNClient satisfies it. */
export interface SfnSender {
  send(command: StartExecutionCommand): Promise<StartExecutionCommandOutput>;
  send(command: DescribeExecutionCommand): Promise<DescribeExecutionCommandOutput>;
  send(command: GetExecutionHistoryCommand): Promise<GetExecutionHistoryCommandOutput>;
}

/** The part of the workflow engine port the API uses: start a named run, read it back. */
export type WorkflowExecutions = Pick<WorkflowEngine, 'startExecution' | 'describeExecution' | 'getExecutionHistory'>;

/** Step Functions names an execution `arn:…:execution:<state machine name>:<execution name>`. */
export const executionArnOf = (stateMachineArn: string, name: string): string => {
  const at = stateMachineArn.indexOf(':stateMachine:');
  if (at === -1) throw new WorkflowEngineError('StateMachineDoesNotExist', `${stateMachineArn} is not a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>)`);
  return `${stateMachineArn.slice(0, at)}:execution:${stateMachineArn.slice(at + ':stateMachine:'.length)}:${name}`;
};

const parsed = (json: string | undefined): unknown => (json === undefined ? undefined : (JSON.parse(json) as unknown));

/** A history long past this is not one the API shows; it stops reading rather than paging on. */
const MAX_HISTORY_PAGES = 25;

/**
 * The API's view of AWS Step Functions, in the workflow engine port's terms (names, statuses and
 * errors follow the Step Functions API already, so the mapping is mostly field for field). Only
 * what the routes call; state machines are named by ARN.
 */
export const createStepFunctionsExecutions = (client: SfnSender): WorkflowExecutions => ({
  async startExecution(stateMachineArn, input, options = {}) {
    try {
      const out = await client.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), ...(options.name ? { name: options.name } : {}) }));
      return out.executionArn!;
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'ExecutionAlreadyExists' || name === 'StateMachineDoesNotExist' || name === 'InvalidName' || name === 'InvalidExecutionInput') {
        throw new WorkflowEngineError(name, (error as Error).message);
      }
      throw error;
    }
  },

  async describeExecution(executionArn) {
    let out: DescribeExecutionCommandOutput;
    try {
      out = await client.send(new DescribeExecutionCommand({ executionArn }));
    } catch (error) {
      if ((error as Error).name === 'ExecutionDoesNotExist') throw new WorkflowEngineError('ExecutionDoesNotExist', `no execution ${executionArn}`);
      throw error;
    }
    const description: ExecutionDescription = {
      executionId: out.executionArn ?? executionArn,
      stateMachine: out.stateMachineArn ?? '',
      name: out.name ?? '',
      // PENDING_REDRIVE is a failed run waiting to be redriven: FAILED until it is.
      status: (out.status === 'PENDING_REDRIVE' ? 'FAILED' : out.status) as ExecutionStatus,
      input: parsed(out.input),
      startDate: out.startDate ?? new Date(0),
      ...(out.output === undefined ? {} : { output: parsed(out.output) }),
      ...(out.error === undefined ? {} : { error: out.error }),
      ...(out.cause === undefined ? {} : { cause: out.cause }),
      ...(out.stopDate === undefined ? {} : { stopDate: out.stopDate }),
    };
    return description;
  },

  async getExecutionHistory(executionArn) {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
      let out: GetExecutionHistoryCommandOutput;
      try {
        out = await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }));
      } catch (error) {
        if ((error as Error).name === 'ExecutionDoesNotExist') throw new WorkflowEngineError('ExecutionDoesNotExist', `no execution ${executionArn}`);
        throw error;
      }
      // The SDK's history events carry the same names and fields as the port's.
      events.push(...(out.events ?? []).map((e: SfnHistoryEvent) => e as unknown as HistoryEvent));
      nextToken = out.nextToken;
      if (!nextToken) break;
    }
    return events;
  },
});
