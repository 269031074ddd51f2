import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoCommandAudit } from '../commands/dynamoCommandAudit.ts';
import { dynamoAlarmLookup } from '../commands/dynamoAlarmLookup.ts';
import type { DeviceReadModel } from '../deviceViews/deviceReadModel.ts';
import { createDynamoDeviceReadModel } from '../deviceViews/dynamoDeviceReadModel.ts';
import type { DeviceDirectory } from '../directory/deviceDirectory.ts';
import { createDynamoDeviceDirectory } from '../directory/dynamoDeviceDirectory.ts';
import { createDynamoEventStore } from '../eventStore/dynamoEventStore.ts';
import type { EventStore } from '../eventStore/eventStore.ts';
import type { ObjectStore } from '../objectStore/objectStore.ts';
import { createS3ObjectStore } from '../objectStore/s3ObjectStore.ts';
import { createAwsIotDeviceRegistry } from '../registry/awsIotDeviceRegistry.ts';
import type { ArnContext } from '../registry/devicePolicy.ts';
import type { DeviceRegistry } from '../registry/deviceRegistry.ts';
import { dynamoHolderLookup } from '../projections/dynamoDeviceSessions.ts';
import { systemClock } from '../shared/clock.ts';
import type { AwsCommandDeps } from './awsApi.ts';
import { LAMBDA_ENV, requiredEnv } from './env.ts';
import { createIotDataPlaneClient, iotDataPlaneCommandPublisher } from './iotDataPlanePublisher.ts';
import { iotDataSenderOnDemand } from './iotDataSenderOnDemand.ts';

/**
 * The AWS adapters of the ports, built from the variables the CDK app sets. Entry files call these
 * at module scope (once per container); each reads only the variables its adapter needs, so a
 * missing one fails the cold start by name.
 */
type Env = NodeJS.ProcessEnv;

export const dynamoDocumentClient = (): DynamoDBDocumentClient => DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const awsEventStore = (env: Env = process.env): EventStore =>
  createDynamoEventStore({ client: dynamoDocumentClient(), tableName: requiredEnv(LAMBDA_ENV.eventStoreTable, env) });

/** The device directory on the `directory` projection table. */
export const awsDeviceDirectory = (env: Env = process.env): DeviceDirectory =>
  createDynamoDeviceDirectory({ client: dynamoDocumentClient(), tableName: requiredEnv(LAMBDA_ENV.directoryTable, env) });

/** The device views' projection reads; rejected payloads come from `events`, the store on the event store table. */
export const awsDeviceReadModel = (events: EventStore, env: Env = process.env): DeviceReadModel =>
  createDynamoDeviceReadModel({
    client: dynamoDocumentClient(),
    tables: {
      deviceState: requiredEnv(LAMBDA_ENV.deviceStateTable, env),
      alarms: requiredEnv(LAMBDA_ENV.alarmsTable, env),
      rejections: requiredEnv(LAMBDA_ENV.rejectionsTable, env),
    },
    eventStore: { tableName: requiredEnv(LAMBDA_ENV.eventStoreTable, env), events },
  });

/** The command-audit projection table (the API's command routes and the expiry sweep). */
export const awsCommandAudit = (env: Env = process.env) => createDynamoCommandAudit({ client: dynamoDocumentClient(), tableName: requiredEnv(LAMBDA_ENV.commandAuditTable, env) });

/**
 * Device control on AWS: the audit and device-sessions tables, the alarms table (with the device's
 * stream for what the projector has not folded yet), and commands published through the IoT data
 * plane of the account's endpoint.
 */
export const awsCommandDeps = (events: EventStore, env: Env = process.env): AwsCommandDeps => {
  const client = dynamoDocumentClient();
  return {
    audit: awsCommandAudit(env),
    holderOf: dynamoHolderLookup({ client, tableName: requiredEnv(LAMBDA_ENV.deviceSessionsTable, env) }),
    publisher: iotDataPlaneCommandPublisher(iotDataSenderOnDemand(new IoTClient({}), (host) => createIotDataPlaneClient({ endpoint: `https://${host}` }))),
    alarmOf: dynamoAlarmLookup({ client, tableName: requiredEnv(LAMBDA_ENV.alarmsTable, env), events }),
    clock: systemClock,
  };
};

/** The account and region the Lambda runs in, for ARNs the registry builds itself. */
export const awsArnContext = (env: Env = process.env): ArnContext => ({
  partition: requiredEnv(LAMBDA_ENV.awsPartition, env),
  region: requiredEnv('AWS_REGION', env),
  accountId: requiredEnv(LAMBDA_ENV.awsAccountId, env),
});

/**
 * The registry on AWS IoT. `maxAttempts: 1`: the workflow definitions (and provisioning's own
 * per-call backoff) own the retries, so a step's time budget stays predictable.
 */
export const awsDeviceRegistry = (env: Env = process.env): DeviceRegistry =>
  createAwsIotDeviceRegistry({ client: new IoTClient({ maxAttempts: 1 }), arn: awsArnContext(env) });

let s3: S3Client | undefined;
const s3Client = () => (s3 ??= new S3Client({}));

export const awsUploads = (env: Env = process.env): ObjectStore => createS3ObjectStore({ client: s3Client(), bucket: requiredEnv(LAMBDA_ENV.uploadsBucket, env) });

export const awsReports = (env: Env = process.env): ObjectStore => createS3ObjectStore({ client: s3Client(), bucket: requiredEnv(LAMBDA_ENV.reportsBucket, env) });

/**
 * Credentials at rest on AWS are SSE-KMS with the stack's customer key (ADR 0004): every put names
 * the key, and the bucket policy refuses a put that does not.
 */
export const awsCredentials = (env: Env = process.env): ObjectStore =>
  createS3ObjectStore({
    client: s3Client(),
    bucket: requiredEnv(LAMBDA_ENV.credentialsBucket, env),
    sse: { kmsKeyId: requiredEnv(LAMBDA_ENV.credentialsKeyArn, env) },
  });
