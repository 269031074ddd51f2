import { createDynamoProjector } from '../projections/dynamoProjectionTables.ts';
import { PROJECTION_TABLES } from '../projections/projectionTableDesign.ts';
import { dynamoDocumentClient } from './awsAdapters.ts';
import { LAMBDA_ENV, requiredEnv } from './env.ts';
import { counted, logger, observed } from './observability.ts';
import { projectStreamBatch } from './streamProjector.ts';

// Composition root of the projector on the event store's stream: tables and client once per container.
const projector = createDynamoProjector({
  client: dynamoDocumentClient(),
  tables: [
    { ...PROJECTION_TABLES.deviceState, tableName: requiredEnv(LAMBDA_ENV.deviceStateTable) },
    { ...PROJECTION_TABLES.alarms, tableName: requiredEnv(LAMBDA_ENV.alarmsTable) },
    { ...PROJECTION_TABLES.directory, tableName: requiredEnv(LAMBDA_ENV.directoryTable) },
    { ...PROJECTION_TABLES.rejections, tableName: requiredEnv(LAMBDA_ENV.rejectionsTable) },
    { ...PROJECTION_TABLES.deviceSessions, tableName: requiredEnv(LAMBDA_ENV.deviceSessionsTable) },
    { ...PROJECTION_TABLES.commandAudit, tableName: requiredEnv(LAMBDA_ENV.commandAuditTable) },
  ],
});

// The handler answers with the record to retry from, not with counts: the projector's results are counted instead.
const project = counted(projector.project.bind(projector), (r) => ({ RowsFolded: r.rowsWritten, ProjectionFailures: r.failures.length, UnreadableEvents: r.unreadable }));

export const handler = observed(projectStreamBatch({ projector: { project }, log: (message) => logger.error(message) }));
