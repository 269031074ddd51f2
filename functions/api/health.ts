import type { FastifyInstance } from 'fastify';

export interface HealthDeps {
  /** Highest global position in the store. */
  readonly head: () => number;
  readonly projections: () => readonly { name: string; version: number; position: number }[];
  readonly components: () => Readonly<Record<string, 'up' | 'down'>>;
}

/** GET /health: 200 when every component is up, 503 otherwise; projection lag in events. */
export const healthRoutes = (deps: HealthDeps) => (app: FastifyInstance) => {
  app.get('/health', async (_req, reply) => {
    const head = deps.head();
    const components = deps.components();
    const up = Object.values(components).every((s) => s === 'up');
    return reply.code(up ? 200 : 503).send({
      status: up ? 'ok' : 'degraded',
      components,
      eventStore: { head },
      projections: deps.projections().map((p) => ({ ...p, lag: Math.max(0, head - p.position) })),
    });
  });
};
