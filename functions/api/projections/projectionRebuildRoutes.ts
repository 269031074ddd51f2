import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { fieldErrorsFromZod } from '../../../schemas/directory/fieldError.ts';
import { sendProblem } from '../../directory/problemDetails.ts';
import type { ProjectionEngine } from '../../projections/projectionEngine.ts';
import { invalidRebuildRequest, projectionNotFound } from './rebuildProblems.ts';
import { DEFAULT_LISTED_DIFFERENCES, ProjectionNameParam, ProjectionRebuildParams } from './projectionRebuildSchemas.ts';

export interface ProjectionRebuildRoutesOptions {
  readonly projections: Pick<ProjectionEngine, 'rebuild' | 'status'>;
}

const HINTS: Readonly<Record<string, string>> = {
  replace: 'Write replace=true to put the rebuilt rows in place, or leave it out to compare only.',
  differences: 'Give a whole number from 0 to 1000.',
};


/**
 * POST /projections/:name/rebuild (admins): replays the store into a shadow copy of a projection
 * and compares it with the live one (ARCHITECTURE.md flow 5: "any projection can be rebuilt from
 * the store and must equal the live one"). With replace=true the shadow takes the live rows'
 * place, the repair for a projection whose code was fixed. The engine runs it under its lock, so
 * live projection work waits meanwhile; the answer lists the first differing rows, not all.
 */
export const projectionRebuildRoutes = (options: ProjectionRebuildRoutesOptions) => (app: FastifyInstance) => {
  app.post<{ Params: { name: string } }>('/projections/:name/rebuild', async (request, reply) => {
    const { name } = request.params;
    const query = ProjectionRebuildParams.safeParse(request.query);
    if (!query.success) {
      const errors = fieldErrorsFromZod(query.error, (path) => path.map(String).join('.') || '(query)', (field) => HINTS[field] ?? 'This request takes only replace and differences.');
      return sendProblem(reply, invalidRebuildRequest(errors, request.url));
    }
    const known = options.projections.status().map((p) => p.name);
    if (!ProjectionNameParam.safeParse(name).success || !known.includes(name)) {
      return sendProblem(reply, projectionNotFound(name, known.join(', '), request.url));
    }
    const started = performance.now();
    const result = await options.projections.rebuild(name, { replace: query.data.replace === 'true' });
    const listed = query.data.differences ?? DEFAULT_LISTED_DIFFERENCES;
    return reply.send({
      projection: result.projection,
      position: result.position,
      rows: result.rows,
      differenceCount: result.differences.length,
      differences: result.differences.slice(0, listed),
      replaced: result.replaced,
      durationMs: Math.round(performance.now() - started),
    });
  });
};
