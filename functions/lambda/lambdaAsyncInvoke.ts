import { InvokeCommand, type InvokeCommandOutput } from '@aws-sdk/client-lambda';

/** The one call this adapter makes; a LambdaClient satisfies it. */
export interface LambdaSender {
  send(command: InvokeCommand): Promise<InvokeCommandOutput>;
}

/** Lambda's answer to an asynchronous invoke it has queued (Invoke API: `Event` answers 202). */
const QUEUED = 202;

/**
 * Starts a function asynchronously: Lambda queues the event and answers at once, then runs the
 * function (retrying a failed run twice by default). The caller learns only that the event was
 * queued; what the function did is in its log.
 */
export const lambdaAsyncInvoker =
  (client: LambdaSender) =>
  async (functionName: string, payload: unknown): Promise<void> => {
    const output = await client.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(payload)) }));
    if (output.StatusCode !== QUEUED) {
      throw new Error(`Lambda answered ${String(output.StatusCode)} instead of ${QUEUED} to the asynchronous invoke of ${functionName}: the event may not be queued; check the function exists and invoke it again.`);
    }
  };
