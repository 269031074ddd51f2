import { randomBytes } from 'node:crypto';
import { validatePrefix } from './objectKey.ts';
import type { ObjectCreatedDetail, ObjectCreatedListener } from './objectStore.ts';

/** Where a listener's failure goes: the put itself has succeeded and must not be reported as failed. */
export type ListenerErrorHandler = (error: unknown, detail: ObjectCreatedDetail) => void;

/** Names only the area and key: never the object's bytes, which may be credentials. */
export const logListenerError: ListenerErrorHandler = (error, detail) => {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  console.error(`onPut listener failed for ${detail.bucket.name}/${detail.object.key}: ${reason}`);
};

export const objectCreatedDetail = (area: string, key: string, size: number, etag: string): ObjectCreatedDetail => ({
  version: '0',
  bucket: { name: area },
  object: { key, size, etag },
  // S3's request ids are 16 upper-case hex characters.
  'request-id': randomBytes(8).toString('hex').toUpperCase(),
  requester: 'embedded',
  reason: 'PutObject',
});

/**
 * The embedded upload trigger: listeners by key prefix, each called once per completed put. The put
 * waits for its listeners (so when `put` resolves, the trigger has been handed the event), and a
 * listener that throws is reported, not rethrown.
 */
export const createPutListeners = (onError: ListenerErrorHandler = logListenerError) => {
  const listeners = new Set<{ prefix: string; listener: ObjectCreatedListener }>();
  return {
    add(prefix: string, listener: ObjectCreatedListener): () => void {
      validatePrefix(prefix);
      if (typeof listener !== 'function') throw new TypeError('onPut needs a listener function.');
      const entry = { prefix, listener };
      listeners.add(entry);
      return () => void listeners.delete(entry);
    },
    async emit(detail: ObjectCreatedDetail): Promise<void> {
      const matching = [...listeners].filter((l) => detail.object.key.startsWith(l.prefix));
      await Promise.all(
        matching.map(async ({ listener }) => {
          try {
            await listener(detail);
          } catch (error) {
            onError(error, detail);
          }
        }),
      );
    },
  };
};
