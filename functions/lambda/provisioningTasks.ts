import { provisioningTasks } from '../provisioning/provisioningTasks.ts';
import { awsCredentials, awsDeviceRegistry, awsEventStore, awsReports, awsUploads } from './awsAdapters.ts';

// Composition root of the provisioning state machine's Lambdas: one bundle, one export per task,
// named as PROVISIONING_FUNCTIONS names them; each Lambda's `handler` picks its export. Adapters
// are built once per container; each Lambda's role allows only what its own task calls.
const tasks = provisioningTasks({
  eventStore: awsEventStore(),
  registry: awsDeviceRegistry(),
  uploads: awsUploads(),
  credentials: awsCredentials(),
  reports: awsReports(),
});

export const { validateManifest, provisionChunk, completeBatch, recordBatchFailure } = tasks;
