/**
 * The variables Powertools reads in every Lambda (functions/lambda/observability.ts). Kept apart
 * from that module so the CDK construct that sets them depends on two constants, not on Powertools.
 */
export const OBSERVABILITY_ENV = {
  /** The handler's registry name (infra/cdk/handlers.ts): the `service` key of logs and metric dimension. */
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
} as const;

/** One CloudWatch namespace for the whole fleet; `service` tells the handlers apart. */
export const METRICS_NAMESPACE = 'LwM2MFleet';
