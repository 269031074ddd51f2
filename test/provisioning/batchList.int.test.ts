import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installApiAccess } from '../../functions/api/auth/apiAccess.ts';
import { loadOrCreateLocalIssuer, type TokenIssuer } from '../../functions/api/auth/localIssuer.ts';
import { openFolderObjectStore } from '../../functions/objectStore/folderObjectStore.ts';
import type { ObjectStore } from '../../functions/objectStore/objectStore.ts';
import type { BatchProgress } from '../../functions/provisioning/batchProgress.ts';
import { BatchListPageSchema } from '../../functions/provisioning/batchListSchemas.ts';
import { provisioningRoutes } from '../../functions/provisioning/provisioningRoutes.ts';
import { manualClock, systemClock } from '../../functions/shared/clock.ts';

/**
 * GET /provisioning/batches over a real HTTP server, the real permission table and token checks,
 * and a real folder object store (with a manual clock, so upload order is exact). Progress is the
 * route's own port: a batch is RUNNING or SUCCEEDED as the test says, or has no execution yet.
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

const ids: string[] = [];

beforeAll(async () => {
  issuer = await loadOrCreateLocalIssuer({ dataDir: join(dir, 'auth'), clock: systemClock });
  uploads = await openFolderObjectStore({ root: join(dir, 'objects'), area: 'uploads', clock, durable: false });
  const reports = await openFolderObjectStore({ root: join(dir, 'objects'), area: 'reports', clock, durable: false });
  app = Fastify();
  installApiAccess(app, { verifier: issuer.verifier });
  await app.register(provisioningRoutes({ uploads, reports, progress: (batchId) => Promise.resolve(progressOf.get(batchId)) }));
  url = await app.listen({ port: 0, host: '127.0.0.1' });

  ids.push(await upload('first.csv', 'alice'), await upload('södra gatan.csv', 'bob'), await upload('third.csv', 'alice'));
  const base = { startedAt: '2026-03-01T10:00:05.000Z', rowsDone: 1, provisioned: 1, updated: 0, unchanged: 0, failed: 0, totalRows: 1, invalidRows: 0 };
  progressOf.set(ids[0]!, { ...base, batchId: ids[0]!, status: 'SUCCEEDED', stoppedAt: '2026-03-01T10:00:06.000Z', reportKey: `reports/${ids[0]}.csv` });
  progressOf.set(ids[1]!, { ...base, batchId: ids[1]!, status: 'RUNNING', rowsDone: 0, provisioned: 0 });
  // A manifest written to the uploads area directly (not through the API): no uploader, no name.
  clock.advance(1000);
  await uploads.put('manifests/b-direct-drop.json', Buffer.from('[]'), { contentType: 'application/json' });
  // Not a manifest key: never a batch.
  await uploads.put('manifests/notes.txt', Buffer.from('x'), { contentType: 'text/plain' });
});

afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /provisioning/batches', () => {
  it('lists every batch newest first, with its file name, uploader, upload time and progress', async () => {
    const res = await list('');
    expect(res.status).toBe(200);
    const page = BatchListPageSchema.parse(await res.json());
    expect(page.items.map((b) => b.batchId)).toEqual(['b-direct-drop', ids[2], ids[1], ids[0]]);
    expect(page.nextCursor).toBeUndefined();
    const [direct, third, second, first] = page.items;
    expect(direct).toMatchObject({ format: 'json', status: 'PENDING', uploadedAt: '2026-03-01T10:00:04.000Z' });
    expect(direct!.uploadedBy).toBeUndefined();
    expect(direct!.fileName).toBeUndefined();
    expect(third).toMatchObject({ fileName: 'third.csv', uploadedBy: 'alice', status: 'PENDING', uploadedAt: '2026-03-01T10:00:03.000Z' });
    expect(second).toMatchObject({ fileName: 'södra gatan.csv', uploadedBy: 'bob', status: 'RUNNING', progress: { rowsDone: 0, totalRows: 1 } });
    expect(first).toMatchObject({ fileName: 'first.csv', status: 'SUCCEEDED', progress: { provisioned: 1, reportKey: `reports/${ids[0]}.csv` } });
  });

  it('pages with a cursor, without repeating or skipping a batch', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = BatchListPageSchema.parse(await (await list(`?limit=3${cursor ? `&cursor=${cursor}` : ''}`)).json());
      seen.push(...page.items.map((b) => b.batchId));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== undefined);
    expect(pages).toBe(2);
    expect(seen).toEqual(['b-direct-drop', ids[2], ids[1], ids[0]]);
  });

  it('refuses a bad limit or cursor with a problem that says what to pass', async () => {
    for (const query of ['?limit=0', '?limit=101', '?limit=ten']) {
      const res = await list(query);
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await res.json()) as { detail: string }).detail).toContain('from 1 to 100');
    }
    const forged = Buffer.from(JSON.stringify({ t: 0, k: '../../etc/passwd' })).toString('base64url');
    for (const cursor of ['not a cursor', forged]) {
      const res = await list(`?cursor=${encodeURIComponent(cursor)}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { type: string }).type).toBe('/problems/invalid-cursor');
    }
  });

  it('needs a token (the permission table governs it)', async () => {
    expect((await fetch(`${url}/provisioning/batches`)).status).toBe(401);
    expect((await list('', 'admin')).status).toBe(200);
  });
});
