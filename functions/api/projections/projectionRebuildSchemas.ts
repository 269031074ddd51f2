import { z } from 'zod';
import { REBUILD_SUMMARY_MESSAGE } from '../../projections/dynamoRebuildRequest.ts';
import type { ApiOperation } from '../openapi/operations.ts';

/** The most row differences one answer lists; `differenceCount` counts them all. */
export const MAX_LISTED_DIFFERENCES = 1000;
export const DEFAULT_LISTED_DIFFERENCES = 20;

export const ProjectionNameParam = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/)
  .meta({
    description: 'The projection, as the embedded GET /health lists them (`devices`, `device-state`, ...). On AWS its table key (`directory`, `deviceState`, ...) names it too.',
    examples: ['devices', 'device-state'],
  });

export const ProjectionRebuildParams = z.strictObject({
  replace: z
    .enum(['true', 'false'])
    .optional()
    .meta({ description: 'true: the rebuilt rows take the live ones’ place (a repair). Default false: compare only. On AWS only true is accepted: there a rebuild is a backfill into the live table.' }),
  differences: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_LISTED_DIFFERENCES)
    .optional()
    .meta({ description: `How many differing rows to list, 0 to ${MAX_LISTED_DIFFERENCES}; ${DEFAULT_LISTED_DIFFERENCES} unless given. Ignored on AWS, where a backfill compares nothing.` }),
});

export const RowDifferenceSchema = z.object({
  key: z.string(),
  live: z.unknown().meta({ description: 'The live row; absent when only the rebuilt projection has it.' }),
  rebuilt: z.unknown().meta({ description: 'The rebuilt row; absent when only the live projection has it.' }),
});

export const ProjectionRebuildSchema = z.object({
  projection: z.string(),
  position: z.int().min(0).meta({ description: 'The global position both were brought to before comparing.' }),
  rows: z.int().min(0).meta({ description: 'Rows of the rebuilt projection.' }),
  differenceCount: z.int().min(0).meta({ description: 'Rows whose live and rebuilt values differ (0: the live projection is exact).' }),
  differences: z.array(RowDifferenceSchema).meta({ description: 'The first differing rows, by key.' }),
  replaced: z.boolean(),
  durationMs: z.number().min(0),
});

export const ProjectionBackfillStartedSchema = z.object({
  projection: z.string().meta({ description: 'The projection, by its embedded name (what GET /health lists embedded).' }),
  table: z.string().meta({ description: 'Its projection table on AWS (a key of the CDK app’s projection tables).' }),
  mode: z.literal('backfill').meta({ description: 'Folds the event store into the live table: rows gain what they miss, rows already holding an event are not recomputed.' }),
  runId: z.string().meta({ description: 'Names this backfill in every summary line of its invocations.' }),
  functionName: z.string().meta({ description: 'The table’s rebuild function, invoked asynchronously; it invokes itself until the store is read to its end.' }),
  startedAt: z.iso.datetime(),
  startedBy: z.string().meta({ description: 'The subject of the token that started it.' }),
  outcome: z
    .object({
      logGroup: z.string().meta({ description: 'The CloudWatch Logs group of the rebuild function.' }),
      summaryMessage: z.literal(REBUILD_SUMMARY_MESSAGE).meta({ description: 'The message of the one line each invocation logs.' }),
      query: z.string().meta({ description: 'A CloudWatch Logs Insights query over that group for this run’s summary lines, oldest first.' }),
      detail: z.string(),
    })
    .meta({ description: 'Where the outcome is read: the run is done at the line with outcome "done"; a line with outcome "failed" carries the cursor to resume from.' }),
});
export type ProjectionBackfillStarted = z.infer<typeof ProjectionBackfillStartedSchema>;

/** The operation, spread into API_OPERATIONS (functions/api/openapi/operations.ts). */
export const PROJECTION_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'POST',
    path: '/projections/{name}/rebuild',
    route: '/projections/:name/rebuild',
    operationId: 'rebuildProjection',
    tag: 'system',
    summary: 'Rebuild a projection from the event store and compare it with the live one (embedded), or backfill its table (AWS)',
    description:
      'Embedded: folds every event into a shadow copy of the projection, brings the live one to the same position, and compares them row by row (200). Nothing changes unless `replace=true`. Other projection work waits while it runs; its cost grows with the store. ' +
      'AWS: a rebuild cannot run within API Gateway’s 29 seconds, so `replace=true` starts the backfill of the projection’s table (its rebuild function, invoked asynchronously, folds the whole store into the live table, safe beside the stream projector) and answers 202 with where its outcome is logged; compare-only is refused (400).',
    pathParams: { name: ProjectionNameParam },
    query: ProjectionRebuildParams,
    responses: {
      200: { description: 'Embedded: the comparison (and whether the rebuilt rows replaced the live ones).', json: ProjectionRebuildSchema },
      202: { description: 'AWS: the backfill started; read its outcome in `outcome.logGroup`.', json: ProjectionBackfillStartedSchema },
      400: { description: 'A parameter is wrong, or (AWS) `replace=true` is missing; `errors` names it.' },
      404: { description: 'No projection has that name; the detail lists them.' },
      502: { description: 'AWS: Lambda did not accept the invoke of the rebuild function; nothing was started.' },
    },
  },
];
