import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedObjectStores } from '../../functions/objectStore/embeddedObjectStores.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'embedded-objects-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const bytesUnder = async (root: string) => {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return Buffer.concat(await Promise.all(entries.filter((e) => e.isFile()).map((e) => readFile(join(e.parentPath, e.name)))));
};

describe('embedded object stores', () => {
  it('gives each area its own folder, encrypts only credentials, and reopens with the same master key', async () => {
    const stores = await openEmbeddedObjectStores({ dataDir });
    expect(Object.values(stores).map((s) => s.area)).toEqual(['uploads', 'credentials', 'reports']);
    await stores.uploads.put('manifests/m.csv', 'serial\nPLAIN-MANIFEST\n');
    await stores.credentials.put('dev-1/key.pem', 'PRIVATE-KEY-MATERIAL');
    await stores.reports.put('batch/r.json', '{"rows":1}');

    expect((await bytesUnder(join(dataDir, 'objects', 'uploads'))).includes('PLAIN-MANIFEST')).toBe(true);
    expect((await bytesUnder(join(dataDir, 'objects', 'credentials'))).includes('PRIVATE-KEY-MATERIAL')).toBe(false);
    expect((await stat(join(dataDir, 'keys', 'object-store.key'))).mode & 0o777).toBe(0o600);
    expect(await stores.uploads.head('dev-1/key.pem')).toBeUndefined();

    const again = await openEmbeddedObjectStores({ dataDir });
    expect((await again.credentials.getBytes('dev-1/key.pem')).toString()).toBe('PRIVATE-KEY-MATERIAL');
  });
});
