import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { ThingName } from '../../events/catalog/common.ts';
import { deviceNotFoundProblem, sendProblem, type Problem } from '../directory/problemDetails.ts';
import type { ExecutionDescription } from '../workflows/workflowEngine.ts';

export interface DeprovisioningRoutesOptions {
  /** Starts a run for a known device and returns its execution name; undefined when the device is unknown. */
  readonly start: (thingName: string, reason: string | undefined) => Promise<string | undefined>;
  /** The run, or undefined when no run has that name. */
  readonly describe: (executionName: string) => Promise<ExecutionDescription | undefined>;
  readonly preHandler?: preHandlerHookHandler;
}

const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const MAX_REASON = 500;

const problem = (status: number, type: string, title: string, detail: string, instance: string): Problem => ({ type: `/problems/${type}`, title, status, detail, instance });

/** What GET /deprovisioning/:name shows: the run, without the engine's internals. */
export const deprovisioningStatus = (execution: ExecutionDescription) => {
  const input = execution.input as { thingName?: string; reason?: string };
  const output = execution.output as { device?: { alreadyDeprovisioned?: boolean }; revoked?: { revoked?: string[]; disconnected?: number } } | undefined;
  return {
    executionName: execution.name,
    thingName: input.thingName,
    ...(input.reason === undefined ? {} : { reason: input.reason }),
    status: execution.status,
    startDate: execution.startDate.toISOString(),
    ...(execution.stopDate === undefined ? {} : { stopDate: execution.stopDate.toISOString() }),
    ...(output === undefined ? {} : { alreadyDeprovisioned: output.device?.alreadyDeprovisioned === true, revokedCertificates: output.revoked?.revoked ?? [], disconnected: output.revoked?.disconnected ?? 0 }),
    ...(execution.error === undefined ? {} : { error: execution.error }),
    ...(execution.cause === undefined ? {} : { cause: execution.cause }),
  };
};

/**
 * DELETE /devices/:thingName?reason=... starts the deprovisioning workflow and answers 202 with
 * where to follow it; GET /deprovisioning/:executionName is that status. Deleting a device that is
 * already deprovisioned starts a run that succeeds without doing anything: DELETE is idempotent.
 */
export const deprovisioningRoutes = (options: DeprovisioningRoutesOptions) => (app: FastifyInstance) => {
  const route = options.preHandler ? { preHandler: options.preHandler } : {};

  app.delete<{ Params: { thingName: string }; Querystring: { reason?: unknown } }>('/devices/:thingName', route, async (request, reply) => {
    const { thingName } = request.params;
    if (!ThingName.safeParse(thingName).success) {
      return sendProblem(reply, problem(400, 'invalid-thing-name', 'The thing name is not valid', 'A thing name is 1-128 letters, digits, ":", "_" and "-", as in DELETE /devices/meter-0001.', request.url));
    }
    const reason = request.query.reason;
    if (reason !== undefined && (typeof reason !== 'string' || reason.length === 0 || reason.length > MAX_REASON)) {
      return sendProblem(reply, problem(400, 'invalid-reason', 'The reason is not valid', `Pass at most one ?reason= of 1-${MAX_REASON} characters, or none.`, request.url));
    }
    const executionName = await options.start(thingName, reason);
    if (executionName === undefined) return sendProblem(reply, deviceNotFoundProblem(thingName, request.url));
    const status = `/deprovisioning/${executionName}`;
    return reply.code(202).header('location', status).send({ thingName, executionName, status });
  });

  app.get<{ Params: { executionName: string } }>('/deprovisioning/:executionName', route, async (request, reply) => {
    const { executionName } = request.params;
    const found = EXECUTION_NAME.test(executionName) ? await options.describe(executionName) : undefined;
    if (!found) return sendProblem(reply, problem(404, 'deprovisioning-not-found', 'No such deprovisioning run', `No deprovisioning run is named "${executionName}": use the status URL that DELETE /devices/:thingName returned.`, request.url));
    return reply.send(deprovisioningStatus(found));
  });
};
