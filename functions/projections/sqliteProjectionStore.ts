import type { SqliteDatabase } from '../eventStore/sqliteDatabase.ts';
import type { ProjectionChange, ProjectionCheckpoint, ProjectionStore } from './projectionStore.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS projection_rows (
  projection TEXT NOT NULL,
  key        TEXT NOT NULL,
  row        TEXT NOT NULL,
  PRIMARY KEY (projection, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS projection_checkpoints (
  projection TEXT PRIMARY KEY,
  version    INTEGER NOT NULL,
  position   INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** Projection rows as JSON in the same SQLite file as the events (ADR 0001). */
export const createSqliteProjectionStore = (db: SqliteDatabase): ProjectionStore => {
  db.exec(SCHEMA);
  const getCheckpoint = db.prepare<[string], { version: number; position: number }>(
    'SELECT version, position FROM projection_checkpoints WHERE projection = ?',
  );
  const setCheckpoint = db.prepare(
    `INSERT INTO projection_checkpoints (projection, version, position) VALUES (?, ?, ?)
     ON CONFLICT (projection) DO UPDATE SET version = excluded.version, position = excluded.position`,
  );
  const getRow = db.prepare<[string, string], { row: string }>('SELECT row FROM projection_rows WHERE projection = ? AND key = ?');
  const allRows = db.prepare<[string], { key: string; row: string }>('SELECT key, row FROM projection_rows WHERE projection = ? ORDER BY key');
  const upsert = db.prepare(
    `INSERT INTO projection_rows (projection, key, row) VALUES (?, ?, ?)
     ON CONFLICT (projection, key) DO UPDATE SET row = excluded.row`,
  );
  const remove = db.prepare('DELETE FROM projection_rows WHERE projection = ? AND key = ?');
  const clearRows = db.prepare('DELETE FROM projection_rows WHERE projection = ?');
  const clearCheckpoint = db.prepare('DELETE FROM projection_checkpoints WHERE projection = ?');
  const moveRows = db.prepare('UPDATE projection_rows SET projection = ? WHERE projection = ?');
  const moveCheckpoint = db.prepare('UPDATE projection_checkpoints SET projection = ? WHERE projection = ?');

  const commit = db.transaction((changes: readonly ProjectionChange[]) => {
    for (const change of changes) {
      for (const [key, row] of change.rows) {
        if (row === undefined) remove.run(change.projection, key);
        else upsert.run(change.projection, key, JSON.stringify(row));
      }
      setCheckpoint.run(change.projection, change.checkpoint.version, change.checkpoint.position);
    }
  });
  const reset = db.transaction((projection: string) => {
    clearRows.run(projection);
    clearCheckpoint.run(projection);
  });
  const replace = db.transaction((target: string, source: string) => {
    reset(target);
    moveRows.run(target, source);
    moveCheckpoint.run(target, source);
  });

  return {
    checkpoint: (projection): ProjectionCheckpoint | undefined => getCheckpoint.get(projection),
    getRows(projection, keys) {
      const rows = new Map<string, unknown>();
      for (const key of keys) {
        const r = getRow.get(projection, key);
        if (r) rows.set(key, JSON.parse(r.row));
      }
      return rows;
    },
    getRow(projection, key) {
      const r = getRow.get(projection, key);
      return r ? (JSON.parse(r.row) as unknown) : undefined;
    },
    allRows: (projection) => new Map(allRows.all(projection).map((r) => [r.key, JSON.parse(r.row) as unknown])),
    commit: (changes) => commit(changes),
    reset: (projection) => reset(projection),
    replace: (target, source) => replace(target, source),
  };
};
