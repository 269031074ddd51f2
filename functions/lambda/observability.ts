import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { METRICS_NAMESPACE, OBSERVABILITY_ENV } from './observabilityEnv.ts';

/**
 * Logs and metrics of every Lambda entry (Powertools). The CDK construct (infra/cdk/constructs/
 * handlerFunction.ts) sets OBSERVABILITY_ENV for each function: the service is the handler's
 * registry name, the namespace is one for the whole fleet.
 */
export { METRICS_NAMESPACE, OBSERVABILITY_ENV };

/**
 * The business metrics an operator graphs and alarms on. One closed list, so a typo is a type
 * error rather than a new, empty metric. Dimensions stay low-cardinality: Powertools adds only
 * `service` (the handler); thing names, batch ids and topics never become dimensions.
 */
export type FleetMetric =
  | 'MessagesDecoded'
  | 'MessagesRejected'
  | 'EventsAppended'
  | 'DuplicatesIgnored'
  | 'EventsPublished'
  | 'PublishFailures'
  | 'RowsFolded'
  | 'ProjectionFailures'
  | 'UnreadableEvents'
  | 'ProvisioningStarted'
  | 'UploadsIgnored'
  | 'DevicesProvisioned'
  | 'ProvisioningFailures'
  | 'ThrottleRetries'
  | 'DevicesDeprovisioned'
  | 'CredentialsDelivered'
  | 'BootstrapsRejected'
  | 'DevicesBootstrapped'
  | 'BootstrapFailures'
  | 'BootstrapsStarted'
  | 'BridgeMessagesRecorded'
  | 'BridgeMessagesIngested'
  | 'BridgeMessagesRejected'
  | 'CommandAnswersApplied'
  | 'CommandAnswersDuplicate'
  | 'CommandAnswersRejected'
  | 'CommandsExpired';

export type Counts = Partial<Record<FleetMetric, number>>;

// Once per container: Powertools reads the service name and log level from the environment. The
// namespace falls back to ours so that a handler run outside the CDK app (tests, a local invoke)
// does not warn about a missing one.
export const logger = new Logger();
export const metrics = new Metrics({ namespace: process.env[OBSERVABILITY_ENV.metricsNamespace] ?? METRICS_NAMESPACE });

/**
 * Buffers a Count metric per positive count; published at the end of the invocation. Zeros are
 * left out: CloudWatch treats a missing datapoint as zero when told to, and an idle invocation
 * (a sweep with nothing due) then writes no EMF line at all.
 */
export const count = (counts: Counts): void => {
  for (const [name, value] of Object.entries(counts)) {
    if (value !== undefined && Number.isFinite(value) && value > 0) metrics.addMetric(name, MetricUnit.Count, value);
  }
};

/**
 * Wraps a port's function so that its results (and failures) are counted where the handler cannot
 * tell them without being restructured: the outbox's bus puts, the projector's writes, the
 * provisioning's throttle waits.
 */
export const counted =
  <A extends unknown[], R>(call: (...args: A) => Promise<R>, onResult: (result: R) => Counts, onError?: (error: unknown) => Counts) =>
  async (...args: A): Promise<R> => {
    try {
      const result = await call(...args);
      count(onResult(result));
      return result;
    } catch (error) {
      if (onError) count(onError(error));
      throw error;
    }
  };

/**
 * Publishes the buffered metrics after the handler, whatever its outcome, but only when there are
 * some: Powertools' own logMetrics middleware warns "No application metrics to publish" on every
 * invocation that added none, which would fill the log of handlers that count nothing.
 */
const publishMetrics = (target: Metrics): MiddlewareObj => {
  const flush = (): void => {
    if (target.hasStoredMetrics()) target.publishStoredMetrics();
  };
  return { after: flush, onError: flush };
};

export interface Measures<R> {
  /** Counts of a successful invocation, read off the handler's own result. */
  readonly result?: (result: R) => Counts;
}

type LambdaHandler<E, R> = (event: E, context: Context) => Promise<R>;

/**
 * A Lambda entry's handler with the Lambda context in every log line (request id, function name,
 * cold start), its measures counted, the metrics published as EMF on stdout (CloudWatch reads them
 * from the log stream: no PutMetricData, no IAM), and a failure logged once with its context.
 * Events are never logged: device payloads and credentials go through these handlers.
 */
export const observed = <E, R>(handler: LambdaHandler<E, R>, measures: Measures<R> = {}) =>
  middy<E, R>()
    .use(injectLambdaContext(logger, { logEvent: false, resetKeys: true }))
    .use(publishMetrics(metrics))
    .use({
      after: (request) => {
        if (measures.result) count(measures.result(request.response as R));
      },
      onError: (request) => {
        logger.error('invocation failed', request.error ?? 'unknown error');
      },
    } satisfies MiddlewareObj<E, R>)
    .handler((event, context) => handler(event, context));

type Task = (input: unknown) => Promise<unknown>;

/**
 * The exports of a state machine's task bundle, each observed; `measures` names what a successful
 * run of a task counts (a task that ran to its end is one fact of its kind).
 */
export const observedTasks = <N extends string>(tasks: Record<N, Task>, measures: Partial<Record<N, (output: unknown) => Counts>> = {}) =>
  Object.fromEntries(
    (Object.entries(tasks) as [N, Task][]).map(([name, task]) => {
      const measure = measures[name];
      return [name, observed<unknown, unknown>((input) => task(input), measure ? { result: measure } : {})];
    }),
  ) as Record<N, ReturnType<typeof observed<unknown, unknown>>>;

/** A number field of a task's output (outputs are `unknown` to the bundle), or 0. */
export const numberField = (output: unknown, field: string): number => {
  if (typeof output !== 'object' || output === null) return 0;
  const value = (output as Record<string, unknown>)[field];
  return typeof value === 'number' ? value : 0;
};
