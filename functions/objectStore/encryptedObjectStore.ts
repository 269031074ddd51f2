import { Readable } from 'node:stream';
import { bodyChunks, checkBody, readAll } from './objectBody.ts';
import { decryptStream, encryptStream, plaintextSize } from './objectCipher.ts';
import { validateObjectKey, validatePutOptions } from './objectKey.ts';
import type { ObjectInfo, ObjectStore, StoredObject } from './objectStore.ts';
import type { MasterKey } from './masterKey.ts';

export { DecryptionError } from './objectCipher.ts';
export { loadOrCreateMasterKey, MasterKey, MasterKeyError } from './masterKey.ts';

export interface EncryptedObjectStoreOptions {
  /** Where the ciphertext goes: the credentials area's folder store. */
  readonly inner: ObjectStore;
  /** Encrypts every new object. */
  readonly masterKey: MasterKey;
  /** Earlier master keys, still accepted for reading (key rotation: write with the new, read with both). */
  readonly previousKeys?: readonly MasterKey[];
}

/**
 * Encryption at rest as a decorator over any ObjectStore: AES-256-GCM with a per-object key and IV,
 * the object key, content type and metadata bound as additional data (format in objectCipher.ts).
 * Content type and metadata stay readable in the inner store (they are labels, never secrets) but
 * cannot be altered without the object failing to decrypt. Sizes reported are plaintext sizes.
 */
export const createEncryptedObjectStore = ({ inner, masterKey, previousKeys = [] }: EncryptedObjectStoreOptions): ObjectStore => {
  const keys = [masterKey, ...previousKeys];
  const area = inner.area;
  const plain = <T extends { size: number }>(info: T): T => ({ ...info, size: plaintextSize(info.size) });

  const store: ObjectStore = {
    area,

    async put(key, body, options) {
      validateObjectKey(key);
      const { contentType, metadata } = validatePutOptions(key, options);
      checkBody(key, body);
      let size = 0;
      const ciphertext = encryptStream(bodyChunks(body), masterKey, { area, key, contentType, metadata }, (n) => {
        size += n;
      });
      const stored = await inner.put(key, ciphertext, { contentType, metadata });
      return { key, size, etag: stored.etag };
    },

    async get(key): Promise<StoredObject> {
      const stored = await inner.get(key);
      const context = { area, key, contentType: stored.contentType, metadata: stored.metadata };
      const records = decryptStream(stored.body, keys, context);
      // The header and first record are checked before get resolves: a small object that was
      // tampered with, moved or written with another key fails here, not halfway through a read.
      let first: IteratorResult<Buffer>;
      try {
        first = await records.next();
      } catch (error) {
        stored.body.destroy();
        throw error;
      }
      async function* verified() {
        if (!first.done) yield first.value;
        yield* records;
      }
      const body = Readable.from(verified(), { objectMode: false });
      return { ...plain(stored), body };
    },

    async getBytes(key) {
      const { body } = await store.get(key);
      return readAll(body);
    },

    async head(key): Promise<ObjectInfo | undefined> {
      const info = await inner.head(key);
      return info && plain(info);
    },

    delete: (key) => inner.delete(key),

    async list(prefix, options) {
      const page = await inner.list(prefix, options);
      return { ...page, objects: page.objects.map(plain) };
    },

    onPut(prefix, listener) {
      return inner.onPut(prefix, (detail) => listener({ ...detail, object: { ...detail.object, size: plaintextSize(detail.object.size) } }));
    },
  };
  return store;
};
