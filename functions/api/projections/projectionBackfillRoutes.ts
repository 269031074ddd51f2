import type { FastifyInstance } from 'fastify';
import { fieldErrorsFromZod } from '../../../schemas/directory/fieldError.ts';
import { sendProblem } from '../../directory/problemDetails.ts';
import { REBUILD_SUMMARY_MESSAGE, RebuildRequest } from '../../projections/dynamoRebuildRequest.ts';
import { PROJECTION_TABLES, type ProjectionTableName } from '../../projections/projectionTableDesign.ts';
import type { Clock } from '../../shared/clock.ts';
import { principalOf } from '../auth/apiAccess.ts';
import { invalidRebuildRequest, projectionNotFound } from './rebuildProblems.ts';
import { ProjectionNameParam, ProjectionRebuildParams, type ProjectionBackfillStarted } from './projectionRebuildSchemas.ts';

/** One projection table's rebuild function: what is invoked, and where it logs. */
export interface BackfillFunction {
  readonly functionName: string;
  readonly logGroup: string;
}

export interface ProjectionBackfillRoutesOptions {
  readonly functions: Readonly<Record<ProjectionTableName, BackfillFunction>>;
  /** Queues an asynchronous invoke of a function (functions/lambda/lambdaAsyncInvoke.ts). */
  readonly invokeAsync: (functionName: string, payload: RebuildRequest) => Promise<void>;
  readonly clock: Clock;
  readonly newRunId: () => string;
}

const TABLE_KEYS = Object.keys(PROJECTION_TABLES) as ProjectionTableName[];

/** The embedded projection names (what GET /health lists embedded) and the table each is kept in on AWS. */
export const TABLE_OF_PROJECTION: Readonly<Record<string, ProjectionTableName>> = Object.fromEntries(TABLE_KEYS.map((key) => [PROJECTION_TABLES[key].projection.name, key]));

/** A projection by its embedded name or by its AWS table key; undefined for anything else. */
export const tableOfProjection = (name: string): ProjectionTableName | undefined =>
  Object.hasOwn(TABLE_OF_PROJECTION, name) ? TABLE_OF_PROJECTION[name] : TABLE_KEYS.find((key) => key === name);

const NAMES_LISTED = TABLE_KEYS.map((key) => `${PROJECTION_TABLES[key].projection.name} (table ${key})`).join(', ');


const HINTS: Readonly<Record<string, string>> = {
  replace: 'Write replace=true: on AWS a rebuild is a backfill into the live table.',
  differences: 'Give a whole number from 0 to 1000, or leave it out: on AWS it is ignored.',
};

/** The Logs Insights query that lists one run's summary lines; runIds are checked to need no escaping. */
const summaryQuery = (runId: string) =>
  `fields @timestamp, invocation, outcome, eventsRead, rowsWritten, rowsUnchanged, cursor, error | filter message = "${REBUILD_SUMMARY_MESSAGE}" and runId = "${runId}" | sort @timestamp asc`;

/**
 * POST /projections/:name/rebuild on AWS (admins, the same permission entry as embedded). The
 * embedded route replays the store into a shadow copy and compares; on AWS that cannot finish
 * within API Gateway's 29 s, and the tables have no shadow copies. So here the route starts the
 * table's backfill (functions/projections/dynamoRebuild.ts): an asynchronous invoke of its rebuild
 * function with `continue`, so it invokes itself until the store is read to its end, and a 202
 * that says where its summary lines are logged. Compare-only is refused rather than quietly
 * turned into a write.
 */
export const projectionBackfillRoutes = (options: ProjectionBackfillRoutesOptions) => (app: FastifyInstance) => {
  app.post<{ Params: { name: string } }>('/projections/:name/rebuild', async (request, reply) => {
    const { name } = request.params;
    const query = ProjectionRebuildParams.safeParse(request.query);
    if (!query.success) {
      const errors = fieldErrorsFromZod(query.error, (path) => path.map(String).join('.') || '(query)', (field) => HINTS[field] ?? 'This request takes only replace (true on AWS) and differences.');
      return sendProblem(reply, invalidRebuildRequest(errors, request.url));
    }
    const table = ProjectionNameParam.safeParse(name).success ? tableOfProjection(name) : undefined;
    if (table === undefined) {
      return sendProblem(reply, projectionNotFound(name, `${NAMES_LISTED}; either name works`, request.url));
    }
    if (query.data.replace !== 'true') {
      const message = 'On AWS a rebuild is a backfill into the live projection table: it cannot build a shadow copy to compare with.';
      const hint = 'Send replace=true to start the backfill (it is safe beside the stream projector and writes only what rows miss); compare embedded, or with a new table (infra/cdk/README.md).';
      return sendProblem(reply, invalidRebuildRequest([{ field: 'replace', rule: 'backfill-only', message, hint }], request.url));
    }

    const fn = options.functions[table];
    const runId = options.newRunId();
    const startedBy = (principalOf(request)?.subject ?? 'unknown').slice(0, 256);
    // Checked here so that a payload the function would refuse fails this request, not a queued event.
    const payload = RebuildRequest.parse({ projection: table, continue: true, runId, startedBy });
    try {
      await options.invokeAsync(fn.functionName, payload);
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      request.log.error({ err: error, functionName: fn.functionName, table }, 'the rebuild function could not be invoked');
      return sendProblem(reply, {
        type: '/problems/backfill-not-started',
        title: 'The backfill did not start',
        status: 502,
        detail: `Lambda did not accept the invoke of ${fn.functionName} (${reason.slice(0, 300)}); nothing was started. Try again, or invoke it by hand with ${JSON.stringify({ projection: table })} (infra/cdk/README.md, "Backfilling a projection table").`,
        instance: request.url,
      });
    }
    const started: ProjectionBackfillStarted = {
      projection: PROJECTION_TABLES[table].projection.name,
      table,
      mode: 'backfill',
      runId,
      functionName: fn.functionName,
      startedAt: options.clock.now().toISOString(),
      startedBy,
      outcome: {
        logGroup: fn.logGroup,
        summaryMessage: REBUILD_SUMMARY_MESSAGE,
        query: summaryQuery(runId),
        detail:
          `Each invocation logs one line "${REBUILD_SUMMARY_MESSAGE}" with this runId, its counts and cursor. The run is done at the line with outcome "done"; ` +
          'a line with outcome "failed" names the cursor to resume from (Lambda retries a failed invocation twice first).',
      },
    };
    request.log.info({ runId, table, functionName: fn.functionName, startedBy }, 'projection backfill started');
    return reply.code(202).send(started);
  });
};
