import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

export interface SqliteOptions {
  /** File path, or ':memory:' for throwaway stores in unit tests. */
  readonly file: string;
  /**
   * FULL (default) fsyncs every commit, so an acknowledged append survives power loss as well as
   * a killed process. NORMAL survives a killed process but may lose the last commits on power
   * loss; it is offered for benchmarks and pilots that accept that (see ADR 0001).
   */
  readonly synchronous?: 'FULL' | 'NORMAL';
}

/** Opens (creating if needed) the embedded database with the pragmas every adapter relies on. */
export const openSqlite = ({ file, synchronous = 'FULL' }: SqliteOptions): SqliteDatabase => {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
};
