import { z } from 'zod';
import type { RebuildProgress, RebuildRunInput } from './dynamoRebuild.ts';
import { PROJECTION_TABLES, type ProjectionTableName } from './projectionTableDesign.ts';

/**
 * What an operator sends the rebuild Lambda (`aws lambda invoke --payload`): the projection table
 * to backfill and, to continue, the cursor the previous invocation returned. There is one function
 * per projection (each may write only its own table), so `projection` must name this function's:
 * it guards against backfilling one table while believing it is another.
 */
const projectionNames = Object.keys(PROJECTION_TABLES) as [ProjectionTableName, ...ProjectionTableName[]];

export const RebuildRequest = z.strictObject({
  projection: z.enum(projectionNames),
  cursor: z.string().min(1).max(4096).optional(),
  pageSize: z.int().min(1).max(1000).optional(),
});
export type RebuildRequest = z.infer<typeof RebuildRequest>;

export class InvalidRebuildRequestError extends Error {
  override name = 'InvalidRebuildRequestError';
}

export const isProjectionTableName = (value: string): value is ProjectionTableName => Object.hasOwn(PROJECTION_TABLES, value);

/** Leave this much of the invocation's time for the last page in flight and the answer. */
export const TIME_RESERVE_MS = 60_000;

export interface RebuildInvocationDeps {
  /**
   * The projection table this function may write, as its environment names it. Checked at each
   * invocation rather than at cold start: an operator tool fails where the operator reads it.
   */
  readonly projection: string;
  /** A rebuild over that table with the page size asked for. */
  readonly rebuild: (projection: ProjectionTableName, pageSize: number | undefined) => (input: RebuildRunInput) => Promise<RebuildProgress>;
  readonly reserveMs?: number;
}

/** The answer: the progress, plus the payload of the next invocation while the store is not done. */
export type RebuildAnswer = RebuildProgress & { readonly next?: RebuildRequest };

/**
 * One invocation: checks the request, then folds pages until the store ends or the time left
 * (Lambda's `getRemainingTimeInMillis`) falls under the reserve, and answers with the cursor.
 */
export const rebuildInvocation =
  (deps: RebuildInvocationDeps) =>
  async (event: unknown, context: { getRemainingTimeInMillis(): number }): Promise<RebuildAnswer> => {
    const configured = deps.projection;
    if (!isProjectionTableName(configured)) {
      throw new Error(`This function is configured for projection "${configured}", which is not one of ${projectionNames.join(', ')}: fix the CDK app (infra/cdk/constructs/projectionRebuild.ts) and deploy.`);
    }
    const parsed = RebuildRequest.safeParse(event);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
      throw new InvalidRebuildRequestError(
        `The rebuild request is not valid (${problems}). Send {"projection": one of ${projectionNames.join(', ')}, "cursor"?: the cursor of the previous answer, "pageSize"?: 1-1000}.`,
      );
    }
    const request = parsed.data;
    if (request.projection !== configured) {
      throw new InvalidRebuildRequestError(
        `This function rebuilds ${configured}, not ${request.projection}: invoke the rebuild function of ${request.projection} (stack output Rebuild${request.projection.charAt(0).toUpperCase()}${request.projection.slice(1)}Function).`,
      );
    }
    const reserve = deps.reserveMs ?? TIME_RESERVE_MS;
    const progress = await deps.rebuild(configured, request.pageSize)({ cursor: request.cursor, hasTimeForPage: () => context.getRemainingTimeInMillis() > reserve });
    if (progress.done) return progress;
    return { ...progress, next: { projection: request.projection, ...(progress.cursor === undefined ? {} : { cursor: progress.cursor }), ...(request.pageSize === undefined ? {} : { pageSize: request.pageSize }) } };
  };
