import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alarmsProjection, deviceStateProjection, rejectionsProjection } from '../../events/projections/index.ts';
import { createInProcessBus } from '../../functions/bus/inProcessBus.ts';
import { withGroupCommit } from '../../functions/eventStore/groupCommit.ts';
import { openSqlite } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { createIngestionPipeline, IngestTimeoutError } from '../../functions/ingestion/ingestionPipeline.ts';
import { createProjectionEngine } from '../../functions/projections/projectionEngine.ts';
import { createSqliteProjectionStore } from '../../functions/projections/sqliteProjectionStore.ts';
import { encodeSenmlCbor } from '../../schemas/senml/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'pipeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const setup = (name: string) => {
  const db = openSqlite({ file: join(dir, `${name}.db`) });
  const events = createSqliteEventStore(db);
  const rows = createSqliteProjectionStore(db);
  const engine = createProjectionEngine({ events, store: rows, projections: [deviceStateProjection, alarmsProjection, rejectionsProjection] });
  events.onAppended(() => engine.notify());
  const bus = createInProcessBus({ retry: { maxAttempts: 2, baseDelayMs: 1 } });
  const pipeline = createIngestionPipeline({ bus, events: withGroupCommit(events), ackTimeoutMs: 5000 });
  return { db, events, rows, engine, bus, pipeline };
};

const state = (_thing: string, n: number) =>
  encodeSenmlCbor([{ bn: '/3303/0/', bt: 1767225600 + n, n: '5700', v: n, u: 'Cel' }], { profile: 'lwm2m' });

describe('ingestion pipeline (decode → bus → append → projections)', () => {
  it('10,000 messages with 1% garbage: every good one is in the state projection, every bad one a rejection with its bytes', async () => {
    const { db, events, rows, engine, bus, pipeline } = setup('mixed');
    const devices = 50;
    const total = 10_000;
    const garbage = new Map<number, Uint8Array>();
    const lastGood = new Map<string, number>();
    const receivedAt = new Date('2026-01-01T00:00:00Z');
    const acks: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const thing = `meter-${i % devices}`;
      const bad = i % 100 === 37;
      const payload = bad ? Uint8Array.from([0x9f, 0xa1, i & 0xff, 0xff, 0x00]) : state(thing, i);
      if (bad) garbage.set(i, payload);
      else lastGood.set(thing, i);
      acks.push(pipeline.ingest({ thingName: thing, channel: 'state', topic: `dt/lwm2m/${thing}/state`, payload, receivedAt, deliveryKey: `${thing}:${i}` }));
    }
    await Promise.all(acks);
    await bus.drain();
    await engine.settled();

    expect(garbage.size).toBe(100);
    expect(pipeline.stats()).toMatchObject({ messages: total, rejected: 100, failed: 0, pending: 0 });
    for (const [thing, n] of lastGood) {
      const row = rows.getRow('device-state', thing) as { resources: Record<string, { value: { v: number } }>; messages: number };
      expect(row.resources['/3303/0/5700']!.value.v).toBe(n);
    }
    const stateMessages = ([...rows.allRows('device-state').values()] as { messages: number }[]).reduce((sum, r) => sum + r.messages, 0);
    const rejections = [...rows.allRows('rejections').values()] as { eventId: string; stage: string }[];
    expect(stateMessages).toBe(total - garbage.size);
    expect(rejections).toHaveLength(garbage.size);
    expect(stateMessages + rejections.length).toBe(total);

    // Every rejection keeps the exact bytes that were sent.
    const sent = new Set([...garbage.values()].map((b) => Buffer.from(b).toString('base64')));
    const all = (await events.readAll({ limit: 20_000 })).events.filter((e) => e.type === 'MessageRejected');
    expect(new Set(all.map((e) => (e.data as { payloadBase64: string }).payloadBase64))).toEqual(sent);
    expect(all.every((e) => (e.data as { stage: string }).stage === 'decode')).toBe(true);
    db.close();
  });

  it('a redelivered message (same delivery key) creates no second event, and both deliveries are acknowledged', async () => {
    const { db, events, bus, pipeline } = setup('redelivery');
    const m = { thingName: 'meter-1', channel: 'state' as const, topic: 'dt/lwm2m/meter-1/state', payload: state('meter-1', 1), receivedAt: new Date(), deliveryKey: 'meter-1:7' };
    await Promise.all([pipeline.ingest(m), pipeline.ingest(m)]);
    await pipeline.ingest({ ...m, receivedAt: new Date(Date.now() + 30_000) });
    await bus.drain();
    expect(await events.streamVersion('device-meter-1')).toBe(1);
    await pipeline.ingest({ ...m, deliveryKey: 'meter-1:8' });
    expect(await events.streamVersion('device-meter-1')).toBe(2);
    db.close();
  });

  it('raises and clears alarms into the alarms projection', async () => {
    const { db, rows, engine, pipeline } = setup('alarms');
    const pack = (state: string, t: number) =>
      encodeSenmlCbor([{ bn: 'leak/', bt: t, n: 'state', vs: state }, { n: 'code', vs: 'LEAK' }, { n: 'severity', vs: 'major' }], { profile: 'lwm2m' });
    const base = { thingName: 'meter-9', channel: 'alarms' as const, topic: 'dt/lwm2m/meter-9/alarms', receivedAt: new Date() };
    await pipeline.ingest({ ...base, payload: pack('raised', 1767225600) });
    expect((await engine.settled(), rows.getRow('alarms', 'meter-9/leak'))).toMatchObject({ state: 'active', severity: 'major' });
    await pipeline.ingest({ ...base, payload: encodeSenmlCbor([{ bn: 'leak/', bt: 1767225660, n: 'state', vs: 'cleared' }], { profile: 'lwm2m' }) });
    await engine.settled();
    expect(rows.getRow('alarms', 'meter-9/leak')).toMatchObject({ state: 'cleared', since: '2026-01-01T00:01:00.000Z' });
    db.close();
  });

  it('does not acknowledge a message whose facts could not be stored, and says why', async () => {
    const bus = createInProcessBus({ retry: { maxAttempts: 1, baseDelayMs: 1 } });
    const failing = { append: () => Promise.reject(new Error('disk full')) };
    const pipeline = createIngestionPipeline({ bus, events: failing, ackTimeoutMs: 200 });
    const m = { thingName: 'meter-1', channel: 'state' as const, topic: 'dt/lwm2m/meter-1/state', payload: state('meter-1', 1), receivedAt: new Date() };
    await expect(pipeline.ingest(m)).rejects.toBeInstanceOf(IngestTimeoutError);
    expect(bus.deadLetters('ingest-append')[0]?.errorMessage).toBe('disk full');
    pipeline.stop();
  });
});
