import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { testEventStore } from '../suites/eventStore.suite.ts';

const dir = mkdtempSync(join(tmpdir(), 'es-sqlite-'));
let n = 0;

testEventStore('SQLite', {
  create: () => {
    const db = openSqlite({ file: join(dir, `store-${++n}.db`) });
    const store = createSqliteEventStore(db);
    return Promise.resolve({ ...store, close: () => store.close().then(() => void db.close()) });
  },
  dispose: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
});
