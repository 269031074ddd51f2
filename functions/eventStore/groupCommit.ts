import type { AppendRequest, AppendResult, EventStore } from './eventStore.ts';

export interface GroupCommitOptions {
  /** Most appends in one transaction; a full group is committed at once. */
  readonly maxBatch?: number;
}

interface Pending {
  readonly request: AppendRequest;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/**
 * Group commit: appends made in the same turn of the event loop share one transaction (one fsync),
 * and each caller still gets its own result or error. Handlers keep calling `append` one event at
 * a time, exactly as they would on Lambda; throughput comes from here, not from the handler.
 */
export const withGroupCommit = (store: EventStore, { maxBatch = 500 }: GroupCommitOptions = {}): EventStore => {
  let queue: Pending[] = [];
  let scheduled = false;

  const flush = async () => {
    scheduled = false;
    const group = queue;
    queue = [];
    if (group.length === 0) return;
    try {
      const outcomes = await store.appendBatch(group.map((p) => p.request));
      outcomes.forEach((o, i) => (o.ok ? group[i]!.resolve(o.result) : group[i]!.reject(o.error)));
    } catch (err) {
      for (const p of group) p.reject(err);
    }
  };

  const schedule = () => {
    if (queue.length >= maxBatch) {
      void flush();
    } else if (!scheduled) {
      scheduled = true;
      setImmediate(() => void flush());
    }
  };

  return {
    ...store,
    append: (request) =>
      new Promise<AppendResult>((resolve, reject) => {
        queue.push({ request, resolve, reject });
        schedule();
      }),
    appendBatch: (requests) => store.appendBatch(requests),
    readStream: (s, o) => store.readStream(s, o),
    readAll: (o) => store.readAll(o),
    streamVersion: (s) => store.streamVersion(s),
    close: async () => {
      await flush();
      await store.close();
    },
  };
};
