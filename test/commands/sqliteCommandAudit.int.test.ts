import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandAuditProjection } from '../../events/projections/commandAudit.ts';
import { foldProjection } from '../../events/projections/projection.ts';
import { upcast } from '../../events/upcasting.ts';
import { asyncCommandAudit } from '../../functions/commands/commandAuditPort.ts';
import { createSqliteCommandAudit } from '../../functions/commands/sqliteCommandAudit.ts';
import { openSqlite } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteProjectionStore } from '../../functions/projections/sqliteProjectionStore.ts';
import { testCommandAudit } from '../suites/commandAudit.suite.ts';

// The embedded adapter on a SQLite file: rows committed to the projection store as the engine
// commits them (the fold is the projection's own), read through the audit's indexed queries.
const dir = mkdtempSync(join(tmpdir(), 'command-audit-'));
const closers: (() => void)[] = [];
let n = 0;

testCommandAudit('SQLite', {
  create() {
    const db = openSqlite({ file: join(dir, `audit-${++n}.db`) });
    closers.push(() => db.close());
    const store = createSqliteProjectionStore(db);
    const audit = createSqliteCommandAudit(db);
    let position = 0;
    return Promise.resolve({
      audit: asyncCommandAudit(audit),
      record(events) {
        const touched = new Set(events.flatMap((e) => (commandAuditProjection.handles as readonly string[]).includes(e.type) ? [(e.data as { commandId: string }).commandId] : []));
        const rows = store.getRows(commandAuditProjection.name, touched) as Map<string, never>;
        foldProjection(commandAuditProjection, events.map(upcast), rows);
        position += events.length;
        store.commit([{ projection: commandAuditProjection.name, rows, checkpoint: { version: commandAuditProjection.version, position } }]);
        return Promise.resolve();
      },
    });
  },
  dispose() {
    for (const close of closers) close();
    rmSync(dir, { recursive: true, force: true });
    return Promise.resolve();
  },
});
