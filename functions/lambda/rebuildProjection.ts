import { createDynamoRebuild } from '../projections/dynamoRebuild.ts';
import { rebuildInvocation } from '../projections/dynamoRebuildRequest.ts';
import { PROJECTION_TABLES } from '../projections/projectionTableDesign.ts';
import { awsEventStore, dynamoDocumentClient } from './awsAdapters.ts';
import { LAMBDA_ENV, requiredEnv } from './env.ts';
import { observed } from './observability.ts';

// Composition root of the operator's backfill of one projection table (infra/cdk/README.md,
// "Backfilling a projection table"): one function per projection, so its role writes that table only.
const tableName = requiredEnv(LAMBDA_ENV.rebuildTable);
const client = dynamoDocumentClient();
const events = awsEventStore();

// Logs through Powertools like every entry; its counts are in the answer the operator reads, so no metrics.
export const handler = observed(
  rebuildInvocation({
    projection: requiredEnv(LAMBDA_ENV.rebuildProjection),
    rebuild: (projection, pageSize) =>
      createDynamoRebuild({ events, client, table: { ...PROJECTION_TABLES[projection], tableName }, ...(pageSize === undefined ? {} : { pageSize }) }),
  }),
);
