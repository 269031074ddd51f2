/**
 * Names of the environment variables the Lambda entry files read. The CDK app sets them from the
 * same constants, so a rename cannot leave a function reading a variable nobody sets.
 */
export const LAMBDA_ENV = {
  eventStoreTable: 'EVENT_STORE_TABLE',
  eventBusName: 'EVENT_BUS_NAME',
} as const;

/** Reads a variable once at module scope; a missing one fails the cold start with what to fix. */
export const requiredEnv = (name: string, env: NodeJS.ProcessEnv = process.env): string => {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(`Environment variable ${name} is not set: the CDK app (infra/cdk) sets it; set it when running this handler elsewhere.`);
  }
  return value;
};
