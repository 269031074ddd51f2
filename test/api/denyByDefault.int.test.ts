import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { principalOf } from '../../functions/api/auth/apiAccess.ts';
import { permissionTable } from '../../functions/api/auth/permissions.ts';
import { loadConfig } from '../../infra/embedded/config.ts';
import { startRuntime, type EmbeddedModule, type Runtime } from '../../infra/embedded/runtime.ts';
import { apiFetch } from '../support/api.ts';

const dir = mkdtempSync(join(tmpdir(), 'deny-by-default-'));
let runtime: Runtime;
const handled: string[] = [];

/** A module that adds a route nobody put in the permission table, and one that is there (the provisioning module's, absent from a bare runtime). */
const careless: EmbeddedModule = {
  name: 'careless',
  start(ctx) {
    ctx.http.get('/experimental', () => {
      handled.push('experimental');
      return { secret: true };
    });
    ctx.http.get('/provisioning/batches/:batchId', (request) => {
      handled.push('batch');
      return { who: principalOf(request) };
    });
    return Promise.resolve({ stop: () => Promise.resolve() });
  },
};

beforeAll(async () => {
  runtime = await startRuntime(loadConfig({ FLEET_DATA_DIR: dir, FLEET_HTTP_PORT: '0', FLEET_LOG_LEVEL: 'silent' }), { modules: [careless] });
});
afterAll(async () => {
  await runtime.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('deny by default', () => {
  it('lists a route without a permission entry, which is what the route check catches', () => {
    const table = permissionTable();
    expect(runtime.api.routes().filter((r) => !table.lookup(r.method, r.route))).toEqual([{ method: 'GET', route: '/experimental' }]);
  });

  it('refuses that route to everyone, admins included, without running its handler', async () => {
    for (const role of ['admin', 'operator', 'viewer'] as const) {
      const res = await apiFetch(runtime, '/experimental', {}, role);
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ type: '/problems/route-not-governed', detail: expect.stringContaining('GET /experimental is not in the permission table') as unknown });
    }
    expect((await fetch(`${runtime.url}/experimental`)).status).toBe(403);
    expect(handled).not.toContain('experimental');
  });

  it('governs a route in the table the moment a module registers it, and hands the handler who called', async () => {
    expect((await fetch(`${runtime.url}/provisioning/batches/b-1`)).status).toBe(401);
    const res = await apiFetch(runtime, '/provisioning/batches/b-1', {}, 'viewer');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ who: { subject: 'test-viewer', roles: ['viewer'] } });
    expect(handled).toEqual(['batch']);
  });
});
