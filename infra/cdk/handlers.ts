import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The one registry of Lambda entry files (STYLE.md 2): the CDK app names a handler, never a path.
 * Entry files live in functions/lambda/ and are thin composition roots over the capability code.
 */
export const HANDLERS = {
  appendIngestedEvent: {
    entry: 'functions/lambda/appendIngestedEvent.ts',
    description: 'Appends ingested device facts from the ingest bus rule to the event store',
    invocation: 'event-bridge-target',
  },
  decodeDeviceMessage: {
    entry: 'functions/lambda/decodeDeviceMessage.ts',
    description: 'Decodes CBOR SenML device messages from the IoT rules into facts on the ingest bus',
    invocation: 'async',
  },
  startProvisioning: {
    entry: 'functions/lambda/startProvisioning.ts',
    description: 'Starts the provisioning state machine for a manifest uploaded under manifests/',
    invocation: 'event-bridge-target',
  },
  publishStoredEvents: {
    entry: 'functions/lambda/publishStoredEvents.ts',
    description: 'Publishes every event appended to the event store on the fleet bus (the outbox)',
    invocation: 'stream',
  },
  projectStoredEvents: {
    entry: 'functions/lambda/projectStoredEvents.ts',
    description: 'Folds appended events into the projection tables (state, alarms, directory, rejections, sessions, command audit)',
    invocation: 'stream',
  },
  api: {
    entry: 'functions/lambda/api.ts',
    description: 'The operator API: the embedded fastify app behind API Gateway, tokens from Cognito',
    invocation: 'http-api',
  },
  provisioningTasks: {
    entry: 'functions/lambda/provisioningTasks.ts',
    description: 'A task of the provisioning state machine',
    invocation: 'state-machine-task',
  },
  deprovisioningTasks: {
    entry: 'functions/lambda/deprovisioningTasks.ts',
    description: 'A task of the deprovisioning state machine',
    invocation: 'state-machine-task',
  },
  bootstrapTasks: {
    entry: 'functions/lambda/bootstrapTasks.ts',
    description: 'A task of the bootstrap state machine',
    invocation: 'state-machine-task',
  },
  bridgeMessages: {
    entry: 'functions/lambda/bridgeMessages.ts',
    description: 'Records what bridges report (registrations, results, status), relays device data, starts bootstraps',
    invocation: 'async',
  },
  commandAnswers: {
    entry: 'functions/lambda/commandAnswers.ts',
    description: 'Records the answers of bridges and devices to commands',
    invocation: 'async',
  },
  rebuildProjection: {
    entry: 'functions/lambda/rebuildProjection.ts',
    description: 'Backfills one projection table from the event store, page by page; started by an operator or by POST /projections/:name/rebuild (then it continues itself until done)',
    invocation: 'operator',
  },
  expireCommands: {
    entry: 'functions/lambda/expireCommands.ts',
    description: 'Every minute: times out the open commands past their expiry',
    invocation: 'event-bridge-target',
  },
  // CloudFormation invokes a custom resource's function asynchronously and reads only the answer PUT
  // to the request's ResponseURL. The handler throws only when that answer could not be delivered:
  // the async retries send it again, and the on-failure queue keeps what never got through.
  bridgeIdentities: {
    entry: 'functions/lambda/bridgeIdentitiesResource.ts',
    description: 'At deploy (custom resource): makes sure every bridge id of the pool has an IoT identity stored in the credentials bucket',
    invocation: 'async',
  },
} as const satisfies Record<string, HandlerSpec>;

export interface HandlerSpec {
  /** Relative to the repository root. */
  readonly entry: string;
  readonly description: string;
  /**
   * How AWS calls it: `async` invocations need an on-failure destination; an EventBridge target
   * gets its retries and dead-letter queue on the rule's target instead; a state machine task is
   * called synchronously and retried by the definition's Retry; a stream consumer gets its retries
   * and on-failure destination on the event source mapping; an HTTP API integration answers the caller;
   * an operator tool is invoked synchronously by hand, who reads the answer or the error.
   */
  readonly invocation: 'async' | 'event-bridge-target' | 'state-machine-task' | 'stream' | 'http-api' | 'operator';
}

export type HandlerName = keyof typeof HANDLERS;

/** The repository root: infra/cdk/ is two levels down. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const handlerEntryPath = (name: HandlerName): string => join(REPO_ROOT, HANDLERS[name].entry);
