import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { deprovisioningRoutes } from '../../functions/deprovisioning/deprovisioningRoutes.ts';
import type { ExecutionDescription } from '../../functions/workflows/workflowEngine.ts';

const running: ExecutionDescription = {
  executionId: 'arn:aws:states:local:000000000000:execution:deprovisioning:d-1',
  stateMachine: 'deprovisioning',
  name: 'd-1',
  status: 'RUNNING',
  input: { thingName: 'lamp-1' },
  startDate: new Date('2026-05-01T10:00:00Z'),
};

const appWith = async () => {
  const started: [string, string | undefined][] = [];
  const app = Fastify();
  await app.register(
    deprovisioningRoutes({
      start: (thingName, reason) => {
        started.push([thingName, reason]);
        return Promise.resolve(thingName === 'lamp-1' ? 'd-1' : undefined);
      },
      describe: (name) => Promise.resolve(name === 'd-1' ? running : undefined),
    }),
  );
  return { app, started };
};

describe('deprovisioning routes', () => {
  it('answers 202 with the status URL in the body and Location, passing the reason on', async () => {
    const { app, started } = await appWith();
    const res = await app.inject({ method: 'DELETE', url: '/devices/lamp-1?reason=stolen' });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ thingName: 'lamp-1', executionName: 'd-1', status: '/deprovisioning/d-1' });
    expect(res.headers.location).toBe('/deprovisioning/d-1');
    expect(started).toEqual([['lamp-1', 'stolen']]);
  });

  it('refuses a reason that is repeated or too long before starting anything', async () => {
    const { app, started } = await appWith();
    for (const url of ['/devices/lamp-1?reason=a&reason=b', `/devices/lamp-1?reason=${'x'.repeat(501)}`]) {
      const res = await app.inject({ method: 'DELETE', url });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.json()).toMatchObject({ type: '/problems/invalid-reason' });
    }
    expect(started).toEqual([]);
  });

  it('shows a running run without outcome fields, and 404s a malformed or unknown run name', async () => {
    const { app } = await appWith();
    const res = await app.inject({ method: 'GET', url: '/deprovisioning/d-1' });
    expect(res.json()).toEqual({ executionName: 'd-1', thingName: 'lamp-1', status: 'RUNNING', startDate: '2026-05-01T10:00:00.000Z' });
    for (const url of ['/deprovisioning/d-2', `/deprovisioning/${'a'.repeat(81)}`, '/deprovisioning/has.dot']) {
      expect((await app.inject({ method: 'GET', url })).statusCode).toBe(404);
    }
  });
});
