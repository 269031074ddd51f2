import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHealthServer, type HealthReport, type HealthServer } from '../../functions/bridge/healthServer.ts';

/** The health endpoint the NLB and the container health check call, over real HTTP on loopback. */

let server: HealthServer;
let report: () => HealthReport = () => ({ healthy: true, detail: { bridgeId: 'aws-1', mqtt: 'connected' } });

beforeAll(async () => {
  server = await startHealthServer({ host: '127.0.0.1', port: 0, check: () => report() });
});

afterAll(async () => {
  await server?.close();
});

const call = (method: string, path: string) =>
  new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method, path }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });

describe('GET /health', () => {
  it('answers 200 with what it checked while the bridge is healthy', async () => {
    const res = await call('GET', '/health');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ok', bridgeId: 'aws-1', mqtt: 'connected' });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('answers 503 when the check says unhealthy, and when the check itself throws', async () => {
    report = () => ({ healthy: false, detail: { mqtt: 'disconnected' } });
    expect(await call('GET', '/health?probe=1')).toMatchObject({ status: 503, body: '{"status":"unhealthy","mqtt":"disconnected"}' });
    report = () => {
      throw new Error('stats unavailable');
    };
    const res = await call('GET', '/health');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toEqual({ status: 'unhealthy', error: 'stats unavailable' });
  });

  it('answers HEAD without a body, other paths with 404 and other methods with 405', async () => {
    report = () => ({ healthy: true, detail: {} });
    expect(await call('HEAD', '/health')).toMatchObject({ status: 200, body: '' });
    expect((await call('GET', '/metrics')).status).toBe(404);
    const post = await call('POST', '/health');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });
});
