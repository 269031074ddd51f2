import { randomUUID } from 'node:crypto';
import type { NewEvent } from '../../events/envelope.ts';
import type { SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';

// The same table and indexes as the SQLite event store, for the raw baseline.
export const RAW_SCHEMA = `
CREATE TABLE events (global_position INTEGER PRIMARY KEY, stream_id TEXT NOT NULL, stream_position INTEGER NOT NULL,
  event_id TEXT NOT NULL, type TEXT NOT NULL, type_version INTEGER NOT NULL, recorded_at TEXT NOT NULL,
  correlation_id TEXT, causation_id TEXT, actor TEXT NOT NULL, data TEXT NOT NULL);
CREATE UNIQUE INDEX events_by_stream ON events (stream_id, stream_position);
CREATE UNIQUE INDEX events_by_id ON events (event_id);`;

const actor = { kind: 'device', id: 'bench' } as const;

/** A telemetry-sized event, like one decoded SenML record. */
export const event = (stream: number, n: number): NewEvent => ({
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
export const rawAppend = (db: SqliteDatabase, total: number, streams: number, batch: number) => {
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

