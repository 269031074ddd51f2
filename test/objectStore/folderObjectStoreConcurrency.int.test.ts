import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { openFolderObjectStore } from '../../functions/objectStore/folderObjectStore.ts';
import { ObjectNotFoundError, ObjectStoreError } from '../../functions/objectStore/objectStore.ts';
import { testObjectStore } from '../suites/objectStore.suite.ts';

/**
 * The durable folder store syncs the entries of folders a put created outside its lock, shared
 * between puts (many devices' credentials folders land in `devices/` at once). These cases run
 * many puts and deletes side by side, durable, and check that every acknowledged object is there,
 * readable, and still there after the folder is opened again. It can also keep small objects inside
 * their sidecar (inlineMaxBytes): one file per object instead of two.
 */

const base = mkdtempSync(join(tmpdir(), 'objects-concurrent-'));
let n = 0;
const freshRoot = () => join(base, `area-${++n}`);
afterAll(() => rmSync(base, { recursive: true, force: true }));

// With small objects inline, the store is still an ObjectStore like any other.
testObjectStore('folder, small objects inline', {
  create: () => openFolderObjectStore({ root: freshRoot(), area: 'credentials', inlineMaxBytes: 1024 }),
});

/** A streamed body, so the store cannot know its size before reading it. */
const pieces = (...parts: string[]) => Readable.from(parts.map((p) => Buffer.from(p)));

describe('folder object store with small objects inline', () => {
  it('keeps an object up to inlineMaxBytes in its sidecar alone, and a bigger one in a version file', async () => {
    const root = freshRoot();
    const store = await openFolderObjectStore({ root, area: 'credentials', inlineMaxBytes: 18 });
    const small = await store.put('devices/a/mqtt.json', pieces('{"k":', '"0123456789"}'));
    await store.put('devices/b/mqtt.json', pieces('x'.repeat(10), 'x'.repeat(9)));
    expect((await readdir(join(root, 'devices', 'a'))).sort()).toEqual(['mqtt.json~meta.json']);
    expect((await readdir(join(root, 'devices', 'b'))).filter((f) => f.endsWith('.data'))).toHaveLength(1);
    expect(small.etag).toBe(createHash('md5').update('{"k":"0123456789"}').digest('hex'));
    const reopened = await openFolderObjectStore({ root, area: 'credentials', inlineMaxBytes: 18 });
    expect((await reopened.getBytes('devices/a/mqtt.json')).toString()).toBe('{"k":"0123456789"}');
    expect((await reopened.getBytes('devices/b/mqtt.json')).toString()).toBe('x'.repeat(19));
    // A store opened without inlining still reads what was inlined.
    const plain = await openFolderObjectStore({ root, area: 'credentials' });
    expect((await plain.getBytes('devices/a/mqtt.json')).toString()).toBe('{"k":"0123456789"}');
  });

  it('replacing an inline object with a big one and back leaves only the current files', async () => {
    const root = freshRoot();
    const store = await openFolderObjectStore({ root, area: 'credentials', inlineMaxBytes: 16 });
    await store.put('k', 'small');
    await store.put('k', 'y'.repeat(100));
    expect((await readdir(root)).filter((f) => f.startsWith('k~')).sort()).toEqual([expect.stringMatching(/^k~[0-9a-f]{16}\.data$/), 'k~meta.json']);
    await store.put('k', 'small again');
    expect((await readdir(root)).filter((f) => f.startsWith('k~'))).toEqual(['k~meta.json']);
    expect((await store.getBytes('k')).toString()).toBe('small again');
  });

  it('reports an inline sidecar whose bytes do not match its size as damaged', async () => {
    const root = freshRoot();
    const store = await openFolderObjectStore({ root, area: 'credentials', inlineMaxBytes: 64 });
    await store.put('s/k', 'twelve bytes');
    const file = join(root, 's', 'k~meta.json');
    const sidecar = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...sidecar, inline: Buffer.from('other').toString('base64') }));
    const error = await store.get('s/k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectStoreError);
    expect((error as Error).message).toMatch(/sidecar of "s\/k" in credentials is damaged/);
  });

  it('refuses an inlineMaxBytes that is not a whole number of bytes up to 1 MiB', async () => {
    await expect(openFolderObjectStore({ root: freshRoot(), area: 'credentials', inlineMaxBytes: -1 })).rejects.toThrow(/inlineMaxBytes -1 for credentials is not valid/);
  });
});

describe('folder object store under concurrent puts', () => {
  it('puts into 300 new folders under one parent at once, two keys per folder, and all are there after a reopen', async () => {
    const root = freshRoot();
    const store = await openFolderObjectStore({ root, area: 'credentials', inlineMaxBytes: 4096 });
    const things = Array.from({ length: 300 }, (_, i) => `lamp-${i}`);
    await Promise.all(
      things.flatMap((thing) => [store.put(`devices/${thing}/mqtt.json`, `{"thing":"${thing}"}`), store.put(`devices/${thing}/psk.json`, `{"psk":"${thing}"}`)]),
    );
    const reopened = await openFolderObjectStore({ root, area: 'credentials' });
    const keys: string[] = [];
    let after: string | undefined;
    do {
      const page = await reopened.list('devices/', { after });
      keys.push(...page.objects.map((o) => o.key));
      after = page.nextAfter;
    } while (after !== undefined);
    expect(keys).toHaveLength(600);
    for (const thing of [things[0]!, things[150]!, things[299]!]) {
      expect((await reopened.getBytes(`devices/${thing}/mqtt.json`)).toString()).toBe(`{"thing":"${thing}"}`);
      expect((await reopened.getBytes(`devices/${thing}/psk.json`)).toString()).toBe(`{"psk":"${thing}"}`);
    }
    expect(await readdir(join(root, '~tmp'))).toEqual([]);
  });

  it('keeps the last of several puts of one key into a new folder, with one version file', async () => {
    const root = freshRoot();
    const store = await openFolderObjectStore({ root, area: 'credentials' });
    const written = await Promise.all(Array.from({ length: 20 }, (_, i) => store.put('devices/racer/mqtt.json', `v${i}`)));
    const head = await store.head('devices/racer/mqtt.json');
    // Commits are serialized: whichever committed last is the object, and it is one of the puts.
    expect(written.map((w) => w.etag)).toContain(head?.etag);
    const versions = (await readdir(join(root, 'devices', 'racer'))).filter((f) => f.endsWith('.data'));
    expect(versions).toHaveLength(1);
  });

  it('a delete racing puts into a new folder leaves either the object or nothing, never a broken one', async () => {
    const root = freshRoot();
    const store = await openFolderObjectStore({ root, area: 'credentials' });
    await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const key = `devices/d-${i}/mqtt.json`;
        const put = store.put(key, `x${i}`);
        const removed = store.delete(key);
        await Promise.all([put, removed]);
        const stored = await store.getBytes(key).catch((error: unknown) => error);
        if (stored instanceof ObjectNotFoundError) return;
        expect(stored).toEqual(Buffer.from(`x${i}`));
      }),
    );
  });
});
