import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { streamIdFor } from '../../events/envelope.ts';
import { installApiAccess } from '../api/auth/apiAccess.ts';
import type { TokenVerifier } from '../api/auth/tokenVerifier.ts';
import { problemNotFound } from '../api/notFound.ts';
import { openApiRoutes } from '../api/openapi/openApiRoutes.ts';
import { findDeviceToDeprovision } from '../deprovisioning/describeDevice.ts';
import { deprovisioningRoutes } from '../deprovisioning/deprovisioningRoutes.ts';
import type { DeviceReadModel } from '../deviceViews/deviceReadModel.ts';
import { deviceViewsRoutes } from '../deviceViews/deviceViewsRoutes.ts';
import type { DeviceDirectory } from '../directory/deviceDirectory.ts';
import { directoryRoutes } from '../directory/directoryRoutes.ts';
import type { EventStore } from '../eventStore/eventStore.ts';
import type { ObjectStore } from '../objectStore/objectStore.ts';
import { batchProgress } from '../provisioning/batchProgress.ts';
import { provisioningRoutes } from '../provisioning/provisioningRoutes.ts';
import type { DeviceRegistry } from '../registry/deviceRegistry.ts';
import { executionArnOf, type WorkflowExecutions } from './stepFunctionsExecutions.ts';

export interface AwsApiDeps {
  readonly verifier: TokenVerifier;
  readonly events: EventStore;
  readonly registry: DeviceRegistry;
  readonly uploads: ObjectStore;
  readonly reports: ObjectStore;
  readonly workflows: WorkflowExecutions;
  /** The directory and device views over the projection tables (functions/lambda/awsAdapters.ts). */
  readonly directory: DeviceDirectory;
  readonly readModel: DeviceReadModel;
  readonly stateMachines: { readonly provisioning: string; readonly deprovisioning: string };
  /** API Gateway passes at most 6 MB to a Lambda; larger manifests go to the uploads bucket directly. */
  readonly maxManifestBytes?: number;
  readonly logLevel?: string;
}

/**
 * The routes the AWS API serves today, and why the others are not here yet: each route module is
 * the embedded one, wired to AWS adapters. Routes whose read side has no DynamoDB adapter yet
 * (commands, the command audit) answer 404 problem+json until it exists; the permission table
 * still governs them, so adding one is registering its module here.
 */
export const AWS_API_ROUTES = [
  'GET /health',
  'GET /openapi.json',
  'POST /provisioning/manifests',
  'GET /provisioning/batches/:batchId',
  'GET /provisioning/batches/:batchId/report',
  'DELETE /devices/:thingName',
  'GET /deprovisioning/:executionName',
  'GET /devices',
  'GET /devices/*',
  'GET /devices/:thingName/state',
  'GET /devices/:thingName/history',
  'GET /devices/:thingName/alarms',
  'GET /rejections',
] as const;

/** undefined for a run that does not exist; any other failure is the caller's error. */
const unlessMissing = (error: unknown): undefined => {
  if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return undefined;
  throw error;
};

/**
 * The embedded API's fastify app on AWS: the same permission table and verifier code (with the
 * Cognito profile), the same route modules, AWS adapters behind them. Built once per container.
 */
export const buildAwsApi = async (deps: AwsApiDeps): Promise<FastifyInstance> => {
  const app = Fastify({ logger: { level: deps.logLevel ?? 'info' }, bodyLimit: 1024 * 1024, routerOptions: { maxParamLength: 128 } });
  installApiAccess(app, { verifier: deps.verifier });
  problemNotFound(app);

  // On AWS each service reports its own health; this says the API Lambda runs and is configured.
  app.get('/health', (_request, reply) => reply.send({ status: 'ok', components: { api: 'up' } }));
  await app.register(openApiRoutes());

  const { provisioning, deprovisioning } = deps.stateMachines;
  await app.register(
    provisioningRoutes({
      uploads: deps.uploads,
      reports: deps.reports,
      ...(deps.maxManifestBytes === undefined ? {} : { maxManifestBytes: deps.maxManifestBytes }),
      // Provisioning executions are named after their batch (functions/lambda/manifestUploaded.ts).
      progress: async (batchId) => {
        const arn = executionArnOf(provisioning, batchId);
        const execution = await deps.workflows.describeExecution(arn).catch(unlessMissing);
        if (!execution) return undefined;
        const [history, events] = await Promise.all([deps.workflows.getExecutionHistory(arn), deps.events.readStream(streamIdFor.batch(batchId))]);
        return batchProgress(batchId, execution, history, events);
      },
    }),
  );

  const deviceDeps = { eventStore: deps.events, registry: deps.registry };
  await app.register(
    deprovisioningRoutes({
      start: async (thingName, reason) => {
        if (!(await findDeviceToDeprovision(deviceDeps, thingName))) return undefined;
        const name = `d-${randomUUID()}`;
        await deps.workflows.startExecution(deprovisioning, { thingName, ...(reason === undefined ? {} : { reason }) }, { name });
        return name;
      },
      describe: (name) => deps.workflows.describeExecution(executionArnOf(deprovisioning, name)).catch(unlessMissing),
    }),
  );
  // Search, one device, and its state (live or replayed from the store), history, alarms; rejections.
  await app.register(directoryRoutes({ directory: deps.directory }));
  await app.register(deviceViewsRoutes({ events: deps.events, readModel: deps.readModel }));
  await app.ready();
  return app;
};
