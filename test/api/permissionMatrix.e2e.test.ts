import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importJWK, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { issuerKeyFile, loadOrCreateLocalIssuer } from '../../functions/api/auth/localIssuer.ts';
import { permissionTable } from '../../functions/api/auth/permissions.ts';
import type { Role } from '../../functions/api/auth/roles.ts';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../functions/api/auth/tokenProfiles.ts';
import {
  BatchProgressSchema,
  BatchReportSchema,
  DeprovisioningStatusSchema,
  DeviceSchema,
  DirectoryPageSchema,
  HealthSchema,
  ManifestAcceptedSchema,
  ProblemSchema,
} from '../../functions/api/openapi/apiSchemas.ts';
import { DeviceAlarmsPageSchema, DeviceHistoryPageSchema, DeviceStateViewSchema, RejectionPageSchema } from '../../functions/deviceViews/deviceViewSchemas.ts';
import { ProjectionRebuildSchema } from '../../functions/api/projections/projectionRebuildSchemas.ts';
import { CommandAcceptedSchema, CommandPageSchema } from '../../functions/commands/commandApiSchemas.ts';
import { BatchListPageSchema } from '../../functions/provisioning/batchListSchemas.ts';
import { manualClock, systemClock } from '../../functions/shared/clock.ts';
import { DEFAULT_DASHBOARD_DIR } from '../../functions/dashboard/dashboardDir.ts';
import { DashboardConfigSchema, LocalTokenSchema } from '../../functions/dashboard/dashboardSchemas.ts';
import { dashboardBuilt } from '../../functions/dashboard/serveDashboard.ts';
import { EXPECTED_ACCESS } from './expectedRoles.ts';
import { batchExecution, routeKeys, startFullSystem, type FullSystem } from './support.ts';

let full: FullSystem;
let batchId = '';
let executionName = '';
const otherDir = mkdtempSync(join(tmpdir(), 'matrix-other-issuer-'));

const poles = ['serial,tenant,latitude,longitude', 'pole-1,city-of-lund,55.70,13.19', 'pole-2,city-of-lund,55.71,13.19', 'pole-3,city-of-lund,55.72,13.19'].join('\n') + '\n';

const call = async (path: string, init: RequestInit = {}, token?: string): Promise<Response> => {
  const headers = new Headers(init.headers);
  if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
  return fetch(`${full.system.url}${path}`, { ...init, headers });
};
const tokenFor = (role: Role) => full.system.tokens.issue(role, `matrix-${role}`);

beforeAll(async () => {
  full = await startFullSystem('e2e-matrix-');
  const admin = await tokenFor('admin');
  const uploaded = await call('/provisioning/manifests?name=poles.csv', { method: 'POST', body: poles, headers: { 'content-type': 'text/csv' } }, admin);
  batchId = ((await uploaded.json()) as { batchId: string }).batchId;
  await full.provisioning.workflows.waitForCompletion(batchExecution(batchId));
  const deleted = await call('/devices/pole-3', { method: 'DELETE' }, admin);
  executionName = ((await deleted.json()) as { executionName: string }).executionName;
  await full.deprovisioning.workflows.waitForCompletion(full.deprovisioning.executionId(executionName));
  await full.system.projections.settled();
});
afterAll(async () => {
  await full.stop();
  rmSync(otherDir, { recursive: true, force: true });
});

interface Probe {
  readonly path: () => string;
  readonly init?: () => RequestInit;
  /** What an allowed caller gets from the handler. */
  readonly status: number;
  readonly schema?: z.ZodType;
  /** The body is text (CSV), not JSON. */
  readonly text?: boolean;
  /** Waits for what an allowed call started, so the next one starts from a quiet system. */
  readonly settle?: (body: unknown) => Promise<void>;
}

/** One real request per registered route; a route without a probe here fails the first test. */
const PROBES: Readonly<Record<string, Probe>> = {
  'GET /health': { path: () => '/health', status: 200, schema: HealthSchema },
  'GET /openapi.json': { path: () => '/openapi.json', status: 200 },
  // The console is served from this checkout's build when there is one (git-ignored): 503 problem+json until `npm run build:web`.
  'GET /': {
    path: () => '/',
    get status() {
      return dashboardBuilt(DEFAULT_DASHBOARD_DIR) ? 200 : 503;
    },
    text: true,
  },
  'GET /assets/*': {
    path: () => '/assets/no-such-file.js',
    get status() {
      return dashboardBuilt(DEFAULT_DASHBOARD_DIR) ? 404 : 503;
    },
    schema: ProblemSchema,
  },
  'GET /dashboard-config.json': { path: () => '/dashboard-config.json', status: 200, schema: DashboardConfigSchema },
  'POST /auth/local-token': {
    path: () => '/auth/local-token',
    init: () => ({ method: 'POST', body: JSON.stringify({ role: 'viewer', name: 'matrix-probe' }), headers: { 'content-type': 'application/json' } }),
    status: 200,
    schema: LocalTokenSchema,
  },
  'GET /devices': { path: () => '/devices?tenant=city-of-lund', status: 200, schema: DirectoryPageSchema },
  'GET /devices/*': { path: () => '/devices/pole-1', status: 200, schema: DeviceSchema },
  'DELETE /devices/:thingName': { path: () => '/devices/no-such-pole', init: () => ({ method: 'DELETE' }), status: 404, schema: ProblemSchema },
  'GET /deprovisioning/:executionName': { path: () => `/deprovisioning/${executionName}`, status: 200, schema: DeprovisioningStatusSchema },
  'POST /projections/:name/rebuild': { path: () => '/projections/devices/rebuild', init: () => ({ method: 'POST' }), status: 200, schema: ProjectionRebuildSchema },
  'GET /devices/:thingName/state': { path: () => '/devices/pole-1/state', status: 200, schema: DeviceStateViewSchema },
  'GET /devices/:thingName/history': { path: () => '/devices/pole-1/history?limit=5', status: 200, schema: DeviceHistoryPageSchema },
  'GET /devices/:thingName/alarms': { path: () => '/devices/pole-1/alarms', status: 200, schema: DeviceAlarmsPageSchema },
  'GET /rejections': { path: () => '/rejections', status: 200, schema: RejectionPageSchema },
  'POST /commands': {
    path: () => '/commands',
    init: () => ({ method: 'POST', body: JSON.stringify({ thingName: 'pole-1', operation: 'read', path: '/3303/0/5700' }), headers: { 'content-type': 'application/json' } }),
    status: 202,
    schema: CommandAcceptedSchema,
  },
  'GET /commands': { path: () => '/commands?limit=5', status: 200, schema: CommandPageSchema },
  'GET /commands/:commandId': { path: () => '/commands/c-no-such-command', status: 404, schema: ProblemSchema },
  'GET /audit/commands': { path: () => '/audit/commands?thingName=pole-1', status: 200, text: true, schema: z.string().startsWith('commandId,requestedAt,operator,') },
  'POST /devices/:thingName/alarms/:alarmId/ack': { path: () => '/devices/pole-1/alarms/no-such-alarm/ack', init: () => ({ method: 'POST' }), status: 404, schema: ProblemSchema },
  'POST /provisioning/manifests': {
    path: () => '/provisioning/manifests?name=poles.csv',
    init: () => ({ method: 'POST', body: poles, headers: { 'content-type': 'text/csv' } }),
    status: 202,
    schema: ManifestAcceptedSchema,
    settle: async (body) => void (await full.provisioning.workflows.waitForCompletion(batchExecution((body as { batchId: string }).batchId))),
  },
  'GET /provisioning/batches': { path: () => '/provisioning/batches?limit=5', status: 200, schema: BatchListPageSchema },
  'GET /provisioning/batches/:batchId': { path: () => `/provisioning/batches/${batchId}`, status: 200, schema: BatchProgressSchema },
  'GET /provisioning/batches/:batchId/report': { path: () => `/provisioning/batches/${batchId}/report?format=json`, status: 200, schema: BatchReportSchema },
};

const PROBLEM_TYPE = /^application\/problem\+json/;

const expectProblem = async (res: Response, path: string, status: number, kind: string) => {
  expect(res.status, `${path}: ${kind}`).toBe(status);
  expect(res.headers.get('content-type')).toMatch(PROBLEM_TYPE);
  const body = ProblemSchema.parse(await res.json());
  expect(body).toMatchObject({ type: `/problems/${kind}`, status, instance: path });
  expect(body.title.length).toBeGreaterThan(5);
  expect(body.detail.length).toBeGreaterThan(30);
  if (status === 401) expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="lwm2m-fleet"/);
  return body;
};

describe('every registered route is governed', () => {
  it('has a permission entry, a probe in this test, and the access the issue asks for', () => {
    const table = permissionTable();
    const registered = full.system.api.routes();
    expect(registered.filter((r) => !table.lookup(r.method, r.route))).toEqual([]);
    expect(routeKeys(registered)).toEqual(Object.keys(PROBES).sort());
    for (const key of routeKeys(registered)) {
      const [method = '', route = ''] = key.split(' ');
      const entry = table.lookup(method, route);
      expect(entry?.access === 'public' ? 'public' : [...(entry?.roles ?? [])].sort(), key).toEqual(EXPECTED_ACCESS[key] === 'public' ? 'public' : [...(EXPECTED_ACCESS[key] ?? [])].sort());
    }
  });
});

describe('the matrix: each role, and no token, against each route', () => {
  const cases = Object.keys(PROBES).flatMap((key) => (['admin', 'operator', 'viewer', 'none'] as const).map((who) => ({ key, who })));

  it.each(cases)('$who → $key', async ({ key, who }) => {
    const probe = PROBES[key]!;
    const access = EXPECTED_ACCESS[key]!;
    const path = probe.path();
    const res = await call(path, probe.init?.() ?? {}, who === 'none' ? undefined : await tokenFor(who));
    if (access === 'public' || (who !== 'none' && access.includes(who))) {
      expect(res.status, `${who} ${key}`).toBe(probe.status);
      const body: unknown = probe.text ? await res.text() : await res.json();
      if (probe.schema) probe.schema.parse(body);
      await probe.settle?.(body);
    } else if (who === 'none') {
      const problem = await expectProblem(res, path, 401, 'missing-token');
      expect(problem.detail).toContain('Authorization: Bearer <token>');
    } else {
      const problem = await expectProblem(res, path, 403, 'forbidden');
      expect(problem.detail).toContain(`needs the role ${(access as Role[]).join(' or ')}`);
      expect(problem.detail).toContain(`"matrix-${who}" has ${who}`);
    }
  });
});

describe('bad tokens on every protected route', () => {
  /** Signs with this system's own key, so only the claim under test is wrong. */
  const signWithSystemKey = async (claims: JWTPayload) => {
    const key = await importJWK(JSON.parse(readFileSync(issuerKeyFile(full.dataDir), 'utf8')) as Record<string, string>, 'ES256');
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ roles: ['admin'], iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, sub: 'mallory', iat: now, exp: now + 600, ...claims }).setProtectedHeader({ alg: 'ES256' }).sign(key);
  };

  const badTokens = async (): Promise<{ name: string; header: string; status: number; kind: string; says: RegExp }[]> => {
    const twoHoursAgo = manualClock(new Date(Date.now() - 2 * 3600_000));
    const expired = await (await loadOrCreateLocalIssuer({ dataDir: full.dataDir, clock: twoHoursAgo })).issue('admin', 'ada');
    const foreign = await (await loadOrCreateLocalIssuer({ dataDir: otherDir, clock: systemClock })).issue('admin', 'ada');
    const [head, , sig] = (await tokenFor('viewer')).split('.');
    const promoted = Buffer.from(JSON.stringify({ roles: ['admin'], iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, sub: 'matrix-viewer', exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url');
    return [
      { name: 'expired', header: `Bearer ${expired}`, status: 401, kind: 'token-expired', says: /expired at .*new token/ },
      { name: 'signed by another installation', header: `Bearer ${foreign}`, status: 401, kind: 'bad-signature', says: /not made by this API's issuer/ },
      { name: 'viewer token promoted to admin', header: `Bearer ${head}.${promoted}.${sig}`, status: 401, kind: 'bad-signature', says: /altered/ },
      { name: 'wrong issuer', header: `Bearer ${await signWithSystemKey({ iss: 'urn:someone-else' })}`, status: 401, kind: 'wrong-issuer', says: /"urn:someone-else"/ },
      { name: 'wrong audience', header: `Bearer ${await signWithSystemKey({ aud: 'urn:another-api' })}`, status: 401, kind: 'wrong-audience', says: /"urn:another-api"/ },
      { name: 'unknown role', header: `Bearer ${await signWithSystemKey({ roles: ['superuser'] })}`, status: 403, kind: 'unknown-role', says: /"superuser"/ },
      { name: 'not a JWT', header: 'Bearer abc.def.ghi', status: 401, kind: 'malformed-token', says: /not a signed JWT/ },
      { name: 'not bearer', header: 'Basic YWRtaW46YWRtaW4=', status: 401, kind: 'malformed-authorization', says: /"Basic"/ },
    ];
  };

  it('refuses each with the status and problem that name what was wrong', async () => {
    const protectedRoutes = Object.keys(PROBES).filter((k) => EXPECTED_ACCESS[k] !== 'public');
    expect(protectedRoutes.length).toBeGreaterThanOrEqual(7);
    for (const bad of await badTokens()) {
      for (const key of protectedRoutes) {
        const probe = PROBES[key]!;
        const path = probe.path();
        const init = probe.init?.() ?? {};
        const res = await fetch(`${full.system.url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: bad.header } });
        const problem = await expectProblem(res, path, bad.status, bad.kind);
        expect(problem.detail, `${bad.name} on ${key}`).toMatch(bad.says);
      }
    }
  });
});

describe('refused changes change nothing', () => {
  const countRows = (sql: string) => (full.system.db.prepare(sql).get() as { n: number }).n;
  const snapshot = async () => ({
    head: full.system.events.headPosition(),
    manifests: (await full.system.objects.uploads.list('manifests/')).objects.length,
    executions: countRows('SELECT count(*) AS n FROM workflow_executions'),
  });

  it("refuses a viewer's and an operator's manifest upload before storing a byte, and starts no batch", async () => {
    await full.system.projections.settled();
    const before = await snapshot();
    expect(before.manifests).toBeGreaterThan(0); // the admin's uploads are there: the counts can move
    for (const role of ['viewer', 'operator'] as const) {
      const path = '/provisioning/manifests?name=more.csv';
      const res = await call(path, { method: 'POST', body: 'serial,tenant,latitude,longitude\nnew-1,city-of-lund,55.7,13.19\n', headers: { 'content-type': 'text/csv' } }, await tokenFor(role));
      await expectProblem(res, path, 403, 'forbidden');
    }
    const deleted = await call('/devices/pole-1', { method: 'DELETE' }, await tokenFor('operator'));
    expect(deleted.status).toBe(403);
    await full.system.projections.settled();
    expect(await snapshot()).toEqual(before);
    const device = DeviceSchema.parse(await (await call('/devices/pole-1', {}, await tokenFor('viewer'))).json());
    expect(device.status).toBe('provisioned');
    expect((await call('/devices/new-1', {}, await tokenFor('viewer'))).status).toBe(404);
  });
});

describe('the rest of the surface', () => {
  it('answers HEAD like GET, with the same rules', async () => {
    expect((await call('/devices', { method: 'HEAD' }, await tokenFor('viewer'))).status).toBe(200);
    expect((await call('/devices', { method: 'HEAD' })).status).toBe(401);
  });

  it('answers an unknown route with a problem+json 404, token or not', async () => {
    for (const token of [undefined, await tokenFor('admin')]) {
      const res = await call('/nowhere?x=1', {}, token);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(PROBLEM_TYPE);
      expect(ProblemSchema.parse(await res.json())).toMatchObject({ type: '/problems/no-such-route', detail: expect.stringContaining('GET /nowhere') as unknown });
    }
  });

  it('keeps the health check public whatever the Authorization header says', async () => {
    expect((await call('/health', {}, 'garbage')).status).toBe(200);
  });
});
