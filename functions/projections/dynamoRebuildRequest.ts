import { z } from 'zod';
import { RebuildInterruptedError, type RebuildProgress, type RebuildRunInput } from './dynamoRebuild.ts';
import { PROJECTION_TABLES, type ProjectionTableName } from './projectionTableDesign.ts';

/**
 * What the rebuild Lambda is sent: by an operator (`aws lambda invoke --payload`), by the API's
 * `POST /projections/:name/rebuild`, or by itself to go on. It names the projection table to backfill
 * and, to continue, the cursor the previous invocation returned. There is one function per projection
 * (each may write only its own table), so `projection` must name this function's: it guards against
 * backfilling one table while believing it is another.
 */
const projectionNames = Object.keys(PROJECTION_TABLES) as [ProjectionTableName, ...ProjectionTableName[]];

export const RebuildRequest = z.strictObject({
  projection: z.enum(projectionNames),
  cursor: z.string().min(1).max(4096).optional(),
  pageSize: z.int().min(1).max(1000).optional(),
  /** Run unattended: while the store is not done, the function invokes itself asynchronously with `next`. */
  continue: z.boolean().optional(),
  /** Names one backfill in every summary line of its invocations (the API answers it). */
  runId: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/)
    .optional(),
  /** Who started it (the API puts the admin's subject here), for the summary lines. */
  startedBy: z.string().min(1).max(256).optional(),
  /** This invocation's place in its run: 1 (or absent) for the first, and one more for each `next`. */
  invocation: z.int().min(1).optional(),
});
export type RebuildRequest = z.infer<typeof RebuildRequest>;

export class InvalidRebuildRequestError extends Error {
  override name = 'InvalidRebuildRequestError';
}

/** The pages were folded but the next invocation could not be started; resume from `resumeCursor`. */
export class ContinuationFailedError extends Error {
  override name = 'ContinuationFailedError';
  constructor(
    message: string,
    readonly resumeCursor: string | undefined,
    cause: unknown,
  ) {
    super(message, { cause });
  }
}

export const isProjectionTableName = (value: string): value is ProjectionTableName => Object.hasOwn(PROJECTION_TABLES, value);

/** Leave this much of the invocation's time for the last page in flight and the answer. */
export const TIME_RESERVE_MS = 60_000;

/** The message of the one line each invocation logs; the API's 202 tells where to find it. */
export const REBUILD_SUMMARY_MESSAGE = 'rebuild invocation';

/** How an invocation ended, as its summary line says. */
export type RebuildOutcome = 'done' | 'continued' | 'stopped' | 'failed';

/** The one line each invocation logs (REBUILD_SUMMARY_MESSAGE): what a run's progress is read from. */
export interface RebuildSummary {
  readonly outcome: RebuildOutcome;
  readonly projection: string;
  readonly runId?: string;
  readonly startedBy?: string;
  readonly invocation: number;
  /** Where this invocation started (absent: the first event of the store). */
  readonly startCursor?: string;
  /** Where the next invocation starts: on `failed`, the cursor to resume from. */
  readonly cursor?: string;
  readonly pages?: number;
  readonly eventsRead?: number;
  readonly rowsWritten?: number;
  readonly rowsUnchanged?: number;
  readonly unreadable?: number;
  readonly error?: string;
}

/** What the handler needs of Lambda's context: the time left and, to continue, its own name. */
export interface RebuildContext {
  getRemainingTimeInMillis(): number;
  readonly functionName?: string;
}

export interface RebuildInvocationDeps {
  /**
   * The projection table this function may write, as its environment names it. Checked at each
   * invocation rather than at cold start: an operator tool fails where the operator reads it.
   */
  readonly projection: string;
  /** A rebuild over that table with the page size asked for. */
  readonly rebuild: (projection: ProjectionTableName, pageSize: number | undefined) => (input: RebuildRunInput) => Promise<RebuildProgress>;
  readonly reserveMs?: number;
  /**
   * Starts a function asynchronously (Lambda `Invoke`, InvocationType Event) with a payload. Needed
   * only for requests with `continue`: the function hands the rest of the store to its next invocation.
   */
  readonly invokeAsync?: (functionName: string, payload: RebuildRequest) => Promise<void>;
  /** Receives the invocation's summary line, success or failure. */
  readonly log?: (summary: RebuildSummary) => void;
}

/** The answer: the progress, plus the payload of the next invocation while the store is not done. */
export type RebuildAnswer = RebuildProgress & {
  readonly next?: RebuildRequest;
  /** True when this invocation started the next one itself (`continue`). */
  readonly continued?: boolean;
};

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * One invocation: checks the request, then folds pages until the store ends or the time left
 * (Lambda's `getRemainingTimeInMillis`) falls under the reserve, and answers with the cursor. With
 * `continue`, it then invokes itself with `next`, so the backfill runs to the end unattended: each
 * invocation folds at least one page, and the run ends at the first page shorter than the page size.
 */
export const rebuildInvocation =
  (deps: RebuildInvocationDeps) =>
  async (event: unknown, context: RebuildContext): Promise<RebuildAnswer> => {
    const configured = deps.projection;
    const parsed = RebuildRequest.safeParse(event);
    const request = parsed.success ? parsed.data : undefined;
    const base = {
      projection: configured,
      invocation: request?.invocation ?? 1,
      ...(request?.runId === undefined ? {} : { runId: request.runId }),
      ...(request?.startedBy === undefined ? {} : { startedBy: request.startedBy }),
      ...(request?.cursor === undefined ? {} : { startCursor: request.cursor }),
    };
    try {
      if (!isProjectionTableName(configured)) {
        throw new Error(`This function is configured for projection "${configured}", which is not one of ${projectionNames.join(', ')}: fix the CDK app (infra/cdk/constructs/projectionRebuild.ts) and deploy.`);
      }
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
        throw new InvalidRebuildRequestError(
          `The rebuild request is not valid (${problems}). Send {"projection": one of ${projectionNames.join(', ')}, "cursor"?: the cursor of the previous answer, "pageSize"?: 1-1000, "continue"?: true to run to the end unattended}.`,
        );
      }
      const r = parsed.data;
      if (r.projection !== configured) {
        throw new InvalidRebuildRequestError(
          `This function rebuilds ${configured}, not ${r.projection}: invoke the rebuild function of ${r.projection} (stack output Rebuild${r.projection.charAt(0).toUpperCase()}${r.projection.slice(1)}Function).`,
        );
      }
      // Refused before any page is folded: a run that could not go on would stop silently mid-store.
      const invokeAsync = deps.invokeAsync;
      if (r.continue === true && (invokeAsync === undefined || !context.functionName)) {
        throw new InvalidRebuildRequestError('This function cannot invoke itself here (no Lambda client or function name): leave "continue" out and invoke again with each answer\'s "next".');
      }
      const reserve = deps.reserveMs ?? TIME_RESERVE_MS;
      const progress = await deps.rebuild(configured, r.pageSize)({ cursor: r.cursor, hasTimeForPage: () => context.getRemainingTimeInMillis() > reserve });
      const counts = { pages: progress.pages, eventsRead: progress.eventsRead, rowsWritten: progress.rowsWritten, rowsUnchanged: progress.rowsUnchanged, unreadable: progress.unreadable };
      const at = progress.cursor === undefined ? {} : { cursor: progress.cursor };
      if (progress.done) {
        deps.log?.({ ...base, outcome: 'done', ...at, ...counts });
        return progress;
      }
      const { cursor: _previous, invocation: _n, ...carried } = r;
      const next: RebuildRequest = { ...carried, ...at, invocation: base.invocation + 1 };
      if (r.continue !== true || invokeAsync === undefined || !context.functionName) {
        deps.log?.({ ...base, outcome: 'stopped', ...at, ...counts });
        return { ...progress, next };
      }
      try {
        await invokeAsync(context.functionName, next);
      } catch (error) {
        // What was folded stays folded; a retry of this invocation folds nothing new and invokes again.
        throw new ContinuationFailedError(
          `Folded ${progress.eventsRead} events of ${configured} up to cursor ${JSON.stringify(progress.cursor)}, but the next invocation could not be started (${describe(error)}). ` +
            `Invoke ${context.functionName} with ${JSON.stringify(next)} to continue.`,
          progress.cursor,
          error,
        );
      }
      deps.log?.({ ...base, outcome: 'continued', ...at, ...counts });
      return { ...progress, next, continued: true };
    } catch (error) {
      const resume = error instanceof RebuildInterruptedError || error instanceof ContinuationFailedError ? error.resumeCursor : request?.cursor;
      const partial = error instanceof RebuildInterruptedError ? error.progress : undefined;
      deps.log?.({
        ...base,
        outcome: 'failed',
        ...(resume === undefined ? {} : { cursor: resume }),
        ...(partial ? { pages: partial.pages, eventsRead: partial.eventsRead, rowsWritten: partial.rowsWritten, rowsUnchanged: partial.rowsUnchanged, unreadable: partial.unreadable } : {}),
        error: describe(error),
      });
      throw error;
    }
  };
