import type { FastifyReply } from 'fastify';
import type { FieldError } from '../../schemas/directory/fieldError.ts';

/**
 * RFC 9457 problem details. `type` is a relative URI reference naming the problem (resolved against
 * the API's own base); `errors` is our extension listing each field that was wrong.
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly errors?: readonly FieldError[];
}

export const invalidSearchProblem = (errors: readonly FieldError[], instance: string): Problem => ({
  type: '/problems/invalid-search',
  title: 'The device search is not valid',
  status: 400,
  detail:
    errors.length === 1
      ? `${errors[0]?.message ?? ''} ${errors[0]?.hint ?? ''}`.trim()
      : `${errors.length} parameters are wrong: ${errors.map((e) => e.field).join(', ')}. Each entry of "errors" says what to change.`,
  instance,
  errors,
});

export const deviceNotFoundProblem = (thingName: string, instance: string): Problem => ({
  type: '/problems/device-not-found',
  title: 'No such device',
  status: 404,
  detail: `No device is named "${thingName}". Thing names are case-sensitive; search with GET /devices to find it.`,
  instance,
});

export const sendProblem = (reply: FastifyReply, problem: Problem): FastifyReply =>
  reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
