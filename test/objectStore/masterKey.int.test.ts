import { mkdtempSync, rmSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateMasterKey, MasterKey, MasterKeyError } from '../../functions/objectStore/masterKey.ts';

const base = mkdtempSync(join(tmpdir(), 'master-key-'));
let n = 0;
const freshDir = () => join(base, `case-${++n}`);
afterAll(() => rmSync(base, { recursive: true, force: true }));

const refusal = async (file: string) => {
  const error = await loadOrCreateMasterKey(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MasterKeyError);
  return (error as Error).message;
};

describe('master key file', () => {
  it('creates 32 random bytes with mode 0600 in a 0700 folder, and loads the same key afterwards', async () => {
    const dir = freshDir();
    const file = join(dir, 'secrets', 'object-store.key');
    const created = await loadOrCreateMasterKey(file);
    const stats = await stat(file);
    expect(stats.size).toBe(32);
    expect(stats.mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'secrets'))).mode & 0o777).toBe(0o700);
    expect(created.id).toMatch(/^[0-9a-f]{16}$/);
    const loaded = await loadOrCreateMasterKey(file);
    expect(loaded.id).toBe(created.id);
    expect(await readdir(join(dir, 'secrets'))).toEqual(['object-store.key']);
    const other = await loadOrCreateMasterKey(join(dir, 'secrets', 'other.key'));
    expect(other.id).not.toBe(created.id);
  });

  it('concurrent first starts agree on one key', async () => {
    const file = join(freshDir(), 'race.key');
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateMasterKey(file)));
    expect(new Set(keys.map((k) => k.id)).size).toBe(1);
    expect((await loadOrCreateMasterKey(file)).id).toBe(keys[0]!.id);
  });

  it('refuses a key file that group or others may access, saying how to fix it', async () => {
    const dir = freshDir();
    await mkdir(dir, { recursive: true });
    for (const mode of [0o640, 0o604, 0o660, 0o644, 0o601]) {
      const file = join(dir, `mode-${mode.toString(8)}.key`);
      await writeFile(file, Buffer.alloc(32, 1));
      await chmod(file, mode);
      const message = await refusal(file);
      expect(message).toContain(`mode 0${mode.toString(8)}`);
      expect(message).toContain(`chmod 600 ${file}`);
      expect(message).not.toContain(Buffer.alloc(32, 1).toString('hex'));
    }
  });

  it('refuses a key file of the wrong size and does not replace it', async () => {
    const dir = freshDir();
    await mkdir(dir, { recursive: true });
    for (const size of [0, 31, 33, 64]) {
      const file = join(dir, `size-${size}.key`);
      await writeFile(file, Buffer.alloc(size, 2), { mode: 0o600 });
      expect(await refusal(file)).toMatch(new RegExp(`is ${size} bytes, not 32: restore the original key file`));
      expect((await readFile(file)).length).toBe(size);
    }
  });

  it('refuses a folder where the key file should be', async () => {
    const dir = freshDir();
    await mkdir(join(dir, 'key'), { recursive: true, mode: 0o700 });
    expect(await refusal(join(dir, 'key'))).toMatch(/not a regular file/);
  });

  it('never shows its bytes: inspect, JSON and string conversion give only the key id', async () => {
    const file = join(freshDir(), 'shown.key');
    const key = await loadOrCreateMasterKey(file);
    const bytes = await readFile(file);
    const shown = [inspect(key), JSON.stringify(key), String(key), inspect({ nested: { key } }, { depth: 5 })].join('\n');
    expect(shown).toContain(key.id);
    for (const encoding of ['hex', 'base64', 'base64url'] as const) expect(shown).not.toContain(bytes.toString(encoding));
    expect(shown).not.toMatch(/\b(\d{1,3}, ){31}\d{1,3}\b/);
    expect(Object.keys(key)).not.toContain('bytes');
  });

  it('MasterKey.fromBytes accepts exactly 32 bytes, and equal bytes give equal ids', () => {
    expect(() => MasterKey.fromBytes(Buffer.alloc(16))).toThrow(/exactly 32 bytes, not 16/);
    expect(MasterKey.fromBytes(Buffer.alloc(32, 9)).id).toBe(MasterKey.fromBytes(Buffer.alloc(32, 9)).id);
    expect(MasterKey.fromBytes(Buffer.alloc(32, 9)).id).not.toBe(MasterKey.fromBytes(Buffer.alloc(32, 8)).id);
  });
});
