import { deprovisioningTasks } from '../deprovisioning/deprovisioningTasks.ts';
import { awsCredentials, awsDeviceRegistry, awsEventStore } from './awsAdapters.ts';
import { observedTasks } from './observability.ts';

// Composition root of the deprovisioning state machine's Lambdas: one export per task, named as
// DEPROVISIONING_FUNCTIONS names them. No `disconnect`: AWS IoT Core checks a certificate's status
// itself and closes connections of a revoked one.
const tasks = observedTasks(
  deprovisioningTasks({
    eventStore: awsEventStore(),
    registry: awsDeviceRegistry(),
    credentials: awsCredentials(),
  }),
  { recordDeprovisioned: () => ({ DevicesDeprovisioned: 1 }) },
);

export const { describeDevice, revokeCertificates, detachAndDelete, deleteCredentials, recordDeprovisioned } = tasks;
