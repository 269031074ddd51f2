import type { FastifyInstance } from 'fastify';
import { sendProblem } from '../directory/problemDetails.ts';

/** A request that matches no route gets problem+json like every other error of the API. */
export const problemNotFound = (app: FastifyInstance) => {
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, {
      type: '/problems/no-such-route',
      title: 'No such route',
      status: 404,
      detail: `Nothing answers ${request.method} ${request.url.split('?')[0] ?? ''}. GET /openapi.json lists every route and its method.`,
      instance: request.url,
    }),
  );
};
