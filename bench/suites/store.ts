import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { NewEvent } from '../../events/envelope.ts';
import type { AppendRequest } from '../../functions/eventStore/eventStore.ts';
import { openSqlite, type SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { rate, timed, type BenchResult, type BenchSuite } from '../lib/report.ts';

// The same table and indexes as the SQLite event store, for the raw baseline.
const RAW_SCHEMA = `
CREATE TABLE events (global_position INTEGER PRIMARY KEY, stream_id TEXT NOT NULL, stream_position INTEGER NOT NULL,
  event_id TEXT NOT NULL, type TEXT NOT NULL, type_version INTEGER NOT NULL, recorded_at TEXT NOT NULL,
  correlation_id TEXT, causation_id TEXT, actor TEXT NOT NULL, data TEXT NOT NULL);
CREATE UNIQUE INDEX events_by_stream ON events (stream_id, stream_position);
CREATE UNIQUE INDEX events_by_id ON events (event_id);`;

const actor = { kind: 'device', id: 'bench' } as const;

/** A telemetry-sized event, like one decoded SenML record. */
const event = (stream: number, n: number): NewEvent => ({
  eventId: randomUUID(),
  type: 'DeviceStateReported',
  typeVersion: 1,
  actor,
  data: {
    thingName: `meter-${stream}`,
    messageId: `m-${n}`,
    topic: `dt/lwm2m/meter-${stream}/state`,
    values: [{ name: '/3303/0/5700', path: '/3303/0/5700', time: '2026-01-01T00:00:00Z', value: { kind: 'number', v: n }, unit: 'Cel' }],
  },
});

const rawInsert = (db: SqliteDatabase) =>
  db.prepare(
    'INSERT INTO events (stream_id, stream_position, event_id, type, type_version, recorded_at, correlation_id, causation_id, actor, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );

/** The raw loop: pre-built rows, one prepared insert, `batch` rows per transaction. */
const rawAppend = (db: SqliteDatabase, total: number, streams: number, batch: number) => {
  const insert = rawInsert(db);
  const versions = new Array<number>(streams).fill(0);
  const now = new Date().toISOString();
  const tx = db.transaction((from: number, to: number) => {
    for (let n = from; n < to; n++) {
      const s = n % streams;
      const e = event(s, n);
      insert.run(`device-meter-${s}`, ++versions[s]!, e.eventId, e.type, e.typeVersion, now, null, null, JSON.stringify(e.actor), JSON.stringify(e.data));
    }
  });
  for (let n = 0; n < total; n += batch) tx(n, Math.min(total, n + batch));
};

export const storeSuite: BenchSuite = {
  name: 'store',
  description: 'SQLite event store: append (single, batched) and full replay, beside raw better-sqlite3 loops',
  async run({ quick, workDir, log }) {
    const total = quick ? 20_000 : 1_000_000;
    const singles = quick ? 300 : 5_000;
    const streams = quick ? 500 : 10_000;
    const batch = 1000;
    const results: BenchResult[] = [];
    const open = (name: string) => openSqlite({ file: join(workDir, `${name}.db`) });

    // Single appends: one event, one transaction, fsync'd (synchronous=FULL), as a lone request would.
    log(`single appends: ${singles} events`);
    const rawSingleDb = open('raw-single');
    rawSingleDb.exec(RAW_SCHEMA);
    const rawSingle = await timed(() => rawAppend(rawSingleDb, singles, streams, 1));
    rawSingleDb.close();
    const singleDb = open('store-single');
    const singleStore = createSqliteEventStore(singleDb);
    const single = await timed(async () => {
      for (let n = 0; n < singles; n++) {
        const s = n % streams;
        await singleStore.append({ streamId: `device-meter-${s}`, expectedVersion: 'any', events: [event(s, n)] });
      }
    });
    singleDb.close();
    const singleRate = rate(singles, single.ms);
    const rawSingleRate = rate(singles, rawSingle.ms);
    results.push({ metric: 'append, single (1 event/commit)', value: singleRate, unit: 'events/s', baseline: 'raw insert, 1 row/commit', baselineValue: rawSingleRate, ratio: singleRate / rawSingleRate });

    // Batched appends: 1,000 single-event appends to different streams per appendBatch, like the ingest path.
    log(`batched appends: ${total.toLocaleString('en-US')} events over ${streams.toLocaleString('en-US')} streams`);
    const rawDb = open('raw');
    rawDb.exec(RAW_SCHEMA);
    const raw = await timed(() => rawAppend(rawDb, total, streams, batch));
    const rawRate = rate(total, raw.ms);

    const db = open('store');
    const store = createSqliteEventStore(db);
    const batched = await timed(async () => {
      for (let n = 0; n < total; n += batch) {
        const requests: AppendRequest[] = [];
        for (let k = n; k < Math.min(total, n + batch); k++) {
          const s = k % streams;
          requests.push({ streamId: `device-meter-${s}`, expectedVersion: 'any', events: [event(s, k)] });
        }
        const outcomes = await store.appendBatch(requests);
        if (outcomes.some((o) => !o.ok)) throw new Error('a batched append failed');
      }
    });
    const batchedRate = rate(total, batched.ms);
    results.push({
      metric: `append, batched (${batch}/commit)`,
      value: batchedRate,
      unit: 'events/s',
      baseline: `raw insert, ${batch} rows/commit`,
      baselineValue: rawRate,
      ratio: batchedRate / rawRate,
      goal: '>= 50% of raw',
      goalMet: batchedRate / rawRate >= 0.5,
    });

    // Full replay: every event in global order, decoded to StoredEvent, in pages.
    log('replay');
    const page = 10_000;
    const rawRead = rawDb.prepare<[number, number], { global_position: number; actor: string; data: string }>(
      'SELECT * FROM events WHERE global_position > ? ORDER BY global_position ASC LIMIT ?',
    );
    const rawReplay = await timed(() => {
      let after = 0;
      let count = 0;
      for (;;) {
        const rows = rawRead.all(after, page);
        if (rows.length === 0) return count;
        for (const r of rows) {
          JSON.parse(r.actor);
          JSON.parse(r.data);
        }
        count += rows.length;
        after = rows.at(-1)!.global_position;
      }
    });
    rawDb.close();
    const replay = await timed(async () => {
      let cursor: string | undefined;
      let count = 0;
      for (;;) {
        const p = await store.readAll({ after: cursor, limit: page });
        if (p.events.length === 0) return count;
        count += p.events.length;
        cursor = p.cursor;
      }
    });
    db.close();
    if (replay.value !== total || rawReplay.value !== total) throw new Error(`replay read ${replay.value}, raw ${rawReplay.value}, expected ${total}`);
    const replayRate = rate(total, replay.ms);
    const rawReplayRate = rate(total, rawReplay.ms);
    results.push({
      metric: `full replay (${total.toLocaleString('en-US')} events)`,
      value: replayRate,
      unit: 'events/s',
      baseline: 'raw select + JSON.parse loop',
      baselineValue: rawReplayRate,
      ratio: replayRate / rawReplayRate,
      goal: '>= 200,000 events/s',
      goalMet: replayRate >= 200_000,
    });
    return results;
  },
};
