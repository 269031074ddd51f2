import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openFolderObjectStore } from '../../functions/objectStore/folderObjectStore.ts';
import { ObjectStoreError, type ObjectCreatedDetail } from '../../functions/objectStore/objectStore.ts';
import { manualClock } from '../../functions/shared/clock.ts';
import { testObjectStore } from '../suites/objectStore.suite.ts';
import { failingStream, randomStream } from './streams.ts';

const base = mkdtempSync(join(tmpdir(), 'objects-folder-'));
let n = 0;
const freshRoot = () => join(base, `area-${++n}`);

afterAll(() => rmSync(base, { recursive: true, force: true }));

testObjectStore('folder', {
  create: () => openFolderObjectStore({ root: freshRoot(), area: 'uploads' }),
});

/** Every file under `root`, relative, sorted. */
const filesUnder = async (root: string): Promise<string[]> => {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
};

describe('folder object store', () => {
  it('stores bytes in a version file and content type and metadata in a JSON sidecar, private to the owner', async () => {
    const root = freshRoot();
    const clock = manualClock('2026-05-01T10:00:00.000Z');
    const store = await openFolderObjectStore({ root, area: 'reports', clock });
    const put = await store.put('batch/2026/report.json', '{"ok":1}', { contentType: 'application/json', metadata: { batch: 'b-1' } });
    const files = await filesUnder(root);
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^batch\/2026\/report\.json~[0-9a-f]{16}\.data$/);
    expect(files[1]).toBe('batch/2026/report.json~meta.json');
    expect(await readFile(join(root, files[0]!), 'utf8')).toBe('{"ok":1}');
    const sidecar: unknown = JSON.parse(await readFile(join(root, files[1]!), 'utf8'));
    expect(sidecar).toMatchObject({
      format: 1,
      key: 'batch/2026/report.json',
      size: 8,
      etag: put.etag,
      contentType: 'application/json',
      metadata: { batch: 'b-1' },
      lastModified: '2026-05-01T10:00:00.000Z',
    });
    // md5 of the bytes, as S3 computes a single-part ETag.
    expect(put.etag).toBe(createHash('md5').update('{"ok":1}').digest('hex'));
    expect((await stat(join(root, files[0]!))).mode & 0o777).toBe(0o600);
    expect((await stat(join(root, 'batch'))).mode & 0o777).toBe(0o700);
    expect((await store.head('batch/2026/report.json'))?.lastModified.toISOString()).toBe('2026-05-01T10:00:00.000Z');
  });

  it('a replaced object leaves one version file; a delete leaves no file and no empty folder', async () => {
    const root = freshRoot();
    const store = await openFolderObjectStore({ root, area: 'uploads' });
    await store.put('a/b/c', 'one');
    await store.put('a/b/c', 'two');
    await store.put('a/keep', 'k');
    expect((await filesUnder(root)).filter((f) => f.startsWith('a/b/'))).toHaveLength(2);
    await store.delete('a/b/c');
    expect(await filesUnder(root)).toEqual([expect.stringMatching(/^a\/keep~[0-9a-f]{16}\.data$/), 'a/keep~meta.json']);
    expect(await readdir(join(root, 'a'))).not.toContain('b');
  });

  it('a write whose stream throws mid-way leaves no object, no temp file and no version file behind', async () => {
    const root = freshRoot();
    const store = await openFolderObjectStore({ root, area: 'uploads' });
    await store.put('manifests/m1.csv', 'kept');
    const before = await filesUnder(root);
    const dropped = new Error('connection reset');
    await expect(store.put('manifests/m2.csv', failingStream(3 * 1024 * 1024, dropped))).rejects.toBe(dropped);
    await expect(store.put('manifests/m1.csv', failingStream(3 * 1024 * 1024, dropped))).rejects.toBe(dropped);
    expect(await filesUnder(root)).toEqual(before);
    expect(await readdir(join(root, '~tmp'))).toEqual([]);
    expect((await store.getBytes('manifests/m1.csv')).toString()).toBe('kept');
  });

  it('after a crash, reopening sweeps half-written temp files, and the next put of a key drops its orphan versions', async () => {
    const root = freshRoot();
    const first = await openFolderObjectStore({ root, area: 'uploads' });
    await first.put('dev/x', 'committed', { metadata: { v: '1' } });
    // What a process killed mid-put leaves: a temp file, and a version file renamed into place
    // whose sidecar never was.
    await writeFile(join(root, '~tmp', 'half-written.data'), 'half');
    await writeFile(join(root, 'dev', 'x~0123456789abcdef.data'), 'never committed');

    const reopened = await openFolderObjectStore({ root, area: 'uploads' });
    expect(await readdir(join(root, '~tmp'))).toEqual([]);
    expect((await reopened.getBytes('dev/x')).toString()).toBe('committed');
    expect((await reopened.list('')).objects.map((o) => o.key)).toEqual(['dev/x']);

    await reopened.put('dev/x', 'second');
    const versions = (await readdir(join(root, 'dev'))).filter((f) => f.endsWith('.data'));
    expect(versions).toHaveLength(1);
    expect((await reopened.getBytes('dev/x')).toString()).toBe('second');
  });

  it('objects survive closing and reopening the folder', async () => {
    const root = freshRoot();
    const source = randomStream(3 * 1024 * 1024);
    const a = await openFolderObjectStore({ root, area: 'reports' });
    await a.put('r/1', source.body, { metadata: { kind: 'batch' } });
    const b = await openFolderObjectStore({ root, area: 'reports' });
    expect(await b.head('r/1')).toMatchObject({ size: 3 * 1024 * 1024, metadata: { kind: 'batch' } });
  });

  it('a damaged sidecar is reported with what to do, not read as an object', async () => {
    const root = freshRoot();
    const store = await openFolderObjectStore({ root, area: 'uploads' });
    await store.put('s/k', 'x');
    await writeFile(join(root, 's', 'k~meta.json'), '{"format":1,');
    const error = await store.get('s/k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectStoreError);
    expect((error as Error).message).toMatch(/sidecar of "s\/k" in uploads is damaged .*restore it from a backup or delete the object/);
    await store.delete('s/k');
    expect(await store.head('s/k')).toBeUndefined();
  });

  it('ignores files and folders that are not objects when listing', async () => {
    const root = freshRoot();
    const store = await openFolderObjectStore({ root, area: 'uploads' });
    await store.put('real', 'r');
    await mkdir(join(root, 'stray~folder'));
    await writeFile(join(root, 'stray-file.txt'), 'not an object');
    expect((await store.list('')).objects.map((o) => o.key)).toEqual(['real']);
  });

  describe('onPut, the embedded upload trigger', () => {
    it('fires once per completed put, after the object is readable, with S3 "Object Created" detail fields', async () => {
      const store = await openFolderObjectStore({ root: freshRoot(), area: 'uploads' });
      const seen: ObjectCreatedDetail[] = [];
      const readBack: string[] = [];
      store.onPut('manifests/', async (detail) => {
        seen.push(detail);
        readBack.push((await store.getBytes(detail.object.key)).toString());
      });
      const put = await store.put('manifests/batch-7.csv', 'serial\nm1\n');
      await store.put('reports/other.json', '{}');
      expect(seen).toEqual([
        {
          version: '0',
          bucket: { name: 'uploads' },
          object: { key: 'manifests/batch-7.csv', size: 10, etag: put.etag },
          'request-id': expect.stringMatching(/^[0-9A-F]{16}$/) as string,
          requester: 'embedded',
          reason: 'PutObject',
        },
      ]);
      expect(readBack).toEqual(['serial\nm1\n']);
      await store.put('manifests/batch-7.csv', 'serial\nm2\n');
      expect(seen).toHaveLength(2);
      expect(seen[0]!['request-id']).not.toBe(seen[1]!['request-id']);
    });

    it('does not fire for a failed put or a delete, and stops after unsubscribe', async () => {
      const store = await openFolderObjectStore({ root: freshRoot(), area: 'uploads' });
      const keys: string[] = [];
      const unsubscribe = store.onPut('', (d) => void keys.push(d.object.key));
      await store.put('a', '1');
      await expect(store.put('b', failingStream(10, new Error('boom')))).rejects.toThrow('boom');
      await expect(store.put('bad//key', 'x')).rejects.toThrow(/empty segment/);
      await store.delete('a');
      unsubscribe();
      await store.put('c', '3');
      expect(keys).toEqual(['a']);
    });

    it('a listener that throws does not fail the put; the failure is reported with area and key only', async () => {
      const reported: [string, string][] = [];
      const store = await openFolderObjectStore({
        root: freshRoot(),
        area: 'credentials',
        onListenerError: (error, detail) => reported.push([(error as Error).message, detail.object.key]),
      });
      const other: string[] = [];
      store.onPut('dev/', () => {
        throw new Error('bus unavailable');
      });
      store.onPut('dev/', (d) => void other.push(d.object.key));
      await expect(store.put('dev/1/key.pem', 'SECRET-KEY-MATERIAL')).resolves.toMatchObject({ size: 19 });
      expect(reported).toEqual([['bus unavailable', 'dev/1/key.pem']]);
      expect(other).toEqual(['dev/1/key.pem']);
    });

    it('rejects a bad prefix or listener', async () => {
      const store = await openFolderObjectStore({ root: freshRoot(), area: 'uploads' });
      expect(() => store.onPut('a\u0000', () => undefined)).toThrow(/control characters/);
      expect(() => store.onPut('a', 'nope' as unknown as () => void)).toThrow(/listener function/);
    });
  });
});
