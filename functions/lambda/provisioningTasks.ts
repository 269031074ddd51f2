import { provisioningTasks } from '../provisioning/provisioningTasks.ts';
import { realSleep } from '../provisioning/throttleRetry.ts';
import { awsCredentials, awsDeviceRegistry, awsEventStore, awsReports, awsUploads } from './awsAdapters.ts';
import { counted, numberField, observedTasks } from './observability.ts';

// Composition root of the provisioning state machine's Lambdas: one bundle, one export per task,
// named as PROVISIONING_FUNCTIONS names them; each Lambda's `handler` picks its export. Adapters
// are built once per container; each Lambda's role allows only what its own task calls.
const tasks = observedTasks(
  provisioningTasks({
    eventStore: awsEventStore(),
    registry: awsDeviceRegistry(),
    uploads: awsUploads(),
    credentials: awsCredentials(),
    reports: awsReports(),
    // Each wait is one retry of a throttled call (functions/provisioning/throttleRetry.ts).
    sleep: counted(realSleep, () => ({ ThrottleRetries: 1 })),
  }),
  { provisionChunk: (out) => ({ DevicesProvisioned: numberField(out, 'provisioned'), ProvisioningFailures: numberField(out, 'failed') }) },
);

export const { validateManifest, provisionChunk, completeBatch, recordBatchFailure } = tasks;
