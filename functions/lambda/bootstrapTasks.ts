import { IoTClient } from '@aws-sdk/client-iot';
import { awsCredentials, awsDeviceRegistry, awsEventStore } from './awsAdapters.ts';
import { allowPlainCoapFrom } from './awsBootstrapEnv.ts';
import { awsBootstrapTasks } from './awsBootstrapTasks.ts';
import { createIotDataPlaneClient } from './iotDataPlanePublisher.ts';
import { observedTasks } from './observability.ts';

// Composition root of the bootstrap state machine's Lambdas: one export per task, named as
// BOOTSTRAP_FUNCTIONS names them. Clients are built once per container; nothing calls AWS until a
// task runs (the IoT endpoint is looked up by the first delivery).
const tasks = observedTasks(
  awsBootstrapTasks({
    eventStore: awsEventStore(),
    registry: awsDeviceRegistry(),
    credentials: awsCredentials(),
    allowPlainCoap: allowPlainCoapFrom(),
    iot: new IoTClient({}),
    dataPlane: (host) => createIotDataPlaneClient({ endpoint: `https://${host}` }),
  }),
  {
    deliverBootstrapCredentials: () => ({ CredentialsDelivered: 1 }),
    recordBootstrapRejected: () => ({ BootstrapsRejected: 1 }),
    recordDeviceBootstrapped: () => ({ DevicesBootstrapped: 1 }),
    recordBootstrapFailed: () => ({ BootstrapFailures: 1 }),
  },
);

export const { checkBootstrapDevice, recordBootstrapRejected, deliverBootstrapCredentials, checkBootstrapResult, recordDeviceBootstrapped, recordBootstrapFailed } = tasks;
