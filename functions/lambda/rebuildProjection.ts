import { LambdaClient } from '@aws-sdk/client-lambda';
import { createDynamoRebuild } from '../projections/dynamoRebuild.ts';
import { REBUILD_SUMMARY_MESSAGE, rebuildInvocation } from '../projections/dynamoRebuildRequest.ts';
import { PROJECTION_TABLES } from '../projections/projectionTableDesign.ts';
import { awsEventStore, dynamoDocumentClient } from './awsAdapters.ts';
import { LAMBDA_ENV, requiredEnv } from './env.ts';
import { lambdaAsyncInvoker } from './lambdaAsyncInvoke.ts';
import { logger, observed } from './observability.ts';

// Composition root of the backfill of one projection table (infra/cdk/README.md, "Backfilling a
// projection table"): one function per projection, so its role writes that table only. An operator
// invokes it by hand, or the API's POST /projections/:name/rebuild invokes it with `continue`, and it
// then invokes itself (its role may invoke only this function) until the store is read to its end.
const tableName = requiredEnv(LAMBDA_ENV.rebuildTable);
const client = dynamoDocumentClient();
const events = awsEventStore();

// Logs through Powertools like every entry: one summary line per invocation, which is what the
// API's 202 points at; its counts are also in the answer an operator reads, so no metrics.
export const handler = observed(
  rebuildInvocation({
    projection: requiredEnv(LAMBDA_ENV.rebuildProjection),
    rebuild: (projection, pageSize) =>
      createDynamoRebuild({ events, client, table: { ...PROJECTION_TABLES[projection], tableName }, ...(pageSize === undefined ? {} : { pageSize }) }),
    invokeAsync: lambdaAsyncInvoker(new LambdaClient({})),
    log: (summary) => (summary.outcome === 'failed' ? logger.error(REBUILD_SUMMARY_MESSAGE, { ...summary }) : logger.info(REBUILD_SUMMARY_MESSAGE, { ...summary })),
  }),
);
