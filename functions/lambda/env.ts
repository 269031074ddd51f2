/**
 * Names of the environment variables the Lambda entry files read. The CDK app sets them from the
 * same constants, so a rename cannot leave a function reading a variable nobody sets.
 */
export const LAMBDA_ENV = {
  eventStoreTable: 'EVENT_STORE_TABLE',
  eventBusName: 'EVENT_BUS_NAME',
  uploadsBucket: 'UPLOADS_BUCKET',
  credentialsBucket: 'CREDENTIALS_BUCKET',
  /** The KMS key every credentials put names (the bucket refuses puts without SSE-KMS). */
  credentialsKeyArn: 'CREDENTIALS_KEY_ARN',
  reportsBucket: 'REPORTS_BUCKET',
  /** Certificate ARNs are built from these (Lambda itself only provides AWS_REGION). */
  awsAccountId: 'FLEET_AWS_ACCOUNT_ID',
  awsPartition: 'FLEET_AWS_PARTITION',
  /** Projection tables, one per projection the stream projector maintains. */
  deviceStateTable: 'DEVICE_STATE_TABLE',
  alarmsTable: 'ALARMS_TABLE',
  directoryTable: 'DIRECTORY_TABLE',
  rejectionsTable: 'REJECTIONS_TABLE',
  deviceSessionsTable: 'DEVICE_SESSIONS_TABLE',
  commandAuditTable: 'COMMAND_AUDIT_TABLE',
  /** The rebuild Lambda: which projection (a PROJECTION_TABLES key) it backfills, and that table's name. */
  rebuildProjection: 'REBUILD_PROJECTION',
  rebuildTable: 'REBUILD_PROJECTION_TABLE',
  /** The API Lambda: JSON `{ "<table key>": { "functionName", "logGroup" } }` of every table's rebuild function. */
  rebuildFunctions: 'REBUILD_FUNCTIONS',
  provisioningStateMachineArn: 'PROVISIONING_STATE_MACHINE_ARN',
  deprovisioningStateMachineArn: 'DEPROVISIONING_STATE_MACHINE_ARN',
  userPoolId: 'USER_POOL_ID',
  /** Comma-separated app client ids whose tokens the API accepts. */
  userPoolClientIds: 'USER_POOL_CLIENT_IDS',
} as const;

/** Reads a variable once at module scope; a missing one fails the cold start with what to fix. */
export const requiredEnv = (name: string, env: NodeJS.ProcessEnv = process.env): string => {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(`Environment variable ${name} is not set: the CDK app (infra/cdk) sets it; set it when running this handler elsewhere.`);
  }
  return value;
};
