import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { handleBridgeMessage } from '../bridgeMessages/handleBridgeMessage.ts';
import { createEventBridgeBus } from '../bus/eventBridgeBus.ts';
import { awsEventStore, dynamoDocumentClient } from './awsAdapters.ts';
import { BOOTSTRAP_LAMBDA_ENV } from './awsBootstrapEnv.ts';
import { awsBridgePorts } from './awsBridgePorts.ts';
import { LAMBDA_ENV, requiredEnv } from './env.ts';
import { observed, type Counts } from './observability.ts';
import { stepFunctionsBootstrapStarter } from './startBootstrapExecution.ts';

const OUTCOME_METRIC = { recorded: 'BridgeMessagesRecorded', ingested: 'BridgeMessagesIngested', rejected: 'BridgeMessagesRejected' } as const;

// Composition root of the bridge rules' Lambda action (dt/lwm2m-bridge/+/+/+,
// dt/lwm2m-bridge/+/status and dt/lwm2m-bridge/+/auth-failed): config and clients once per container.

export const handler = observed(
  handleBridgeMessage(
    awsBridgePorts({
      events: awsEventStore(),
      directory: { client: dynamoDocumentClient(), tableName: requiredEnv(LAMBDA_ENV.directoryTable) },
      sessions: { client: dynamoDocumentClient(), tableName: requiredEnv(LAMBDA_ENV.deviceSessionsTable) },
      bus: createEventBridgeBus({ client: new EventBridgeClient({}), eventBusName: requiredEnv(LAMBDA_ENV.eventBusName) }),
      startBootstrap: stepFunctionsBootstrapStarter(new SFNClient({}), requiredEnv(BOOTSTRAP_LAMBDA_ENV.bootstrapStateMachineArn)),
    }),
  ),
  { result: (r): Counts => ({ [OUTCOME_METRIC[r.outcome]]: 1, BootstrapsStarted: r.bootstrap === undefined ? 0 : 1 }) },
);
