import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installApiAccess } from '../../functions/api/auth/apiAccess.ts';
import { loadOrCreateLocalIssuer, type TokenIssuer } from '../../functions/api/auth/localIssuer.ts';
import { openFolderObjectStore } from '../../functions/objectStore/folderObjectStore.ts';
import type { ObjectStore } from '../../functions/objectStore/objectStore.ts';
import { ProblemSchema } from '../../functions/api/openapi/apiSchemas.ts';
import { INVERTED_TIME_LIMIT } from '../../functions/provisioning/batchListOrder.ts';
import type { BatchProgress } from '../../functions/provisioning/batchProgress.ts';
import { BatchListPageSchema, BatchNotStartedSchema, BatchSchema } from '../../functions/provisioning/batchListSchemas.ts';
import { provisioningRoutes } from '../../functions/provisioning/provisioningRoutes.ts';
import { manualClock, systemClock } from '../../functions/shared/clock.ts';

/**
 * GET /provisioning/batches and GET /provisioning/batches/:batchId over a real HTTP server, the real
 * permission table and token checks, and a real folder object store (the route and the store share a
 * manual clock, so upload times and batch ids are exact). Progress is the route's own port: a batch
 * is RUNNING or SUCCEEDED as the test says, or has no execution yet.
 */

const dir = mkdtempSync(join(tmpdir(), 'batch-list-'));
const clock = manualClock('2026-03-01T10:00:00.000Z');
const progressOf = new Map<string, BatchProgress>();
let app: FastifyInstance;
let uploads: ObjectStore;
let issuer: TokenIssuer;
let url = '';

const manifest = 'serial,tenant,latitude,longitude\npole-1,lund,55.7,13.19\n';

const upload = async (name: string, subject: string): Promise<string> => {
  clock.advance(1000);
  const token = await issuer.issue('admin', subject);
  const res = await fetch(`${url}/provisioning/manifests?name=${encodeURIComponent(name)}`, { method: 'POST', body: manifest, headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` } });
  expect(res.status).toBe(202);
  return ((await res.json()) as { batchId: string }).batchId;
};

const list = async (query: string, role: 'admin' | 'viewer' = 'viewer') => {
  const token = await issuer.issue(role, 'reader');
  return fetch(`${url}/provisioning/batches${query}`, { headers: { authorization: `Bearer ${token}` } });
};

const pageOf = async (query: string) => {
  const res = await list(query);
  expect(res.status).toBe(200);
  return BatchListPageSchema.parse(await res.json());
};

const ids: string[] = [];

beforeAll(async () => {
  issuer = await loadOrCreateLocalIssuer({ dataDir: join(dir, 'auth'), clock: systemClock });
  uploads = await openFolderObjectStore({ root: join(dir, 'objects'), area: 'uploads', clock, durable: false });
  const reports = await openFolderObjectStore({ root: join(dir, 'objects'), area: 'reports', clock, durable: false });
  app = Fastify();
  installApiAccess(app, { verifier: issuer.verifier });
  await app.register(provisioningRoutes({ uploads, reports, clock, progress: (batchId) => Promise.resolve(progressOf.get(batchId)) }));
  url = await app.listen({ port: 0, host: '127.0.0.1' });

  ids.push(await upload('first.csv', 'alice'), await upload('södra gatan.csv', 'bob'), await upload('third.csv', 'alice'));
  const base = { startedAt: '2026-03-01T10:00:05.000Z', rowsDone: 1, provisioned: 1, updated: 0, unchanged: 0, failed: 0, totalRows: 1, invalidRows: 0 };
  progressOf.set(ids[0]!, { ...base, batchId: ids[0]!, status: 'SUCCEEDED', stoppedAt: '2026-03-01T10:00:06.000Z', reportKey: `reports/${ids[0]}.csv` });
  progressOf.set(ids[1]!, { ...base, batchId: ids[1]!, status: 'RUNNING', rowsDone: 0, provisioned: 0 });
  // A manifest written to the uploads area directly (not through the API): no uploader, no name.
  clock.advance(1000);
  await uploads.put('manifests/b-direct-drop.json', Buffer.from('[]'), { contentType: 'application/json' });
  // Not manifest keys: never batches, one of them among the uploads in key order.
  await uploads.put('manifests/notes.txt', Buffer.from('x'), { contentType: 'text/plain' });
  await uploads.put(`manifests/${ids[1]!}.csv.bak`, Buffer.from('x'), { contentType: 'text/plain' });
});

afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /provisioning/batches', () => {
  it('gives each upload an id that starts with its inverted upload time, so the uploads area lists the newest first', () => {
    const uploadedAt = ['2026-03-01T10:00:01.000Z', '2026-03-01T10:00:02.000Z', '2026-03-01T10:00:03.000Z'];
    ids.forEach((id, i) => {
      expect(id).toMatch(/^b-\d{13}-[0-9a-f]{16}$/);
      expect(INVERTED_TIME_LIMIT - Number(id.slice(2, 15))).toBe(Date.parse(uploadedAt[i]!));
    });
    expect([...ids].sort()).toEqual([ids[2], ids[1], ids[0]]);
  });

  it('lists the API’s uploads newest first, then manifests written there directly, with file name, uploader, upload time and progress', async () => {
    const page = await pageOf('');
    // The direct drop is the latest write, yet lists last: its name does not start with an inverted time.
    expect(page.items.map((b) => b.batchId)).toEqual([ids[2], ids[1], ids[0], 'b-direct-drop']);
    expect(page.nextCursor).toBeUndefined();
    const [third, second, first, direct] = page.items;
    expect(third).toMatchObject({ fileName: 'third.csv', uploadedBy: 'alice', status: 'PENDING', uploadedAt: '2026-03-01T10:00:03.000Z' });
    expect(third!.progress).toBeUndefined();
    expect(second).toMatchObject({ fileName: 'södra gatan.csv', uploadedBy: 'bob', status: 'RUNNING', progress: { rowsDone: 0, totalRows: 1 } });
    expect(first).toMatchObject({ fileName: 'first.csv', status: 'SUCCEEDED', progress: { provisioned: 1, reportKey: `reports/${ids[0]}.csv` } });
    expect(direct).toMatchObject({ format: 'json', status: 'PENDING', uploadedAt: '2026-03-01T10:00:04.000Z' });
    expect(direct!.uploadedBy).toBeUndefined();
    expect(direct!.fileName).toBeUndefined();
  });

  it('pages with a cursor, without repeating or skipping a batch, past objects that are not manifests', async () => {
    for (const limit of [1, 2, 3]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await pageOf(`?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.items.length).toBeLessThanOrEqual(limit);
        seen.push(...page.items.map((b) => b.batchId));
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor !== undefined);
      expect(seen, `limit ${limit}`).toEqual([ids[2], ids[1], ids[0], 'b-direct-drop']);
      expect(pages, `limit ${limit}`).toBe(Math.ceil(4 / limit));
    }
  });

  it('refuses a bad limit or cursor with a problem that says what to pass', async () => {
    for (const query of ['?limit=0', '?limit=101', '?limit=ten']) {
      const res = await list(query);
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await res.json()) as { detail: string }).detail).toContain('from 1 to 100');
    }
    const outside = Buffer.from(JSON.stringify({ k: '../../etc/passwd' })).toString('base64url');
    const notAKey = Buffer.from(JSON.stringify({ k: 42 })).toString('base64url');
    for (const cursor of ['not a cursor', outside, notAKey, 'A'.repeat(2000)]) {
      const res = await list(`?cursor=${encodeURIComponent(cursor)}`);
      expect(res.status, cursor.slice(0, 40)).toBe(400);
      expect(((await res.json()) as { type: string }).type).toBe('/problems/invalid-cursor');
    }
  });

  it('needs a token (the permission table governs it)', async () => {
    expect((await fetch(`${url}/provisioning/batches`)).status).toBe(401);
    expect((await list('', 'admin')).status).toBe(200);
  });
});

describe('GET /provisioning/batches/:batchId', () => {
  const get = async (path: string) => {
    const token = await issuer.issue('viewer', 'reader');
    return fetch(`${url}/provisioning/batches/${path}`, { headers: { authorization: `Bearer ${token}` } });
  };

  it('answers the progress with the file name, uploader and upload time the upload stored', async () => {
    const res = await get(ids[1]!);
    expect(res.status).toBe(200);
    const batch = BatchSchema.parse(await res.json());
    expect(batch).toMatchObject({ batchId: ids[1], status: 'RUNNING', totalRows: 1, fileName: 'södra gatan.csv', uploadedBy: 'bob', uploadedAt: '2026-03-01T10:00:02.000Z' });
  });

  it('tells a stored batch whose workflow has not started from one that does not exist', async () => {
    const waiting = await get(ids[2]!);
    expect(waiting.status).toBe(404);
    expect(waiting.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = BatchNotStartedSchema.parse(await waiting.json());
    expect(body).toMatchObject({ batchId: ids[2], fileName: 'third.csv', uploadedBy: 'alice', uploadedAt: '2026-03-01T10:00:03.000Z' });
    expect(body.detail).toContain('third.csv');
    expect(body.detail).toContain('upload the manifest again');

    const direct = BatchNotStartedSchema.parse(await (await get('b-direct-drop')).json());
    expect(direct.fileName).toBeUndefined();
    expect(direct.uploadedBy).toBeUndefined();

    for (const unknown of ['b-nope', ids[1]!.replace(/.$/, 'x'), 'not!an!id']) {
      const res = await get(encodeURIComponent(unknown));
      expect(res.status, unknown).toBe(404);
      expect(ProblemSchema.parse(await res.json())).toMatchObject({ type: '/problems/batch-not-found', detail: `No provisioning batch has the id "${unknown}".` });
    }
  });

  it('says a stored batch’s report is not ready rather than that the batch does not exist', async () => {
    const res = await get(`${ids[2]!}/report`);
    expect(res.status).toBe(409);
    expect(ProblemSchema.parse(await res.json())).toMatchObject({ type: '/problems/report-not-ready' });
    expect((await get('b-nope/report')).status).toBe(404);
  });
});
