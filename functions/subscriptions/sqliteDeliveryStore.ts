import type { SqliteDatabase } from '../eventStore/sqliteDatabase.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS subscription_checkpoints (
  subscription TEXT PRIMARY KEY,
  position     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS subscription_deliveries (
  id              INTEGER PRIMARY KEY,
  subscription    TEXT    NOT NULL,
  event_id        TEXT    NOT NULL,
  position        INTEGER NOT NULL,
  envelope        TEXT    NOT NULL,
  attempts        INTEGER NOT NULL,
  enqueued_at     INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS subscription_deliveries_by_event ON subscription_deliveries (subscription, event_id);
CREATE INDEX IF NOT EXISTS subscription_deliveries_due ON subscription_deliveries (subscription, next_attempt_at, id);
CREATE INDEX IF NOT EXISTS subscription_deliveries_next ON subscription_deliveries (next_attempt_at);
CREATE TABLE IF NOT EXISTS subscription_dead_letters (
  id                        INTEGER PRIMARY KEY,
  subscription              TEXT    NOT NULL,
  event_id                  TEXT    NOT NULL,
  position                  INTEGER NOT NULL,
  envelope                  TEXT    NOT NULL,
  attempts                  INTEGER NOT NULL,
  enqueued_at               INTEGER NOT NULL,
  failed_at                 INTEGER NOT NULL,
  error_code                TEXT    NOT NULL,
  error_message             TEXT    NOT NULL,
  status                    INTEGER,
  exhausted_retry_condition TEXT
);
CREATE INDEX IF NOT EXISTS subscription_dead_letters_by_subscription ON subscription_dead_letters (subscription, id);
`;

/** A matched event waiting to be delivered to one subscription (times in ms since the epoch). */
export interface Delivery {
  readonly id: number;
  readonly subscription: string;
  readonly eventId: string;
  /** The event's global position in the store. */
  readonly position: number;
  /** The envelope as JSON, exactly as a bus rule would receive it. */
  readonly envelope: string;
  /** Attempts made so far (0 until the first one ends). */
  readonly attempts: number;
  readonly enqueuedAt: number;
  readonly nextAttemptAt: number;
  readonly lastError: string | undefined;
}

export type NewDelivery = Pick<Delivery, 'subscription' | 'eventId' | 'position' | 'envelope' | 'enqueuedAt'>;

/** Which retry limit ended the deliveries, as EventBridge's dead-letter records name it. */
export type ExhaustedRetryCondition = 'MaximumRetryAttempts' | 'MaximumEventAgeInSeconds';

export interface DeadLetterFailure {
  readonly attempts: number;
  readonly failedAt: number;
  /** `HTTP 404`, `Timeout`, `NetworkError`, `InputTransformationFailed`, `RetryAfterRefused`. */
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly status?: number | undefined;
  /** Absent when the failure was not worth retrying (a 4xx, a transform that cannot work). */
  readonly exhaustedRetryCondition?: ExhaustedRetryCondition | undefined;
}

export interface StoredDeadLetter extends DeadLetterFailure {
  readonly id: number;
  readonly subscription: string;
  readonly eventId: string;
  readonly position: number;
  readonly envelope: string;
  readonly enqueuedAt: number;
}

interface DeliveryRow {
  id: number;
  subscription: string;
  event_id: string;
  position: number;
  envelope: string;
  attempts: number;
  enqueued_at: number;
  next_attempt_at: number;
  last_error: string | null;
}

interface DeadLetterRow {
  id: number;
  subscription: string;
  event_id: string;
  position: number;
  envelope: string;
  attempts: number;
  enqueued_at: number;
  failed_at: number;
  error_code: string;
  error_message: string;
  status: number | null;
  exhausted_retry_condition: ExhaustedRetryCondition | null;
}

const toDelivery = (r: DeliveryRow): Delivery => ({
  id: r.id,
  subscription: r.subscription,
  eventId: r.event_id,
  position: r.position,
  envelope: r.envelope,
  attempts: r.attempts,
  enqueuedAt: r.enqueued_at,
  nextAttemptAt: r.next_attempt_at,
  lastError: r.last_error ?? undefined,
});

const toDeadLetter = (r: DeadLetterRow): StoredDeadLetter => ({
  id: r.id,
  subscription: r.subscription,
  eventId: r.event_id,
  position: r.position,
  envelope: r.envelope,
  attempts: r.attempts,
  enqueuedAt: r.enqueued_at,
  failedAt: r.failed_at,
  errorCode: r.error_code,
  errorMessage: r.error_message,
  ...(r.status === null ? {} : { status: r.status }),
  ...(r.exhausted_retry_condition === null ? {} : { exhaustedRetryCondition: r.exhausted_retry_condition }),
});

export interface DeadLetterFilter {
  readonly subscription?: string | undefined;
  /** Dead-letter ids (from `deadLetters()`); all of the subscription's (or all) when absent. */
  readonly ids?: readonly number[] | undefined;
  readonly limit?: number | undefined;
}

/**
 * The persisted side of webhook subscriptions, in the events' SQLite file: how far each
 * subscription has matched the store, the deliveries waiting (with their retry state), and the
 * dead letters. Matching a page and moving the checkpoint commit together, so a crash neither
 * loses nor doubles a queued delivery; only the HTTP request itself can happen twice.
 */
export const createSqliteDeliveryStore = (db: SqliteDatabase) => {
  db.exec(SCHEMA);
  const getCheckpoint = db.prepare<[string], { position: number }>('SELECT position FROM subscription_checkpoints WHERE subscription = ?');
  const setCheckpoint = db.prepare(
    'INSERT INTO subscription_checkpoints (subscription, position) VALUES (?, ?) ON CONFLICT (subscription) DO UPDATE SET position = excluded.position',
  );
  const insert = db.prepare(
    `INSERT OR IGNORE INTO subscription_deliveries (subscription, event_id, position, envelope, attempts, enqueued_at, next_attempt_at)
     VALUES (?, ?, ?, ?, 0, ?, ?)`,
  );
  const dueRows = db.prepare<[string, number, number], DeliveryRow>(
    'SELECT * FROM subscription_deliveries WHERE subscription = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?',
  );
  const nextAfter = db.prepare<[number], { t: number | null }>('SELECT MIN(next_attempt_at) AS t FROM subscription_deliveries WHERE next_attempt_at > ?');
  const remove = db.prepare('DELETE FROM subscription_deliveries WHERE id = ?');
  const update = db.prepare('UPDATE subscription_deliveries SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?');
  const insertDead = db.prepare(
    `INSERT INTO subscription_dead_letters
       (subscription, event_id, position, envelope, attempts, enqueued_at, failed_at, error_code, error_message, status, exhausted_retry_condition)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const countPending = db.prepare<[], { subscription: string; n: number }>('SELECT subscription, COUNT(*) AS n FROM subscription_deliveries GROUP BY subscription');
  const removeDead = db.prepare('DELETE FROM subscription_dead_letters WHERE id = ?');

  const deadLetterQuery = (filter: DeadLetterFilter): StoredDeadLetter[] => {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.subscription !== undefined) {
      where.push('subscription = ?');
      args.push(filter.subscription);
    }
    if (filter.ids !== undefined) {
      if (filter.ids.length === 0) return [];
      where.push(`id IN (${filter.ids.map(() => '?').join(',')})`);
      args.push(...filter.ids);
    }
    const sql = `SELECT * FROM subscription_dead_letters ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
    return db
      .prepare<(string | number)[], DeadLetterRow>(sql)
      .all(...args, filter.limit ?? -1)
      .map(toDeadLetter);
  };

  const enqueue = db.transaction((deliveries: readonly NewDelivery[], checkpoints: ReadonlyMap<string, number>) => {
    for (const d of deliveries) insert.run(d.subscription, d.eventId, d.position, d.envelope, d.enqueuedAt, d.enqueuedAt);
    for (const [subscription, position] of checkpoints) setCheckpoint.run(subscription, position);
  });

  const deadLetter = db.transaction((d: Delivery, f: DeadLetterFailure): number => {
    const info = insertDead.run(d.subscription, d.eventId, d.position, d.envelope, f.attempts, d.enqueuedAt, f.failedAt, f.errorCode, f.errorMessage, f.status ?? null, f.exhaustedRetryCondition ?? null);
    remove.run(d.id);
    return Number(info.lastInsertRowid);
  });

  const redrive = db.transaction((letters: readonly StoredDeadLetter[], now: number) => {
    for (const l of letters) {
      insert.run(l.subscription, l.eventId, l.position, l.envelope, now, now);
      removeDead.run(l.id);
    }
    return letters.length;
  });

  return {
    checkpoint: (subscription: string): number | undefined => getCheckpoint.get(subscription)?.position,
    /** Queues deliveries and moves checkpoints in one transaction. */
    enqueue: (deliveries: readonly NewDelivery[], checkpoints: ReadonlyMap<string, number>): void => enqueue(deliveries, checkpoints),
    /** Deliveries of one subscription due at `now`, oldest first, leaving out those in `skip` (in flight). */
    due(subscription: string, now: number, limit: number, skip: ReadonlySet<number>): Delivery[] {
      if (limit <= 0) return [];
      return dueRows
        .all(subscription, now, limit + skip.size)
        .filter((r) => !skip.has(r.id))
        .slice(0, limit)
        .map(toDelivery);
    },
    /** The earliest retry time after `now`, to set a timer for. */
    nextAttemptAfter: (now: number): number | undefined => nextAfter.get(now)?.t ?? undefined,
    acknowledge: (id: number): void => void remove.run(id),
    reschedule: (id: number, attempts: number, nextAttemptAt: number, lastError: string): void => void update.run(attempts, nextAttemptAt, lastError, id),
    /** Moves a delivery to the dead letters; returns the dead letter's id. */
    deadLetter: (delivery: Delivery, failure: DeadLetterFailure): number => deadLetter(delivery, failure),
    deadLetters: (filter: DeadLetterFilter = {}): StoredDeadLetter[] => deadLetterQuery(filter),
    /** Moves the dead letters back into the queue, due now with a fresh retry budget; returns how many. */
    redrive: (letters: readonly StoredDeadLetter[], now: number): number => redrive(letters, now),
    /** Deliveries waiting, per subscription. */
    pending: (): Map<string, number> => new Map(countPending.all().map((r) => [r.subscription, r.n])),
  };
};

export type SqliteDeliveryStore = ReturnType<typeof createSqliteDeliveryStore>;
