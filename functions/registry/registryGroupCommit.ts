import { open } from 'node:fs/promises';
import type { SqliteDatabase } from '../eventStore/sqliteDatabase.ts';

export interface RegistryGroupCommitOptions {
  /** Most writes in one transaction; a full group is committed at once. */
  readonly maxBatch?: number;
  /** Longest a queued write waits for expected ones (real time, whatever clock the registry uses). */
  readonly maxWaitMs?: number;
}

interface Pending {
  readonly body: () => unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export interface RegistryGroupCommit {
  /** Runs `body` in its own savepoint inside the next group's transaction; settles after that transaction commits. */
  submit<T>(body: () => T): Promise<T>;
  /**
   * Announces a write that will be submitted soon (a certificate whose key is being generated); the
   * group waits for it, up to maxWaitMs. Call the returned function once it was submitted, or dropped.
   */
  expect(): () => void;
}

/**
 * How a group's commit reaches the disk. With synchronous = FULL in WAL mode SQLite fsyncs the WAL
 * inside COMMIT, on the event loop's thread, for every commit; under disk contention that is
 * milliseconds each. The group instead commits with synchronous = NORMAL (set for its own
 * transaction and put back at once; nothing else runs on the connection in between, as every
 * statement here is synchronous) and then fsyncs the WAL file on libuv's thread pool, sharing one
 * fsync among the groups that wait at the same time. Its writers hear of success only after that
 * fsync: the same guarantee as FULL, without blocking the thread. A database the caller opened with
 * NORMAL or OFF, or not in WAL mode, commits as it is, with the durability its owner chose.
 */
const walDurability = (db: SqliteDatabase) => {
  const synchronous = db.prepare<[], number>('PRAGMA synchronous').pluck();
  const journalMode = db.prepare<[], string>('PRAGMA journal_mode').pluck();
  const setSynchronous = new Map<number, () => void>();
  const set = (level: number) => {
    let run = setSynchronous.get(level);
    if (!run) {
      const statement = db.prepare<[]>(`PRAGMA synchronous = ${level}`);
      setSynchronous.set(level, (run = () => void statement.run()));
    }
    run();
  };
  const walFile = `${db.name}-wal`;
  const FULL = 2;
  const NORMAL = 1;

  const fsyncWal = async () => {
    let handle;
    try {
      handle = await open(walFile, 'r+');
    } catch (error) {
      // No WAL file: the database was closed, which checkpoints and syncs it.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  };
  // A sync already running may have started before this commit: wait for the next, shared by all
  // who arrive meanwhile.
  let running: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  const start = (): Promise<void> => {
    const run: Promise<void> = fsyncWal().finally(() => {
      if (running === run) running = undefined;
    });
    running = run;
    return run;
  };
  const sync = (): Promise<void> => {
    if (running === undefined) return start();
    next ??= running
      .catch(() => undefined)
      .then(() => {
        next = undefined;
        return start();
      });
    return next;
  };

  return {
    /** Runs `transaction`; returns what must settle before its writes count as durable. */
    commit(transaction: () => void): Promise<void> {
      const level = synchronous.get() ?? FULL;
      if (db.memory || level < FULL || journalMode.get() !== 'wal') {
        transaction();
        return Promise.resolve();
      }
      set(NORMAL);
      try {
        transaction();
      } finally {
        set(level);
      }
      return sync();
    },
  };
};

/**
 * Group commit for the embedded registry. Writes asked for in the same turn of the event loop share
 * one immediate transaction, so one commit serves them all; while certificates are being issued the
 * group also waits for their inserts, up to maxWaitMs, since those finish at scattered moments and
 * would otherwise commit one by one. Each write runs in its own savepoint: one that throws is undone
 * alone and rejects alone, the others still commit. Nothing resolves before the commit that made it
 * durable (walDurability above), so callers see what they saw with a transaction per write. A lone
 * caller never waits: with nothing expected, the group commits at the next turn.
 */
export const createRegistryGroupCommit = (db: SqliteDatabase, { maxBatch = 256, maxWaitMs = 5 }: RegistryGroupCommitOptions = {}): RegistryGroupCommit => {
  let queue: Pending[] = [];
  let firstQueuedAt = 0;
  let expected = 0;
  let immediate: NodeJS.Immediate | undefined;
  let timer: NodeJS.Timeout | undefined;
  const durability = walDurability(db);

  const flush = () => {
    immediate = undefined;
    clearTimeout(timer);
    timer = undefined;
    const group = queue;
    queue = [];
    if (group.length === 0) return;
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    let durable: Promise<void>;
    try {
      durable = durability.commit(() =>
        db
          .transaction(() => {
            for (const pending of group) {
              try {
                // A nested better-sqlite3 transaction is a savepoint: a throw rolls back this write only.
                outcomes.push({ ok: true, value: db.transaction(pending.body)() });
              } catch (error) {
                outcomes.push({ ok: false, error });
              }
            }
          })
          .immediate(),
      );
    } catch (error) {
      // The commit itself failed (disk full, database closed): nothing of the group is stored.
      for (const pending of group) pending.reject(error);
      return;
    }
    const done = group.flatMap((pending, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) return [{ pending, value: outcome.value }];
      pending.reject(outcome.error);
      return [];
    });
    durable.then(
      () => {
        for (const { pending, value } of done) pending.resolve(value);
      },
      (error: unknown) => {
        // Committed but not known to be on disk: the writers retry, and every registry write is idempotent but a new certificate.
        for (const { pending } of done) pending.reject(error);
      },
    );
  };

  const schedule = () => {
    if (queue.length === 0 || immediate !== undefined) return;
    const waited = performance.now() - firstQueuedAt;
    if (queue.length >= maxBatch || expected === 0 || waited >= maxWaitMs) {
      clearTimeout(timer);
      timer = undefined;
      immediate = setImmediate(flush);
    } else {
      timer ??= setTimeout(flush, maxWaitMs - waited);
    }
  };

  return {
    submit: <T>(body: () => T) =>
      new Promise<T>((resolve, reject) => {
        if (queue.length === 0) firstQueuedAt = performance.now();
        queue.push({ body, resolve, reject });
        schedule();
      }),
    expect() {
      expected += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        expected -= 1;
        schedule();
      };
    },
  };
};
