import type { FastifyInstance } from 'fastify';
import { openApiDocument } from './openApiDocument.ts';

/** GET /openapi.json: the document is built once, at registration, so a broken one stops the start. */
export const openApiRoutes = () => (app: FastifyInstance) => {
  const body = JSON.stringify(openApiDocument());
  app.get('/openapi.json', (_request, reply) => reply.type('application/json; charset=utf-8').send(body));
};
