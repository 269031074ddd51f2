import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sendProblem } from '../../directory/problemDetails.ts';
import { bearerChallenge, failureProblem } from './authFailure.ts';
import { authorize } from './authorize.ts';
import { permissionTable, type PermissionTable } from './permissions.ts';
import type { Principal, TokenVerifier } from './tokenVerifier.ts';

export interface ApiRoute {
  readonly method: string;
  readonly route: string;
}

export interface ApiAccess {
  /** Every route registered on the server so far (HEAD routes fastify adds for GETs left out). */
  routes(): readonly ApiRoute[];
}

export interface ApiAccessOptions {
  readonly verifier: TokenVerifier;
  readonly table?: PermissionTable;
  /** The realm in WWW-Authenticate challenges. */
  readonly realm?: string;
}

const principals = new WeakMap<FastifyRequest, Principal>();

/** Who made an authorised request (undefined on public routes): what a command handler records as the actor. */
export const principalOf = (request: FastifyRequest): Principal | undefined => principals.get(request);

/**
 * Puts every route of the server behind the permission table. Install it on the root instance
 * before any route is registered: an `onRequest` hook (it runs before the body is read, so a
 * refused upload is never stored) keyed by the matched route's pattern, which is why no route file
 * has to remember to opt in. Requests that match no route fall through to the not-found handler.
 */
export const installApiAccess = (app: FastifyInstance, options: ApiAccessOptions): ApiAccess => {
  const table = options.table ?? permissionTable();
  const realm = options.realm ?? 'lwm2m-fleet';
  const routes: ApiRoute[] = [];

  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method === 'HEAD' && route.exposeHeadRoute !== false && routes.some((r) => r.method === 'GET' && r.route === route.url)) continue;
      routes.push({ method, route: route.url });
      if (!table.lookup(method, route.url)) app.log.error({ method, route: route.url }, 'route has no permission entry: every request to it is refused; add it to functions/api/auth/permissions.ts');
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route === undefined) return; // no such route: the not-found handler answers
    const decision = await authorize(table, options.verifier, { method: request.method, route, authorization: request.headers.authorization });
    if (decision.allowed) {
      if (decision.principal) principals.set(request, decision.principal);
      return;
    }
    const { failure } = decision;
    request.log.info({ refused: failure.kind, method: request.method, route }, 'request refused');
    const challenge = bearerChallenge(failure, realm);
    if (challenge) void reply.header('www-authenticate', challenge);
    await sendProblem(reply, failureProblem(failure, request.url));
    return reply;
  });

  return { routes: () => [...routes] };
};
