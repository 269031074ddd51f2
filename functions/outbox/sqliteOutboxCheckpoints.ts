import type { SqliteDatabase } from '../eventStore/sqliteDatabase.ts';

/** Where a publisher has got to in the store's global order. */
export interface OutboxCheckpoints {
  /** The global position of the last event published by `name`, 0 when it has published nothing. */
  get(name: string): number;
  set(name: string, position: number): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox_checkpoints (
  name     TEXT PRIMARY KEY,
  position INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** Outbox checkpoints in the same SQLite file as the events, so they survive what the events survive. */
export const createSqliteOutboxCheckpoints = (db: SqliteDatabase): OutboxCheckpoints => {
  db.exec(SCHEMA);
  const select = db.prepare<[string], { position: number }>('SELECT position FROM outbox_checkpoints WHERE name = ?');
  const upsert = db.prepare('INSERT INTO outbox_checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position');
  return {
    get: (name) => select.get(name)?.position ?? 0,
    set: (name, position) => void upsert.run(name, position),
  };
};
