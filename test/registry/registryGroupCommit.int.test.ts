import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import { createRegistryGroupCommit } from '../../functions/registry/registryGroupCommit.ts';

const dir = mkdtempSync(join(tmpdir(), 'registry-group-'));
const opened: SqliteDatabase[] = [];
let n = 0;
afterAll(() => {
  for (const db of opened) if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A real WAL database with synchronous = FULL, and a count of the immediate transactions begun on it. */
const open = () => {
  const file = join(dir, `g-${++n}.db`);
  const db = openSqlite({ file });
  opened.push(db);
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
  let immediate = 0;
  const transaction = db.transaction.bind(db);
  // Counts BEGIN IMMEDIATE only; everything else is the real better-sqlite3 transaction.
  db.transaction = ((fn: (...args: unknown[]) => unknown) => {
    const t = transaction(fn);
    const counted = (...args: unknown[]) => t(...args);
    return Object.assign(counted, {
      default: (...args: unknown[]) => t.default(...args),
      deferred: (...args: unknown[]) => t.deferred(...args),
      exclusive: (...args: unknown[]) => t.exclusive(...args),
      immediate: (...args: unknown[]) => (immediate++, t.immediate(...args)),
    });
  }) as typeof db.transaction;
  const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  const count = () => (db.prepare('SELECT COUNT(*) AS c FROM t').get() as { c: number }).c;
  return { db, file, insert, count, immediate: () => immediate };
};

/** One turn of the event loop: what was submitted in this turn is flushed by setImmediate. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('registry group commit', () => {
  it('commits the writes of one turn in one transaction, and each caller gets its own result', async () => {
    const { db, insert, count, immediate } = open();
    const group = createRegistryGroupCommit(db);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => group.submit(() => insert.run(`k${i}`, i).changes)));
    expect(results).toEqual(Array.from({ length: 50 }, () => 1));
    expect(count()).toBe(50);
    expect(immediate()).toBe(1);
  });

  it('undoes a write that throws, alone: the others of its group commit', async () => {
    const { db, insert, count } = open();
    const group = createRegistryGroupCommit(db);
    const refused = new Error('refused on purpose');
    const outcomes = await Promise.allSettled([
      group.submit(() => insert.run('a', 1)),
      group.submit(() => {
        insert.run('b', 2);
        throw refused;
      }),
      group.submit(() => insert.run('c', 3)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBe(refused);
    expect(count()).toBe(2);
    expect(db.prepare('SELECT k FROM t ORDER BY k').pluck().all()).toEqual(['a', 'c']);
  });

  it('holds a group while an announced write is on its way, then commits them together', async () => {
    const { db, insert, count, immediate } = open();
    const group = createRegistryGroupCommit(db, { maxWaitMs: 60_000 });
    const submitted = group.expect();
    const first = group.submit(() => insert.run('first', 1));
    await nextTurn();
    expect(count()).toBe(0);
    const second = group.submit(() => insert.run('second', 2));
    submitted();
    await Promise.all([first, second]);
    expect(count()).toBe(2);
    expect(immediate()).toBe(1);
  });

  it('gives up waiting after maxWaitMs, so an announced write that never comes delays the others only that long', async () => {
    const { db, insert, count } = open();
    const group = createRegistryGroupCommit(db, { maxWaitMs: 20 });
    group.expect();
    const started = performance.now();
    await group.submit(() => insert.run('lone', 1));
    expect(count()).toBe(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('leaves the connection at synchronous = FULL, and what it reported is there after a reopen', async () => {
    const { db, file, insert } = open();
    const group = createRegistryGroupCommit(db);
    await Promise.all(Array.from({ length: 10 }, (_, i) => group.submit(() => insert.run(`k${i}`, i))));
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    db.close();
    const again = openSqlite({ file });
    opened.push(again);
    expect((again.prepare('SELECT COUNT(*) AS c FROM t').get() as { c: number }).c).toBe(10);
  });

  it('keeps the durability the database was opened with when it is not FULL', async () => {
    const file = join(dir, `normal-${++n}.db`);
    const db = openSqlite({ file, synchronous: 'NORMAL' });
    opened.push(db);
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY)');
    const group = createRegistryGroupCommit(db);
    await group.submit(() => db.prepare('INSERT INTO t VALUES (?)').run('x'));
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
  });

  it('rejects every write of a group whose transaction cannot begin', async () => {
    const { db, insert } = open();
    const group = createRegistryGroupCommit(db);
    const writes = [group.submit(() => insert.run('x', 1)), group.submit(() => insert.run('y', 2))];
    db.close();
    const outcomes = await Promise.allSettled(writes);
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/not open|closed/i);
  });
});
