import { join } from 'node:path';
import type { AppendRequest } from '../../functions/eventStore/eventStore.ts';
import { openSqlite } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { RAW_SCHEMA, event, rawAppend } from '../lib/rawSqlite.ts';
import { rate, timed, type BenchResult, type BenchSuite } from '../lib/report.ts';

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
