import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateLocalIssuer } from '../../functions/api/auth/localIssuer.ts';
import { localSignInRoutes } from '../../functions/dashboard/localSignIn.ts';
import { systemClock } from '../../functions/shared/clock.ts';
import { ProblemSchema } from '../../functions/api/openapi/apiSchemas.ts';
import { LocalTokenSchema } from '../../functions/dashboard/dashboardSchemas.ts';
import { loadConfig } from '../../infra/embedded/config.ts';
import { startRuntime, type Runtime } from '../../infra/embedded/runtime.ts';

/**
 * POST /auth/local-token, the console's role picker (docs/adr/0011-console-local-sign-in.md):
 * a token for a caller on loopback, refused when switched off, from another address, or to a
 * request addressed to another host name; bad bodies get 400 naming the field.
 */

const root = mkdtempSync(join(tmpdir(), 'int-local-sign-in-'));
let on: Runtime;
let off: Runtime;

const start = (name: string, localSignIn: 'true' | 'false') =>
  startRuntime(loadConfig({ FLEET_DATA_DIR: join(root, name), FLEET_HTTP_PORT: '0', FLEET_LOG_LEVEL: 'silent', FLEET_DASHBOARD_DIR: join(root, 'no-build'), FLEET_CONSOLE_LOCAL_SIGN_IN: localSignIn }));

beforeAll(async () => {
  on = await start('on', 'true');
  off = await start('off', 'false');
});
afterAll(async () => {
  await on?.stop();
  await off?.stop();
  rmSync(root, { recursive: true, force: true });
});

const signIn = (runtime: Runtime, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(`${runtime.url}/auth/local-token`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

const problemOf = async (res: Response) => {
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return ProblemSchema.parse(await res.json());
};

describe('on loopback, switched on', () => {
  it('mints a one-hour token for the role, whose subject is the name', async () => {
    const before = Date.now();
    const res = await signIn(on, { role: 'operator', name: 'ada@example.com' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { token, expiresAt } = LocalTokenSchema.parse(await res.json());
    const principal = await on.tokens.verifier.verify(token);
    expect(principal).toMatchObject({ subject: 'ada@example.com', roles: ['operator'] });
    const lifetime = Date.parse(expiresAt) - before;
    expect(lifetime).toBeGreaterThan(3590_000);
    expect(lifetime).toBeLessThanOrEqual(3601_000);
  });

  it('gives a token the API accepts with exactly that role', async () => {
    const { token } = LocalTokenSchema.parse(await (await signIn(on, { role: 'viewer', name: 'vic' })).json());
    const headers = { authorization: `Bearer ${token}` };
    expect((await fetch(`${on.url}/devices`, { headers })).status).toBe(200);
    const rebuild = await fetch(`${on.url}/projections/devices/rebuild`, { method: 'POST', headers });
    expect(rebuild.status).toBe(403);
  });

  it('answers a request addressed to localhost', async () => {
    const port = new URL(on.url).port;
    const res = await fetch(`http://localhost:${port}/auth/local-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'admin', name: 'root-at-home' }) });
    expect(res.status).toBe(200);
  });
});

describe('bad requests', () => {
  it('refuses a role that is not one, naming the field', async () => {
    const problem = await problemOf(await signIn(on, { role: 'superuser', name: 'mallory' }));
    expect(problem).toMatchObject({ status: 400, type: '/problems/invalid-sign-in' });
    expect(problem.errors?.map((e) => e.field)).toEqual(['role']);
    expect(problem.detail).toContain('admin, operator, viewer');
  });

  it('refuses a missing or unusable name, and fields it does not know', async () => {
    const missing = await problemOf(await signIn(on, { role: 'viewer' }));
    expect(missing.errors?.map((e) => e.field)).toEqual(['name']);
    const spaced = await problemOf(await signIn(on, { role: 'viewer', name: 'Ada Lovelace' }));
    expect(spaced.errors?.map((e) => [e.field, e.rule])).toEqual([['name', 'format']]);
    expect(spaced.detail).toContain('no spaces');
    const extra = await problemOf(await signIn(on, { role: 'viewer', name: 'ada', ttlSeconds: 999999 }));
    expect(extra.errors?.map((e) => [e.field, e.rule])).toEqual([['ttlSeconds', 'unknown-field']]);
  });

  it('refuses a body that is not JSON, or not an object', async () => {
    const broken = await signIn(on, '{"role": ', { 'content-type': 'application/json' });
    expect(broken.status).toBe(400);
    expect((await problemOf(broken)).type).toBe('/problems/invalid-body');
    const text = await signIn(on, 'role=admin&name=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(text.status).toBe(415);
    expect((await problemOf(text)).detail).toContain('application/json');
    const array = await problemOf(await signIn(on, [1, 2]));
    expect(array).toMatchObject({ status: 400, type: '/problems/invalid-sign-in' });
  });
});

describe('refusals: who may not use the role picker', () => {
  it('refuses everyone when switched off, saying how to get a token instead', async () => {
    const res = await signIn(off, { role: 'admin', name: 'ada' });
    expect(res.status).toBe(403);
    const problem = await problemOf(res);
    expect(problem).toMatchObject({ type: '/problems/local-sign-in-refused' });
    expect(problem.detail).toContain('FLEET_CONSOLE_LOCAL_SIGN_IN=false');
    expect(problem.detail).toContain('npm run fleet -- token --role');
  });

  it('refuses a caller from another address', async () => {
    // The server's own request pipeline with the socket's remote address set, as a LAN caller would have it.
    const res = await on.http.inject({
      method: 'POST',
      url: '/auth/local-token',
      remoteAddress: '192.168.1.23',
      headers: { host: 'localhost', 'content-type': 'application/json' },
      payload: JSON.stringify({ role: 'admin', name: 'lan-guest' }),
    });
    expect(res.statusCode).toBe(403);
    const problem = ProblemSchema.parse(res.json());
    expect(problem.detail).toContain('192.168.1.23');
    expect(problem.detail).toContain('npm run fleet -- token --role');
  });

  it('refuses a request addressed to another host name (DNS rebinding), even from loopback', async () => {
    const url = new URL(on.url);
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: '/auth/local-token', method: 'POST', headers: { host: 'evil.example:80', 'content-type': 'application/json' } },
        (r) => {
          let body = '';
          r.setEncoding('utf8');
          r.on('data', (c: string) => (body += c));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ role: 'admin', name: 'rebound' }));
    });
    expect(res.status).toBe(403);
    expect(ProblemSchema.parse(JSON.parse(res.body)).detail).toContain('"evil.example:80"');
    expect(res.body).not.toMatch(/"token"/);
  });
});

describe('the log', () => {
  it('records every sign-in with role, name and address, and every refusal', async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const app = Fastify({ logger: { level: 'info', stream } });
    const tokens = await loadOrCreateLocalIssuer({ dataDir: join(root, 'log'), clock: systemClock });
    await app.register(localSignInRoutes({ tokens, enabled: true }));
    try {
      const post = (remoteAddress: string) =>
        app.inject({ method: 'POST', url: '/auth/local-token', remoteAddress, headers: { host: 'localhost:8080', 'content-type': 'application/json' }, payload: { role: 'admin', name: 'ada@example.com' } });
      expect((await post('127.0.0.1')).statusCode).toBe(200);
      expect((await post('10.1.2.3')).statusCode).toBe(403);
      expect(lines.find((l) => l.msg === 'console local sign-in')).toMatchObject({ level: 30, role: 'admin', name: 'ada@example.com', remoteAddress: '127.0.0.1' });
      expect(lines.find((l) => l.msg === 'local sign-in refused: caller not on loopback')).toMatchObject({ level: 40, remoteAddress: '10.1.2.3' });
    } finally {
      await app.close();
    }
  });
});
