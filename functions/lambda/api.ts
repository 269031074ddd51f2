import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { createRemoteJWKSet } from 'jose';
import { cognitoJwksUrl, cognitoProfile } from '../api/auth/tokenProfiles.ts';
import { createTokenVerifier } from '../api/auth/tokenVerifier.ts';
import { systemClock } from '../shared/clock.ts';
import { buildAwsApi } from './awsApi.ts';
import { awsCommandDeps, awsDeviceDirectory, awsDeviceReadModel, awsDeviceRegistry, awsEventStore, awsReports, awsUploads } from './awsAdapters.ts';
import { LAMBDA_ENV, requiredEnv } from './env.ts';
import { httpApiHandler } from './httpApiEvent.ts';
import { lambdaAsyncInvoker } from './lambdaAsyncInvoke.ts';
import { observed } from './observability.ts';
import { parseRebuildFunctions } from './rebuildFunctions.ts';
import { createStepFunctionsExecutions } from './stepFunctionsExecutions.ts';

// Composition root of the HTTP API's Lambda: config, clients and the fastify app once per
// container. Tokens are checked twice: API Gateway's JWT authorizer refuses what the pool did not
// issue before a Lambda runs, and the app's own verifier reads the roles, as embedded.
const region = requiredEnv('AWS_REGION');
const userPoolId = requiredEnv(LAMBDA_ENV.userPoolId);
const verifier = createTokenVerifier({
  key: createRemoteJWKSet(new URL(cognitoJwksUrl(region, userPoolId))),
  profile: cognitoProfile({ region, userPoolId, clientIds: requiredEnv(LAMBDA_ENV.userPoolClientIds).split(',') }),
  clock: systemClock,
});

const events = awsEventStore();
const rebuildFunctions = parseRebuildFunctions(requiredEnv(LAMBDA_ENV.rebuildFunctions), LAMBDA_ENV.rebuildFunctions);

export const handler = observed(
  httpApiHandler(
    buildAwsApi({
      verifier,
      events,
      registry: awsDeviceRegistry(),
      uploads: awsUploads(),
      reports: awsReports(),
      workflows: createStepFunctionsExecutions(new SFNClient({})),
      directory: awsDeviceDirectory(),
      readModel: awsDeviceReadModel(events),
      commands: awsCommandDeps(events),
      stateMachines: {
        provisioning: requiredEnv(LAMBDA_ENV.provisioningStateMachineArn),
        deprovisioning: requiredEnv(LAMBDA_ENV.deprovisioningStateMachineArn),
      },
      // POST /projections/:name/rebuild starts the table's backfill function and returns at once.
      rebuild: { functions: rebuildFunctions, invokeAsync: lambdaAsyncInvoker(new LambdaClient({})) },
      // API Gateway hands a Lambda at most 6 MB of request.
      maxManifestBytes: 5 * 1024 * 1024,
    }),
  ),
);
