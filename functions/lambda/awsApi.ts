import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { streamIdFor } from '../../events/envelope.ts';
import type { AlarmRow } from '../../events/projections/alarms.ts';
import { installApiAccess } from '../api/auth/apiAccess.ts';
import type { TokenVerifier } from '../api/auth/tokenVerifier.ts';
import { problemNotFound } from '../api/notFound.ts';
import { openApiRoutes } from '../api/openapi/openApiRoutes.ts';
import { projectionBackfillRoutes, type ProjectionBackfillRoutesOptions } from '../api/projections/projectionBackfillRoutes.ts';
import { acknowledgeAlarm } from '../commands/acknowledgeAlarm.ts';
import type { CommandAuditReads } from '../commands/commandAuditPort.ts';
import type { CommandPublisher } from '../commands/commandPublisher.ts';
import { commandRoutes } from '../commands/commandRoutes.ts';
import type { DeviceHolderLookup } from '../commands/deviceHolder.ts';
import { requestCommand, type CommandTimeouts } from '../commands/requestCommand.ts';
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
import { systemClock, type Clock } from '../shared/clock.ts';
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
  /** Device control: the audit and sessions tables, the IoT data plane, the alarms table (functions/lambda/awsAdapters.ts). */
  readonly commands: AwsCommandDeps;
  /** The projection tables' rebuild functions and a Lambda client to start them (functions/lambda/api.ts). */
  readonly rebuild: AwsRebuildDeps;
  /** API Gateway passes at most 6 MB to a Lambda; larger manifests go to the uploads bucket directly. */
  readonly maxManifestBytes?: number;
  readonly logLevel?: string;
}

export interface AwsCommandDeps {
  readonly audit: CommandAuditReads;
  readonly holderOf: DeviceHolderLookup;
  readonly publisher: CommandPublisher;
  /** An alarm as of a version of its device's stream (functions/commands/dynamoAlarmLookup.ts). */
  readonly alarmOf: (thingName: string, alarmId: string, version: number) => Promise<AlarmRow | undefined>;
  readonly clock: Clock;
  readonly newCommandId?: () => string;
  readonly newAcknowledgementId?: () => string;
  readonly timeouts?: CommandTimeouts;
}

export interface AwsRebuildDeps {
  readonly functions: ProjectionBackfillRoutesOptions['functions'];
  readonly invokeAsync: ProjectionBackfillRoutesOptions['invokeAsync'];
  readonly clock?: Clock;
  readonly newRunId?: () => string;
}

/**
 * The routes the AWS API serves: every route of the embedded API, each module the embedded one
 * wired to AWS adapters, except the projection rebuild: on AWS it starts the table's backfill
 * (functions/api/projections/projectionBackfillRoutes.ts). The permission table governs them all, as embedded.
 */
export const AWS_API_ROUTES = [
  'GET /health',
  'GET /openapi.json',
  'POST /provisioning/manifests',
  'GET /provisioning/batches',
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
  'POST /commands',
  'GET /commands',
  'GET /commands/:commandId',
  'GET /audit/commands',
  'POST /devices/:thingName/alarms/:alarmId/ack',
  'POST /projections/:name/rebuild',
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
      // The batch list reads this for every batch it shows, so a finished batch skips the history:
      // its stream's ProvisioningBatchCompleted has the final counts, which batchProgress prefers.
      progress: async (batchId) => {
        const arn = executionArnOf(provisioning, batchId);
        const [execution, events] = await Promise.all([deps.workflows.describeExecution(arn).catch(unlessMissing), deps.events.readStream(streamIdFor.batch(batchId))]);
        if (!execution) return undefined;
        const completed = events.some((e) => e.type === 'ProvisioningBatchCompleted');
        const history = completed ? [] : await deps.workflows.getExecutionHistory(arn);
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

  // Device control: the embedded routes and handlers. Expiry is the scheduled sweep
  // (functions/lambda/expireCommands.ts), so nothing here keeps a timer; the projector runs
  // behind the store, so the acknowledgement's alarm lookup folds what it has not seen yet.
  const c = deps.commands;
  await app.register(
    commandRoutes({
      request: requestCommand({
        events: deps.events,
        clock: c.clock,
        holderOf: c.holderOf,
        publisher: c.publisher,
        newCommandId: c.newCommandId ?? (() => `c-${randomUUID()}`),
        ...(c.timeouts === undefined ? {} : { timeouts: c.timeouts }),
        log: { warn: (details, message) => app.log.warn(details, message) },
      }),
      deviceOf: (thingName) => deps.directory.get(thingName),
      audit: c.audit,
      readStream: (streamId, range) => deps.events.readStream(streamId, range),
      acknowledge: acknowledgeAlarm({
        events: deps.events,
        alarmOf: c.alarmOf,
        settle: () => Promise.resolve(),
        newCommandId: c.newAcknowledgementId ?? (() => `a-${randomUUID()}`),
      }),
    }),
  );

  // A rebuild on AWS is the table's backfill, run by its own function: it outlasts any API call.
  const r = deps.rebuild;
  await app.register(
    projectionBackfillRoutes({
      functions: r.functions,
      invokeAsync: r.invokeAsync,
      clock: r.clock ?? systemClock,
      newRunId: r.newRunId ?? (() => `r-${randomUUID()}`),
    }),
  );
  await app.ready();
  return app;
};
