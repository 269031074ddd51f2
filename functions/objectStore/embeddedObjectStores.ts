import { join } from 'node:path';
import { createEncryptedObjectStore } from './encryptedObjectStore.ts';
import { openFolderObjectStore } from './folderObjectStore.ts';
import { loadOrCreateMasterKey } from './masterKey.ts';
import type { ObjectStore } from './objectStore.ts';
import type { ListenerErrorHandler } from './putListeners.ts';

/** Credentials objects up to this size live inside their sidecar (folderObjectStore.ts, format 2). */
const CREDENTIALS_INLINE_MAX_BYTES = 16 * 1024;

/** The areas the system stores objects in; each is its own folder embedded and its own bucket on AWS. */
export const OBJECT_AREAS = ['uploads', 'credentials', 'reports'] as const;
export type ObjectArea = (typeof OBJECT_AREAS)[number];

export interface EmbeddedObjectStoresOptions {
  readonly dataDir: string;
  /** Defaults to `<dataDir>/keys/object-store.key`; created on first start. Back it up: without it the credentials area is unreadable. */
  readonly masterKeyFile?: string;
  readonly durable?: boolean;
  readonly onListenerError?: ListenerErrorHandler;
}

/**
 * The embedded runtime's object stores: `<dataDir>/objects/<area>`, with the credentials area
 * encrypted at rest under the master key (on AWS, the credentials bucket uses SSE-KMS instead).
 */
export const openEmbeddedObjectStores = async (options: EmbeddedObjectStoresOptions): Promise<Record<ObjectArea, ObjectStore>> => {
  const { dataDir, masterKeyFile = join(dataDir, 'keys', 'object-store.key') } = options;
  const open = (area: ObjectArea) =>
    openFolderObjectStore({
      root: join(dataDir, 'objects', area),
      area,
      // A device's credentials are about a kilobyte: one file each instead of two is one fsync, one
      // rename and three file operations fewer per provisioned device (bench/suites/provision.ts).
      ...(area === 'credentials' ? { inlineMaxBytes: CREDENTIALS_INLINE_MAX_BYTES } : {}),
      ...(options.durable === undefined ? {} : { durable: options.durable }),
      ...(options.onListenerError ? { onListenerError: options.onListenerError } : {}),
    });
  const [uploads, credentialFolder, reports, masterKey] = await Promise.all([
    open('uploads'),
    open('credentials'),
    open('reports'),
    loadOrCreateMasterKey(masterKeyFile),
  ]);
  return { uploads, credentials: createEncryptedObjectStore({ inner: credentialFolder, masterKey }), reports };
};
