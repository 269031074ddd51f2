import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, RouteShorthandOptions } from 'fastify';
import { ThingName } from '../../events/catalog/common.ts';
import { parseSearchParams } from '../../schemas/directory/parseSearchParams.ts';
import { DirectoryQueryError, type DeviceDirectory } from './deviceDirectory.ts';
import { deviceNotFoundProblem, invalidSearchProblem, sendProblem } from './problemDetails.ts';

export interface DirectoryRoutesOptions {
  readonly directory: DeviceDirectory;
  /**
   * Runs before every directory route: the place for authentication and authorisation. A hook
   * that throws an error with a 4xx `statusCode` (e.g. 401, 403) is answered as problem+json.
   */
  readonly preHandler?: RouteShorthandOptions['preHandler'];
}

const searchParamsOf = (url: string): URLSearchParams => {
  const q = url.indexOf('?');
  return new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
};

/**
 * GET /devices?tenant=..&attr.NAME=..&bbox=..&near=..&status=..&limit=..&cursor=.. and
 * GET /devices/:thingName. Register with `app.register(directoryRoutes({ directory }))`, with a
 * `prefix` if the API lives under one. Errors are RFC 9457 problem+json, also for errors thrown by
 * the preHandler, since the plugin keeps its own error handler.
 */
export const directoryRoutes = (options: DirectoryRoutesOptions) => (app: FastifyInstance) => {
  const { directory } = options;
  const routeOptions: RouteShorthandOptions = options.preHandler ? { preHandler: options.preHandler } : {};

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'device directory request failed');
    return sendProblem(reply, {
      type: 'about:blank',
      title: STATUS_CODES[status] ?? 'Error',
      status,
      detail: status >= 500 ? 'The device directory could not answer; the error is logged. Try again, and report it if it keeps happening.' : error.message,
      instance: request.url,
    });
  });

  app.get('/devices', routeOptions, async (request, reply) => {
    const parsed = parseSearchParams(searchParamsOf(request.url));
    if (!parsed.ok) return sendProblem(reply, invalidSearchProblem(parsed.errors, request.url));
    try {
      return await directory.search(parsed.query);
    } catch (err) {
      if (err instanceof DirectoryQueryError) return sendProblem(reply, invalidSearchProblem(err.errors, request.url));
      throw err;
    }
  });

  // A wildcard rather than ":thingName": the router refuses parameters longer than the server's
  // maxParamLength (100 by default) with a bare 404, and thing names run to 128 characters.
  app.get('/devices/*', routeOptions, async (request, reply) => {
    const thingName = (request.params as { '*': string })['*'];
    const checked = ThingName.safeParse(thingName);
    if (!checked.success) {
      return sendProblem(
        reply,
        invalidSearchProblem(
          [
            {
              field: 'thingName',
              rule: 'thing-name',
              message: `${JSON.stringify(thingName.slice(0, 140))} is not a thing name.`,
              hint: 'A thing name is 1-128 letters, digits, ":", "_" and "-", as in GET /devices/meter-0001.',
            },
          ],
          request.url,
        ),
      );
    }
    const device = await directory.get(checked.data);
    return device ?? sendProblem(reply, deviceNotFoundProblem(checked.data, request.url));
  });
};
