import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WrongExpectedVersionError } from '../../functions/eventStore/eventStore.ts';
import { withGroupCommit } from '../../functions/eventStore/groupCommit.ts';
import { openSqlite } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { testEventStore } from '../suites/eventStore.suite.ts';
import { reported } from '../support/events.ts';

const dir = mkdtempSync(join(tmpdir(), 'group-commit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const open = () => {
  const db = openSqlite({ file: join(dir, `g-${++n}.db`) });
  const inner = createSqliteEventStore(db);
  let batches = 0;
  const counted = { ...inner, appendBatch: (r: Parameters<typeof inner.appendBatch>[0]) => (batches++, inner.appendBatch(r)) };
  return { db, inner, store: withGroupCommit(counted, { maxBatch: 50 }), batches: () => batches };
};

// The decorator is an EventStore like any other: it passes the same suite.
testEventStore('SQLite with group commit', {
  create: () => {
    const { db, store } = open();
    return Promise.resolve({ ...store, close: () => store.close().then(() => void db.close()) });
  },
});

describe('group commit', () => {
  it('commits appends made in one turn together, and gives each caller its own outcome', async () => {
    const { db, inner, store, batches } = open();
    const appends = Array.from({ length: 120 }, (_, i) =>
      store.append({ streamId: `device-m${i % 10}`, expectedVersion: 'any', events: [reported(`m${i % 10}`, '/3303/0/5700', i, '2026-01-01T00:00:00Z')] }),
    );
    const conflict = store.append({ streamId: 'device-m0', expectedVersion: 0, events: [reported('m0', '/3303/0/5700', 1, '2026-01-01T00:00:00Z')] });
    const results = await Promise.all(appends);
    await expect(conflict).rejects.toBeInstanceOf(WrongExpectedVersionError);
    expect(results.every((r) => r.status === 'appended')).toBe(true);
    expect(batches()).toBe(3); // 50 + 50 + 21, not 121 transactions
    expect((await inner.readStream('device-m3')).length).toBe(12);
    db.close();
  });
});
