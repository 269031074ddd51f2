import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { LAMBDA_ENV, requiredEnv } from './env.ts';
import { startProvisioningOnUpload } from './manifestUploaded.ts';
import { observed } from './observability.ts';

// Composition root of the uploads rule's target: config and client once per container.
const sfn = new SFNClient({});
const stateMachineArn = requiredEnv(LAMBDA_ENV.provisioningStateMachineArn);

export const handler = observed(
  startProvisioningOnUpload({
    start: async (input, name) => {
      try {
        await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
        return 'started';
      } catch (error) {
        // Standard executions keep their names for 90 days after they close.
        if (error instanceof Error && error.name === 'ExecutionAlreadyExists') return 'already-started';
        throw error;
      }
    },
  }),
  { result: (r) => (r.started ? { ProvisioningStarted: 1 } : { UploadsIgnored: 1 }) },
);
