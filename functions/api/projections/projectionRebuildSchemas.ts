import { z } from 'zod';
import type { ApiOperation } from '../openapi/operations.ts';

/** The most row differences one answer lists; `differenceCount` counts them all. */
export const MAX_LISTED_DIFFERENCES = 1000;
export const DEFAULT_LISTED_DIFFERENCES = 20;

export const ProjectionNameParam = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,63}$/)
  .meta({ description: 'The projection, as GET /health lists them.', examples: ['devices', 'device-state'] });

export const ProjectionRebuildParams = z.strictObject({
  replace: z.enum(['true', 'false']).optional().meta({ description: 'true: the rebuilt rows take the live ones’ place (a repair). Default false: compare only.' }),
  differences: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_LISTED_DIFFERENCES)
    .optional()
    .meta({ description: `How many differing rows to list, 0 to ${MAX_LISTED_DIFFERENCES}; ${DEFAULT_LISTED_DIFFERENCES} unless given.` }),
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

/** The operation, spread into API_OPERATIONS (functions/api/openapi/operations.ts). */
export const PROJECTION_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'POST',
    path: '/projections/{name}/rebuild',
    route: '/projections/:name/rebuild',
    operationId: 'rebuildProjection',
    tag: 'system',
    summary: 'Rebuild a projection from the event store and compare it with the live one',
    description:
      'Folds every event into a shadow copy of the projection, brings the live one to the same position, and compares them row by row. Nothing changes unless `replace=true`. Other projection work waits while it runs; its cost grows with the store.',
    pathParams: { name: ProjectionNameParam },
    query: ProjectionRebuildParams,
    responses: {
      200: { description: 'The comparison (and whether the rebuilt rows replaced the live ones).', json: ProjectionRebuildSchema },
      400: { description: 'A parameter is wrong; `errors` names it.' },
      404: { description: 'No projection has that name.' },
    },
  },
];
