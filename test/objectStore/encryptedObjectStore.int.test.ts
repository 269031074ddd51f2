import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEncryptedObjectStore, DecryptionError, MasterKey } from '../../functions/objectStore/encryptedObjectStore.ts';
import { openFolderObjectStore } from '../../functions/objectStore/folderObjectStore.ts';
import { HEADER_BYTES, RECORD_PLAINTEXT_BYTES, plaintextSize } from '../../functions/objectStore/objectCipher.ts';
import type { ObjectCreatedDetail, ObjectStore } from '../../functions/objectStore/objectStore.ts';
import { testObjectStore } from '../suites/objectStore.suite.ts';
import { collect } from './streams.ts';

const base = mkdtempSync(join(tmpdir(), 'objects-encrypted-'));
let n = 0;
afterAll(() => rmSync(base, { recursive: true, force: true }));

const setup = async (masterKey = MasterKey.generate()) => {
  const root = join(base, `area-${++n}`);
  const inner = await openFolderObjectStore({ root, area: 'credentials' });
  return { root, inner, masterKey, store: createEncryptedObjectStore({ inner, masterKey }) };
};

testObjectStore('encrypted over folder', { create: async () => (await setup()).store });

const PRIVATE_KEY = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg-the-device-secret\n-----END PRIVATE KEY-----\n';

const allFileBytes = async (root: string) => {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  return Buffer.concat(await Promise.all(files.map((f) => readFile(f))));
};

/** Stores `bytes` under `key` in the inner store, keeping the object's labels: what an attacker with disk access can do. */
const rewrite = async (inner: ObjectStore, key: string, change: (stored: Buffer) => Buffer, into = key, metadata?: Record<string, string>) => {
  const head = (await inner.head(key))!;
  await inner.put(into, change(await inner.getBytes(key)), { contentType: head.contentType, metadata: metadata ?? { ...head.metadata } });
};

const decryptionFailure = async (store: ObjectStore, key: string) => {
  const error = await store.getBytes(key).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DecryptionError);
  return error as DecryptionError;
};

describe('encrypted object store (AES-256-GCM decorator)', () => {
  it('writes no plaintext to disk, and reports plaintext sizes in put, head, list and onPut', async () => {
    const { root, store } = await setup();
    const sizes: number[] = [];
    store.onPut('', (d: ObjectCreatedDetail) => void sizes.push(d.object.size));
    const bigger = Buffer.alloc(3 * RECORD_PLAINTEXT_BYTES + 5, 'secret!');
    const put = await store.put('dev-1/key.pem', PRIVATE_KEY, { contentType: 'application/x-pem-file', metadata: { device: 'dev-1' } });
    await store.put('dev-1/big', bigger);
    expect(put.size).toBe(Buffer.byteLength(PRIVATE_KEY));
    expect(sizes).toEqual([Buffer.byteLength(PRIVATE_KEY), bigger.length]);
    expect((await store.head('dev-1/key.pem'))?.size).toBe(put.size);
    expect((await store.list('dev-1/')).objects.map((o) => o.size)).toEqual([bigger.length, put.size]);

    const disk = await allFileBytes(root);
    expect(disk.includes(Buffer.from('the-device-secret'))).toBe(false);
    expect(disk.includes(Buffer.from('secret!'))).toBe(false);
    expect(await store.getBytes('dev-1/key.pem')).toEqual(Buffer.from(PRIVATE_KEY));
  });

  it('computes plaintext sizes exactly at record boundaries', async () => {
    const { store, inner } = await setup();
    for (const size of [0, 1, RECORD_PLAINTEXT_BYTES - 1, RECORD_PLAINTEXT_BYTES, RECORD_PLAINTEXT_BYTES + 1, 2 * RECORD_PLAINTEXT_BYTES]) {
      await store.put(`s/${size}`, Buffer.alloc(size, 7));
      const stored = (await inner.head(`s/${size}`))!.size;
      expect(stored).toBe(HEADER_BYTES + size + 16 * Math.max(1, Math.ceil(size / RECORD_PLAINTEXT_BYTES)));
      expect(plaintextSize(stored)).toBe(size);
      expect((await store.getBytes(`s/${size}`)).equals(Buffer.alloc(size, 7))).toBe(true);
    }
  });

  it('any flipped byte fails with DecryptionError that holds no plaintext and no key material', async () => {
    const { inner, store, masterKey } = await setup();
    await store.put('dev/key.pem', PRIVATE_KEY);
    const stored = await inner.getBytes('dev/key.pem');
    for (const at of [0, 3, 5, 12, 20, HEADER_BYTES, HEADER_BYTES + 10, stored.length - 1]) {
      await rewrite(inner, 'dev/key.pem', (b) => {
        const copy = Buffer.from(b);
        copy[at] = copy[at]! ^ 0x01;
        return copy;
      });
      const error = await decryptionFailure(store, 'dev/key.pem');
      expect(error.message).toContain('"dev/key.pem"');
      expect(error.message).not.toContain('device-secret');
      expect(error.message).not.toContain('PRIVATE KEY');
      expect(error.message).not.toContain(masterKey.deriveObjectKey(stored.subarray(12, 24)).toString('hex'));
      await inner.put('dev/key.pem', stored);
    }
    expect(await store.getBytes('dev/key.pem')).toEqual(Buffer.from(PRIVATE_KEY));
  });

  it('binds the object key: a blob moved or copied to another key does not decrypt', async () => {
    const { inner, store } = await setup();
    await store.put('dev-a/key.pem', 'key of a');
    await rewrite(inner, 'dev-a/key.pem', (b) => b, 'dev-b/key.pem');
    const error = await decryptionFailure(store, 'dev-b/key.pem');
    expect(error.message).toMatch(/authentication failed.*moved here from another key/);
    expect(await store.getBytes('dev-a/key.pem')).toEqual(Buffer.from('key of a'));
  });

  it('binds content type and metadata: relabelling an object makes it fail', async () => {
    const { inner, store } = await setup();
    await store.put('dev/cert.pem', 'cert', { contentType: 'application/x-pem-file', metadata: { device: 'dev' } });
    await rewrite(inner, 'dev/cert.pem', (b) => b, 'dev/cert.pem', { device: 'other' });
    await decryptionFailure(store, 'dev/cert.pem');
  });

  it('a truncated or extended object fails, including at a record boundary', async () => {
    const { inner, store } = await setup();
    const plain = Buffer.alloc(3 * RECORD_PLAINTEXT_BYTES, 'p');
    await store.put('big', plain);
    const stored = await inner.getBytes('big');
    const record = RECORD_PLAINTEXT_BYTES + 16;
    for (const cut of [
      (b: Buffer) => b.subarray(0, HEADER_BYTES + 2 * record),
      (b: Buffer) => b.subarray(0, b.length - 1),
      (b: Buffer) => b.subarray(0, HEADER_BYTES + 10),
      (b: Buffer) => b.subarray(0, 10),
      (b: Buffer) => Buffer.concat([b, b.subarray(HEADER_BYTES, HEADER_BYTES + record)]),
    ]) {
      await inner.put('big', cut(stored));
      await decryptionFailure(store, 'big');
    }
  });

  it('streams only verified plaintext: a damaged later record stops the stream before its bytes', async () => {
    const { inner, store } = await setup();
    const plain = Buffer.from(Array.from({ length: 4 * RECORD_PLAINTEXT_BYTES }, (_, i) => i % 251));
    await store.put('big', plain);
    await rewrite(inner, 'big', (b) => {
      const copy = Buffer.from(b);
      const inThirdRecord = HEADER_BYTES + 2 * (RECORD_PLAINTEXT_BYTES + 16) + 100;
      copy[inThirdRecord] = copy[inThirdRecord]! ^ 0xff;
      return copy;
    });
    // The first record is fine, so get resolves; the stream then fails at the third record.
    const { body } = await store.get('big');
    const received: Buffer[] = [];
    const error = await (async () => {
      for await (const chunk of body) received.push(chunk as Buffer);
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DecryptionError);
    const got = Buffer.concat(received);
    expect(got.length).toBe(2 * RECORD_PLAINTEXT_BYTES);
    expect(got.equals(plain.subarray(0, got.length))).toBe(true);
  });

  it('an object written with another master key fails naming both key ids; a previous key still reads it', async () => {
    const oldKey = MasterKey.generate();
    const { inner, store: oldStore } = await setup(oldKey);
    await oldStore.put('dev/key.pem', PRIVATE_KEY);
    const newKey = MasterKey.generate();

    const wrong = createEncryptedObjectStore({ inner, masterKey: newKey });
    const error = await decryptionFailure(wrong, 'dev/key.pem');
    expect(error.message).toContain(`encrypted with master key ${oldKey.id}`);
    expect(error.message).toContain(`this store holds ${newKey.id}`);
    expect(error.message).toMatch(/configure the key file it was written with/);

    const rotated = createEncryptedObjectStore({ inner, masterKey: newKey, previousKeys: [oldKey] });
    expect(await rotated.getBytes('dev/key.pem')).toEqual(Buffer.from(PRIVATE_KEY));
    await rotated.put('dev/new.pem', 'new');
    expect((await inner.getBytes('dev/new.pem')).subarray(4, 12).toString('hex')).toBe(newKey.id);
    await decryptionFailure(oldStore, 'dev/new.pem');
  });

  it('refuses an object that was never encrypted, or is in an unknown format version', async () => {
    const { inner, store } = await setup();
    await inner.put('plain', 'just text, no header at all');
    expect((await decryptionFailure(store, 'plain')).message).toMatch(/not in the encrypted object format/);
    await store.put('versioned', 'x');
    await rewrite(inner, 'versioned', (b) => Buffer.concat([b.subarray(0, 3), Buffer.from([9]), b.subarray(4)]));
    expect((await decryptionFailure(store, 'versioned')).message).toMatch(/format version 9, which this release cannot read/);
  });

  it('two puts of the same plaintext produce different ciphertext (a fresh IV and data key per object)', async () => {
    const { inner, store } = await setup();
    await store.put('a', PRIVATE_KEY);
    const first = await inner.getBytes('a');
    await store.put('a', PRIVATE_KEY);
    const second = await inner.getBytes('a');
    expect(first.subarray(12, 24).equals(second.subarray(12, 24))).toBe(false);
    expect(first.subarray(HEADER_BYTES).equals(second.subarray(HEADER_BYTES))).toBe(false);
    expect((await collect((await store.get('a')).body)).toString()).toBe(PRIVATE_KEY);
  });
});
