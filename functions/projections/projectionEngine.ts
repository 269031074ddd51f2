import type { DomainEvent } from '../../events/catalog/index.ts';
import type { StoredEvent } from '../../events/envelope.ts';
import type { AnyProjection } from '../../events/projections/projection.ts';
import { upcast, UnknownEventError } from '../../events/upcasting.ts';
import type { EventStore } from '../eventStore/eventStore.ts';
import { canonicalJson } from './canonicalJson.ts';
import type { ProjectionChange, ProjectionStore } from './projectionStore.ts';

export interface ProjectionEngineOptions {
  readonly events: Pick<EventStore, 'readAll'>;
  readonly store: ProjectionStore;
  readonly projections: readonly AnyProjection[];
  /** Events read and committed per transaction. */
  readonly batchSize?: number;
  /** Told about events no projection can read (unknown type, failed upcast); they are skipped, not lost. */
  readonly onUnreadable?: (event: StoredEvent, error: Error) => void;
  /** Told after each live batch is committed, with its events (for live views and latency measurements). */
  readonly onCommitted?: (events: readonly StoredEvent[]) => void;
  /**
   * How long a wake-up waits before projecting, so that a burst of small appends is folded and
   * committed as one batch: one transaction and one read of each touched row per burst instead of
   * per append. Bounds how stale a view can be; 0 projects at once.
   */
  readonly coalesceMs?: number;
}

export interface ProjectionStatus {
  readonly name: string;
  readonly version: number;
  readonly position: number;
}

export interface RowDifference {
  readonly key: string;
  readonly live: unknown;
  readonly rebuilt: unknown;
}

export interface RebuildResult {
  readonly projection: string;
  readonly position: number;
  readonly rows: number;
  readonly differences: readonly RowDifference[];
  readonly replaced: boolean;
}

const REBUILD_SUFFIX = '~rebuild';

/**
 * Runs projections over the event store. Each batch of events is folded into the rows it
 * touches, and the rows and every projection's checkpoint are committed in one transaction: after
 * a crash the engine resumes at the checkpoint and never applies an event twice.
 *
 * The engine orders by global position, so it serves stores that have one (SQLite). On AWS,
 * projectors are fed by DynamoDB Streams instead (ADR 0002).
 */
export const createProjectionEngine = (options: ProjectionEngineOptions) => {
  const { events, store, projections } = options;
  const batchSize = options.batchSize ?? 1000;
  const coalesceMs = options.coalesceMs ?? 0;
  let unreadable = 0;
  let running: Promise<void> | undefined;
  let dirty = false;
  let stopped = false;
  let failure: Error | undefined;
  let exclusive: Promise<unknown> = Promise.resolve();

  const names = new Set<string>();
  for (const p of projections) {
    if (names.has(p.name)) throw new Error(`Two projections are named "${p.name}": names must be unique.`);
    names.add(p.name);
  }

  /** Reset projections whose definition changed since their checkpoint was written. */
  for (const p of projections) {
    const cp = store.checkpoint(p.name);
    if (cp && cp.version !== p.version) store.reset(p.name);
  }

  const readable = (event: StoredEvent): DomainEvent | undefined => {
    try {
      return upcast(event);
    } catch (err) {
      if (!(err instanceof UnknownEventError)) throw err;
      unreadable++;
      options.onUnreadable?.(event, err);
      return undefined;
    }
  };

  /** Folds one page into the rows of the given projections (targets map store name -> projection). */
  const foldPage = (page: readonly StoredEvent[], targets: ReadonlyMap<string, AnyProjection>): ProjectionChange[] => {
    const last = page.at(-1)?.globalPosition;
    if (last === undefined) throw new Error('The projection engine needs a store with global positions.');
    const decoded = new Map<StoredEvent, DomainEvent | undefined>();
    const decode = (e: StoredEvent) => {
      if (!decoded.has(e)) decoded.set(e, readable(e));
      return decoded.get(e);
    };
    const changes: ProjectionChange[] = [];
    for (const [storeName, p] of targets) {
      const from = store.checkpoint(storeName)?.position ?? 0;
      const handled = new Set<string>(p.handles);
      const rows = new Map<string, unknown>();
      const loaded = new Set<string>();
      for (const stored of page) {
        if ((stored.globalPosition ?? 0) <= from || !handled.has(stored.type)) continue;
        const event = decode(stored);
        if (!event) continue;
        for (const key of p.keys(event)) {
          if (!loaded.has(key)) {
            loaded.add(key);
            const existing = store.getRow(storeName, key);
            if (existing !== undefined) rows.set(key, existing);
          }
          rows.set(key, p.apply(rows.get(key), event, key));
        }
      }
      if (last > from) changes.push({ projection: storeName, rows, checkpoint: { version: p.version, position: last } });
    }
    return changes;
  };

  const lowestPosition = (targets: ReadonlyMap<string, AnyProjection>) =>
    Math.min(...[...targets.keys()].map((n) => store.checkpoint(n)?.position ?? 0));

  /** Runs the targets up to the end of the store (or `until`), one transaction per page. */
  const catchUp = async (targets: ReadonlyMap<string, AnyProjection>, until = Number.POSITIVE_INFINITY): Promise<number> => {
    let position = lowestPosition(targets);
    for (;;) {
      if (position >= until) return position;
      const limit = Number.isFinite(until) ? Math.min(batchSize, until - position) : batchSize;
      const page = (await events.readAll({ after: String(position), limit })).events.filter((e) => (e.globalPosition ?? 0) <= until);
      if (page.length === 0) return position;
      store.commit(foldPage(page, targets));
      if (targets === live) options.onCommitted?.(page);
      position = page.at(-1)?.globalPosition ?? position;
    }
  };

  const live = new Map(projections.map((p) => [p.name, p]));

  const withLock = <T>(work: () => Promise<T>): Promise<T> => {
    const next = exclusive.then(work, work);
    exclusive = next.catch(() => undefined);
    return next;
  };

  const pause = () => new Promise<void>((resolve) => setTimeout(resolve, coalesceMs));

  const loop = async () => {
    do {
      dirty = false;
      await withLock(() => catchUp(live));
      // Appends arrived meanwhile: let the burst gather before the next batch.
      if (dirty && coalesceMs > 0 && !stopped) await pause();
    } while (dirty && !stopped);
  };

  /** Wakes the engine: call after appends. Cheap and safe to call often. */
  const notify = (): void => {
    if (stopped || failure) return;
    if (running) {
      dirty = true;
      return;
    }
    const start = coalesceMs > 0 ? pause().then(loop) : loop();
    running = start
      .catch((err: unknown) => {
        failure = err instanceof Error ? err : new Error(String(err));
      })
      .finally(() => {
        running = undefined;
      });
  };

  return {
    notify,
    /** Resolves once every projection has seen every event appended before the call. */
    async settled(): Promise<void> {
      notify();
      while (running) await running;
      if (failure) throw failure;
    },
    status: (): ProjectionStatus[] =>
      projections.map((p) => ({ name: p.name, version: p.version, position: store.checkpoint(p.name)?.position ?? 0 })),
    unreadableEvents: () => unreadable,
    /**
     * Rebuilds a projection from zero beside the live one, brings both to the same position and
     * compares them row by row. With `replace`, the rebuilt rows take the live ones' place.
     */
    rebuild: (name: string, { replace = false } = {}): Promise<RebuildResult> =>
      withLock(async () => {
        const p = live.get(name);
        if (!p) throw new Error(`No projection is named "${name}"; known: ${[...live.keys()].join(', ')}.`);
        const shadow = name + REBUILD_SUFFIX;
        store.reset(shadow);
        const position = await catchUp(new Map([[name, p]]));
        await catchUp(new Map([[shadow, p]]), position);
        const liveRows = store.allRows(name);
        const rebuiltRows = store.allRows(shadow);
        const differences: RowDifference[] = [];
        for (const key of new Set([...liveRows.keys(), ...rebuiltRows.keys()])) {
          const a = liveRows.get(key);
          const b = rebuiltRows.get(key);
          if (canonicalJson(a) !== canonicalJson(b)) differences.push({ key, live: a, rebuilt: b });
        }
        if (replace) store.replace(name, shadow);
        else store.reset(shadow);
        return { projection: name, position, rows: rebuiltRows.size, differences, replaced: replace };
      }),
    /** Stops waking; resolves when the current batch is committed. */
    async stop(): Promise<void> {
      stopped = true;
      while (running) await running;
      await exclusive;
    },
  };
};

export type ProjectionEngine = ReturnType<typeof createProjectionEngine>;
