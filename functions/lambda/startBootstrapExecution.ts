import { StartExecutionCommand, type StartExecutionCommandOutput } from '@aws-sdk/client-sfn';
import type { BridgeMessageDeps } from '../bridgeMessages/bridgePorts.ts';

/** The one call this makes; an SFNClient satisfies it. */
export interface SfnStarter {
  send(command: StartExecutionCommand): Promise<StartExecutionCommandOutput>;
}

/**
 * The bridge-message handler's `startBootstrap` on AWS: StartExecution under the name the handler
 * derived from the registration (bootstrapTrigger.ts). Step Functions answers a repeat of a running
 * execution's name and input with that execution, and a name already used (for 90 days after a
 * Standard execution closes) with ExecutionAlreadyExists: both mean this registration already has
 * its run, which is what a redelivered message should find.
 */
export const stepFunctionsBootstrapStarter =
  (client: SfnStarter, stateMachineArn: string): BridgeMessageDeps['startBootstrap'] =>
  async ({ name, input }) => {
    try {
      await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    } catch (error) {
      if (error instanceof Error && error.name === 'ExecutionAlreadyExists') return;
      throw error;
    }
  };
