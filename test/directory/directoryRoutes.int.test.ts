import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceRow } from '../../events/projections/devices.ts';
import type { DeviceDirectory, DirectoryPage } from '../../functions/directory/deviceDirectory.ts';
import { directoryRoutes } from '../../functions/directory/directoryRoutes.ts';
import { createSqliteDeviceDirectory } from '../../functions/directory/sqliteDeviceDirectory.ts';
import type { FieldError } from '../../schemas/directory/fieldError.ts';
import { SearchQuery } from '../../schemas/directory/searchQuery.ts';
import { provisioned } from '../support/events.ts';
import { bruteForce, generateFleet } from './support/fleet.ts';
import { openFleetDatabase, seedFleet, type FleetDatabase } from './support/seed.ts';

const dir = mkdtempSync(join(tmpdir(), 'directory-routes-'));
const longName = `m-${'x'.repeat(126)}`; // 128 characters, the longest thing name AWS IoT allows
let fleet: FleetDatabase;
let directory: DeviceDirectory;
let rows: DeviceRow[];
const apps: FastifyInstance[] = [];

const appWith = async (register: (app: FastifyInstance) => PromiseLike<unknown>) => {
  const app = Fastify({ logger: false });
  apps.push(app);
  await register(app);
  await app.ready();
  return app;
};

beforeAll(async () => {
  fleet = openFleetDatabase(dir, 'routes');
  await seedFleet(fleet, [
    ...generateFleet(400, 5),
    { thingName: longName, city: { name: 'x', lat: 0, lon: 0, spreadMeters: 0, tenants: [] }, events: [provisioned(longName, { tenant: 'long-names' })] },
  ]);
  directory = createSqliteDeviceDirectory(fleet.db);
  rows = fleet.devices();
});

afterAll(async () => {
  for (const app of apps) await app.close();
  fleet.db.close();
  rmSync(dir, { recursive: true, force: true });
});

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldError[];
}

describe('GET /devices', () => {
  it('answers a search page by page, following nextCursor, exactly as a brute-force filter', async () => {
    const app = await appWith((a) => a.register(directoryRoutes({ directory }), { prefix: '/api' }));
    const url = '/api/devices?tenant=city-of-lund&attr.kind=water-meter&status=any&limit=3';
    const expected = bruteForce(rows, SearchQuery.parse({ tenant: 'city-of-lund', attributes: { kind: 'water-meter' }, status: ['provisioned', 'bootstrapped', 'deprovisioned'], limit: 3 }));
    expect(expected.length).toBeGreaterThan(6); // two pages and more

    const names: string[] = [];
    let next: string | undefined = url;
    let first = true;
    while (next !== undefined) {
      const res: LightMyRequestResponse = await app.inject({ method: 'GET', url: next });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const page: DirectoryPage = res.json<DirectoryPage>();
      if (first) expect(page.total).toBe(expected.length);
      first = false;
      names.push(...page.items.map((i) => i.thingName));
      next = page.nextCursor === undefined ? undefined : `${url}&cursor=${encodeURIComponent(page.nextCursor)}`;
    }
    expect(names).toEqual(expected.map((e) => e.row.thingName));
  });

  it('gives distances for a radius search', async () => {
    const app = await appWith((a) => a.register(directoryRoutes({ directory })));
    const res = await app.inject({ method: 'GET', url: '/devices?near=55.7047,13.191,3000&limit=500' });
    expect(res.statusCode).toBe(200);
    const page = res.json<DirectoryPage>();
    const expected = bruteForce(rows, SearchQuery.parse({ near: { lat: 55.7047, lon: 13.191, radiusMeters: 3000 }, limit: 500 }));
    expect(expected.length).toBeGreaterThan(3);
    expect(page.items.map((i) => [i.thingName, i.distanceMeters])).toEqual(expected.map((e) => [e.row.thingName, e.distance]));
  });

  it('answers bad searches with problem+json naming each field, rule and hint', async () => {
    const app = await appWith((a) => a.register(directoryRoutes({ directory })));
    const res = await app.inject({ method: 'GET', url: '/devices?bbox=55,12,56&limit=0&tenat=x' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json<ProblemBody>();
    expect(body).toMatchObject({ type: '/problems/invalid-search', title: expect.any(String) as string, status: 400, instance: '/devices?bbox=55,12,56&limit=0&tenat=x' });
    expect(body.detail).toContain('bbox');
    expect(body.errors?.map((e) => [e.field, e.rule]).sort()).toEqual([
      ['bbox', 'format'],
      ['limit', 'min'],
      ['tenat', 'unknown-parameter'],
    ]);
    expect(body.errors?.every((e) => e.hint.length > 0 && e.message.length > 0)).toBe(true);

    const one = (await app.inject({ method: 'GET', url: '/devices?near=55.6,13.0,2000000' })).json<ProblemBody>();
    expect(one.errors).toMatchObject([{ field: 'near', rule: 'max' }]);
    expect(one.detail).toContain('1000 km');
  });

  it('refuses a cursor carried over to another search as a problem on the cursor field', async () => {
    const app = await appWith((a) => a.register(directoryRoutes({ directory })));
    const first = (await app.inject({ method: 'GET', url: '/devices?tenant=city-of-lund&limit=2' })).json<DirectoryPage>();
    expect(first.nextCursor).toBeDefined();
    const res = await app.inject({ method: 'GET', url: `/devices?tenant=malmo-stad&limit=2&cursor=${first.nextCursor ?? ''}` });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json<ProblemBody>().errors).toMatchObject([{ field: 'cursor', rule: 'other-search' }]);
  });

  it('hides internal failures behind a 500 problem', async () => {
    const broken: DeviceDirectory = {
      search: () => Promise.reject(new Error('disk I/O error at /var/lib/secret.db')),
      get: () => Promise.reject(new Error('boom')),
    };
    const app = await appWith((a) => a.register(directoryRoutes({ directory: broken })));
    const res = await app.inject({ method: 'GET', url: '/devices' });
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json<ProblemBody>();
    expect(body).toMatchObject({ type: 'about:blank', title: 'Internal Server Error', status: 500 });
    expect(res.body).not.toContain('secret');
  });
});

describe('GET /devices/:thingName', () => {
  it('returns a device, deprovisioned or not, also with a 128-character name', async () => {
    const app = await appWith((a) => a.register(directoryRoutes({ directory })));
    const gone = rows.find((r) => r.status === 'deprovisioned');
    expect(gone).toBeDefined();
    const res = await app.inject({ method: 'GET', url: `/devices/${gone?.thingName ?? ''}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(gone);
    const long = await app.inject({ method: 'GET', url: `/devices/${longName}` });
    expect(long.statusCode).toBe(200);
    expect(long.json<DeviceRow>().thingName).toBe(longName);
  });

  it('answers an unknown device with a 404 problem, and a malformed name with a 400 naming thingName', async () => {
    const app = await appWith((a) => a.register(directoryRoutes({ directory })));
    const missing = await app.inject({ method: 'GET', url: '/devices/no-such-meter' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(missing.json<ProblemBody>()).toMatchObject({ type: '/problems/device-not-found', status: 404, title: 'No such device' });
    expect(missing.json<ProblemBody>().detail).toContain('no-such-meter');

    for (const bad of ['a%20b', 'a/b', 'x'.repeat(129), '%E2%9C%93']) {
      const res = await app.inject({ method: 'GET', url: `/devices/${bad}` });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json<ProblemBody>().errors).toMatchObject([{ field: 'thingName', rule: 'thing-name' }]);
    }
  });
});

describe('the preHandler seam', () => {
  it('runs before both routes; its 401 is answered as problem+json, and a pass lets the request through', async () => {
    const seen: string[] = [];
    const app = await appWith((a) =>
      a.register(
        directoryRoutes({
          directory,
          preHandler: (request, _reply, done) => {
            seen.push(request.url);
            if (request.headers.authorization === 'Bearer good') done();
            else done(Object.assign(new Error('Sign in first: send a bearer token.'), { statusCode: 401 }));
          },
        }),
      ),
    );
    for (const url of ['/devices?tenant=city-of-lund', `/devices/${rows[0]?.thingName ?? ''}`]) {
      const refused = await app.inject({ method: 'GET', url });
      expect(refused.statusCode).toBe(401);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.json<ProblemBody>()).toMatchObject({ status: 401, title: 'Unauthorized', detail: 'Sign in first: send a bearer token.' });
      const allowed = await app.inject({ method: 'GET', url, headers: { authorization: 'Bearer good' } });
      expect(allowed.statusCode).toBe(200);
    }
    expect(seen).toHaveLength(4);
  });
});
