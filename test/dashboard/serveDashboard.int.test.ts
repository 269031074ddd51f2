import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProblemSchema } from '../../functions/api/openapi/apiSchemas.ts';
import { DashboardConfigSchema } from '../../functions/dashboard/dashboardSchemas.ts';
import { loadConfig } from '../../infra/embedded/config.ts';
import { startRuntime, type Runtime } from '../../infra/embedded/runtime.ts';

/**
 * The console's files served by the embedded runtime: content types and caching, the config the
 * app reads, 503 (and a working API) without a build, path traversal refused, and no API route
 * shadowed. The build here is a hand-made folder: what vite writes is the e2e tests' business.
 */

const root = mkdtempSync(join(tmpdir(), 'int-serve-dashboard-'));
const dist = join(root, 'dist');
const INDEX = '<!doctype html><html lang="en"><head><title>Fleet console</title><script type="module" src="./assets/index-AbCd3f_9.js"></script></head><body><div id="root"></div></body></html>';
const JS = 'console.log("console");\n';
const CSS = 'body { color: black; }\n';
const SVG = '<svg xmlns="http://www.w3.org/2000/svg"/>';
const SECRET = 'the issuer key would be here';

let built: Runtime;
let unbuilt: Runtime;

const start = (name: string, dashboardDir: string) =>
  startRuntime(loadConfig({ FLEET_DATA_DIR: join(root, name), FLEET_HTTP_PORT: '0', FLEET_LOG_LEVEL: 'silent', FLEET_DASHBOARD_DIR: dashboardDir }));

beforeAll(async () => {
  mkdirSync(join(dist, 'assets', 'nested'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), INDEX);
  writeFileSync(join(dist, 'assets', 'index-AbCd3f_9.js'), JS);
  writeFileSync(join(dist, 'assets', 'index-Zz9_x-Qq.css'), CSS);
  writeFileSync(join(dist, 'assets', 'logo.svg'), SVG);
  writeFileSync(join(dist, 'assets', 'nested', 'font-12345678.woff2'), 'wOF2');
  writeFileSync(join(dist, 'assets', 'blob.bin'), Buffer.from([0, 1, 2]));
  // Files a traversal would be after: beside the assets, and outside the console's folder.
  writeFileSync(join(dist, 'secret.txt'), SECRET);
  writeFileSync(join(root, 'secret.txt'), SECRET);
  built = await start('built-data', dist);
  unbuilt = await start('unbuilt-data', join(root, 'empty'));
});

afterAll(async () => {
  await built?.stop();
  await unbuilt?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** A request exactly as written: fetch would resolve `..` before sending it. */
const raw = (runtime: Runtime, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> =>
  new Promise((resolve, reject) => {
    const url = new URL(runtime.url);
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });

describe('the console files', () => {
  it('serves index.html at / as HTML, never cached, with a content security policy', async () => {
    const res = await fetch(`${built.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe(INDEX);
    expect((await fetch(`${built.url}/`, { method: 'HEAD' })).status).toBe(200);
  });

  it.each([
    ['index-AbCd3f_9.js', 'text/javascript; charset=utf-8', JS],
    ['index-Zz9_x-Qq.css', 'text/css; charset=utf-8', CSS],
    ['nested/font-12345678.woff2', 'font/woff2', 'wOF2'],
  ])('serves hashed assets/%s as %s, cached for a year', async (name, type, body) => {
    const res = await fetch(`${built.url}/assets/${name}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(type);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
    expect(await res.text()).toBe(body);
  });

  it('revalidates assets without a hash in their name, and serves unknown types as bytes', async () => {
    const svg = await fetch(`${built.url}/assets/logo.svg`);
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect(svg.headers.get('cache-control')).toBe('no-cache');
    expect(await svg.text()).toBe(SVG);
    const bin = await fetch(`${built.url}/assets/blob.bin`);
    expect(bin.headers.get('content-type')).toBe('application/octet-stream');
    expect(new Uint8Array(await bin.arrayBuffer())).toEqual(new Uint8Array([0, 1, 2]));
  });

  it('answers a file the build does not have with a problem+json 404', async () => {
    const res = await fetch(`${built.url}/assets/index-OldBuild1.js`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(ProblemSchema.parse(await res.json())).toMatchObject({ type: '/problems/no-such-asset', instance: '/assets/index-OldBuild1.js' });
  });

  it('answers dashboard-config.json: embedded sign-in, the API on this origin', async () => {
    const res = await fetch(`${built.url}/dashboard-config.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(DashboardConfigSchema.parse(await res.json())).toEqual({ mode: 'embedded', apiBase: '' });
  });
});

describe('path traversal', () => {
  it.each([
    '/assets/../secret.txt',
    '/assets/../../secret.txt',
    '/assets/%2e%2e/secret.txt',
    '/assets/%2E%2E%2Fsecret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/assets/nested/../../secret.txt',
    '/assets/..%5csecret.txt',
    '/assets/%2fetc%2fpasswd',
    '/assets//etc/passwd',
    '/assets/./logo.svg',
    '/assets/logo.svg%00.js',
  ])('refuses %s with a problem and none of the file', async (path) => {
    const res = await raw(built, path);
    expect(res.status, res.body).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(ProblemSchema.parse(JSON.parse(res.body))).toMatchObject({ type: '/problems/invalid-asset-path' });
    expect(res.body).not.toContain(SECRET);
  });

  it('serves nothing from the console folder but index.html and assets/', async () => {
    for (const path of ['/secret.txt', '/index.html', '/assets']) {
      const res = await raw(built, path);
      expect(res.status, path).toBe(404);
      expect(res.body).not.toContain(SECRET);
    }
  });
});

describe('the API beside the console', () => {
  it('keeps every API route and the problem+json 404 as they were', async () => {
    expect((await fetch(`${built.url}/health`)).status).toBe(200);
    const devices = await fetch(`${built.url}/devices`);
    expect(devices.status).toBe(401);
    expect(devices.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const token = await built.tokens.issue('viewer', 'int-serve');
    const authorised = await fetch(`${built.url}/devices/no-such-device`, { headers: { authorization: `Bearer ${token}` } });
    expect(authorised.status).toBe(404);
    expect(((await authorised.json()) as { type: string }).type).toBe('/problems/device-not-found');
    const nowhere = await fetch(`${built.url}/nowhere`);
    expect(nowhere.status).toBe(404);
    expect(((await nowhere.json()) as { type: string }).type).toBe('/problems/no-such-route');
  });

  it('lists the console routes among the registered ones, each in the permission table as public', () => {
    const routes = built.api.routes().map((r) => `${r.method} ${r.route}`);
    expect(routes).toEqual(expect.arrayContaining(['GET /', 'GET /assets/*', 'GET /dashboard-config.json', 'POST /auth/local-token']));
  });
});

describe('without a build', () => {
  it('answers / with 503 problem+json saying to run npm run build:web', async () => {
    const res = await fetch(`${unbuilt.url}/`);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = ProblemSchema.parse(await res.json());
    expect(problem).toMatchObject({ type: '/problems/console-not-built', status: 503 });
    expect(problem.detail).toContain('npm run build:web');
    expect((await fetch(`${unbuilt.url}/assets/index-AbCd3f_9.js`)).status).toBe(503);
  });

  it('still starts everything else: health, config, the API', async () => {
    expect((await fetch(`${unbuilt.url}/health`)).status).toBe(200);
    expect((await fetch(`${unbuilt.url}/dashboard-config.json`)).status).toBe(200);
    expect((await fetch(`${unbuilt.url}/devices`)).status).toBe(401);
  });
});
