import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { devicesProjection, deviceStateProjection } from '../../events/projections/index.ts';
import { openSqlite } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { createProjectionEngine } from '../../functions/projections/projectionEngine.ts';
import { createSqliteProjectionStore } from '../../functions/projections/sqliteProjectionStore.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Runs the appending child until it has acknowledged `acks` events, then sends `signal`. */
const runChild = (dataDir: string, acks: number, signal: NodeJS.Signals) =>
  new Promise<{ acked: string[]; code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../support/appendingChild.ts')], {
      env: { ...process.env, FLEET_DATA_DIR: dataDir, FLEET_HTTP_PORT: '0', FLEET_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acked: string[] = [];
    let sent = false;
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('ack ')) return;
      acked.push(line.slice(4));
      if (!sent && acked.length >= acks) {
        sent = true;
        child.kill(signal);
      }
    });
    child.on('error', reject);
    child.on('exit', (code, sig) => resolve({ acked, code, signal: sig }));
  });

const reopen = (dataDir: string) => {
  const db = openSqlite({ file: join(dataDir, 'fleet.db') });
  const events = createSqliteEventStore(db);
  const rows = createSqliteProjectionStore(db);
  const engine = createProjectionEngine({ events, store: rows, projections: [devicesProjection, deviceStateProjection] });
  return { db, events, rows, engine };
};

const storedIds = async (events: ReturnType<typeof reopen>['events']) => {
  const ids = new Set<string>();
  let cursor: string | undefined;
  for (;;) {
    const page = await events.readAll({ after: cursor, limit: 5000 });
    if (page.events.length === 0) return ids;
    page.events.forEach((e) => ids.add(e.eventId));
    cursor = page.cursor;
  }
};

describe('embedded runtime under crashes', () => {
  it('kill -9 during a stream of appends: every acknowledged append is there, and projections catch up to equal a rebuild', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'crash-'));
    dirs.push(dataDir);
    const run = await runChild(dataDir, 3000, 'SIGKILL');
    expect(run.signal).toBe('SIGKILL');
    expect(run.acked.length).toBeGreaterThanOrEqual(3000);

    const { db, events, rows, engine } = reopen(dataDir);
    const stored = await storedIds(events);
    const missing = run.acked.filter((id) => !stored.has(id));
    expect(missing).toEqual([]);
    expect(stored.size).toBeGreaterThanOrEqual(run.acked.length);

    await engine.settled();
    for (const s of engine.status()) expect(s.position).toBe(events.headPosition());
    for (const name of ['devices', 'device-state']) expect((await engine.rebuild(name)).differences).toEqual([]);
    expect(rows.allRows('devices').size).toBe(50);
    await engine.stop();
    db.close();
  });

  it('SIGTERM stops cleanly (exit 0) and keeps every acknowledged append; the runtime starts again on the same data', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'term-'));
    dirs.push(dataDir);
    const first = await runChild(dataDir, 500, 'SIGTERM');
    expect(first.code).toBe(0);
    const second = await runChild(dataDir, 200, 'SIGTERM');
    expect(second.code).toBe(0);
    const { db, events } = reopen(dataDir);
    const stored = await storedIds(events);
    expect([...first.acked, ...second.acked].filter((id) => !stored.has(id))).toEqual([]);
    db.close();
  });
});
