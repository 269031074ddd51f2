import type { StoredEvent } from '../../events/envelope.ts';
import type { Bus } from '../bus/bus.ts';
import { MAX_ENTRIES_PER_PUT } from '../bus/putEventsLimits.ts';
import type { EventStore } from '../eventStore/eventStore.ts';
import { publishedEventId, type EnvelopeIdSlot } from './publishedEventId.ts';
import type { OutboxCheckpoints } from './sqliteOutboxCheckpoints.ts';
import { toBusEntry } from './toBusEntry.ts';

export interface OutboxRetry {
  /** Wait after the first failed publication; doubles with each further failure, up to maxDelayMs. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export interface OutboxOptions {
  readonly events: Pick<EventStore, 'readAll'>;
  readonly bus: Pick<Bus, 'put'>;
  readonly checkpoints: OutboxCheckpoints;
  /** The checkpoint's name: one per bus the store is published to (default "bus"). */
  readonly name?: string;
  /** Lends each event's derived envelope id to the bus (see publishedEventId.ts). */
  readonly ids?: EnvelopeIdSlot;
  /** Events read, published and checkpointed per step (default 500): at most this many are published twice after a crash. */
  readonly batchSize?: number;
  /** How long a wake-up waits so that a burst of appends is published in full pages (default 0). */
  readonly coalesceMs?: number;
  readonly retry?: Partial<OutboxRetry>;
  /** Told about each failed step (the store could not be read, the bus refused an entry); the outbox retries it. */
  readonly onError?: (error: Error, consecutiveFailures: number) => void;
  /** Told after each step's events are on the bus and checkpointed. */
  readonly onPublished?: (events: readonly StoredEvent[]) => void;
}

export class OutboxPublishError extends Error {
  override name = 'OutboxPublishError';
}

export interface Outbox {
  /** Wakes the outbox: call after appends. Cheap and safe to call often. */
  notify(): void;
  /** Resolves once every event appended before the call is on the bus (waiting through retries). */
  settled(): Promise<void>;
  /** Global position of the last event published. */
  position(): number;
  /** Stops waking and retrying; resolves when the step under way is done. */
  stop(): Promise<void>;
}

const defaultRetry: OutboxRetry = { baseDelayMs: 200, maxDelayMs: 30_000 };

/**
 * The embedded outbox: publishes every stored event on the bus, in the store's global order, from a
 * persisted checkpoint. The checkpoint moves only past events the bus accepted, so after a crash
 * the outbox publishes again from the last checkpoint: at least once, never a gap. A re-published
 * event has the same envelope id (publishedEventId) and the same `detail.eventId`.
 *
 * The store must have global positions (SQLite). On AWS the DynamoDB stream feeds a Lambda that
 * uses the same toBusEntry mapping instead.
 */
export const createOutbox = (options: OutboxOptions): Outbox => {
  const { events, bus, checkpoints } = options;
  const name = options.name ?? 'bus';
  const batchSize = options.batchSize ?? 500;
  const coalesceMs = options.coalesceMs ?? 0;
  const retry: OutboxRetry = { ...defaultRetry, ...options.retry };
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`the outbox batchSize must be a whole number >= 1, got ${batchSize}`);

  let position = checkpoints.get(name);
  let running: Promise<void> | undefined;
  let dirty = false;
  let stopped = false;
  let failures = 0;
  let pending: { timer: NodeJS.Timeout; resolve: () => void } | undefined;

  /** A wait that stop() cuts short. */
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      pending = { timer: setTimeout(resolve, ms), resolve };
    }).finally(() => {
      pending = undefined;
    });

  const putChunk = async (chunk: readonly StoredEvent[]): Promise<number> => {
    const entries = chunk.map(toBusEntry);
    const ids = chunk.map((e) => publishedEventId(e.eventId));
    const result = await (options.ids ? options.ids.lend(ids, () => bus.put(entries)) : bus.put(entries));
    return result.Entries.findIndex((r) => r.ErrorCode !== undefined);
  };

  /** Publishes one page; true when a full page suggests more are waiting. */
  const step = async (): Promise<boolean> => {
    const page = (await events.readAll({ after: String(position), limit: batchSize })).events;
    if (page.length === 0) return false;
    let last = position;
    try {
      for (let i = 0; i < page.length; i += MAX_ENTRIES_PER_PUT) {
        const chunk = page.slice(i, i + MAX_ENTRIES_PER_PUT);
        const failed = await putChunk(chunk);
        const accepted = failed === -1 ? chunk : chunk.slice(0, failed);
        const at = accepted.at(-1)?.globalPosition;
        if (accepted.length > 0 && at === undefined) throw new OutboxPublishError('the outbox needs a store with global positions (SQLite); on AWS, publish from the table stream instead');
        if (at !== undefined) last = at;
        if (failed !== -1) {
          const refused = chunk[failed]!;
          throw new OutboxPublishError(
            `the bus refused ${refused.type} ${refused.eventId} (${refused.streamId}#${refused.streamPosition}); it and the events after it are published again on the next try`,
          );
        }
      }
    } finally {
      // Whatever the bus accepted is checkpointed, even when a later chunk failed.
      if (last > position) {
        checkpoints.set(name, last);
        position = last;
      }
    }
    options.onPublished?.(page);
    return page.length === batchSize;
  };

  const backoff = () => Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (failures - 1));

  const loop = async () => {
    do {
      dirty = false;
      try {
        while (!stopped && (await step()));
        failures = 0;
      } catch (err) {
        failures++;
        const error = err instanceof Error ? err : new Error(String(err));
        try {
          options.onError?.(error, failures);
        } catch {
          // A broken observer must not stop publishing.
        }
        if (stopped) return;
        await wait(backoff());
        dirty = true;
        continue;
      }
      // Appends arrived meanwhile: let the burst gather before the next page.
      if (dirty && coalesceMs > 0 && !stopped) await wait(coalesceMs);
    } while (dirty && !stopped);
  };

  const notify = (): void => {
    if (stopped) return;
    if (running) {
      dirty = true;
      return;
    }
    const start = coalesceMs > 0 ? wait(coalesceMs).then(loop) : loop();
    running = start.finally(() => {
      running = undefined;
    });
  };

  return {
    notify,
    async settled() {
      notify();
      while (running) await running;
    },
    position: () => position,
    async stop() {
      stopped = true;
      if (pending) {
        clearTimeout(pending.timer);
        pending.resolve();
      }
      while (running) await running;
    },
  };
};
