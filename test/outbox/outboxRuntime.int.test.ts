import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EventBridgeEnvelope } from '../../functions/bus/envelope.ts';
import { openSqlite } from '../../functions/eventStore/sqliteDatabase.ts';
import { publishedEventId } from '../../functions/outbox/publishedEventId.ts';
import { createSqliteOutboxCheckpoints } from '../../functions/outbox/sqliteOutboxCheckpoints.ts';
import { loadConfig } from '../../infra/embedded/config.ts';
import { startRuntime } from '../../infra/embedded/runtime.ts';
import { provisioned } from '../support/events.ts';

const dir = mkdtempSync(join(tmpdir(), 'outbox-runtime-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = () => loadConfig({ FLEET_DATA_DIR: dir, FLEET_HTTP_PORT: '0', FLEET_LOG_LEVEL: 'silent' });

/** A bus rule that resolves once `n` stored events were published. */
const collect = (runtime: Awaited<ReturnType<typeof startRuntime>>, n: number) => {
  const got: EventBridgeEnvelope[] = [];
  const done = new Promise<EventBridgeEnvelope[]>((resolve) => {
    runtime.bus.subscribe({
      name: 'downstream',
      pattern: { source: ['lwm2m.fleet'] },
      target: (e) => {
        got.push(e);
        if (got.length === n) resolve(got);
        return Promise.resolve();
      },
    });
  });
  return { got, done };
};

describe('outbox in the embedded runtime', () => {
  it('publishes what is appended on the runtime bus with derived ids, and after a restart only what is new', async () => {
    const first = await startRuntime(config());
    const one = collect(first, 2);
    const a = await first.events.append({ streamId: 'device-m1', expectedVersion: 0, events: [provisioned('m1')] });
    const b = await first.events.append({ streamId: 'device-m2', expectedVersion: 0, events: [provisioned('m2')] });
    const published = await one.done;
    expect(published.map((e) => e.id)).toEqual([a, b].map((r) => publishedEventId(r.events[0]!.eventId)));
    expect(published[0]).toMatchObject({ source: 'lwm2m.fleet', 'detail-type': 'DeviceProvisioned', resources: ['device-m1'] });
    await first.stop();
    // The checkpoint is on disk: the next start has nothing old to publish again.
    const db = openSqlite({ file: config().sqlite.file });
    expect(createSqliteOutboxCheckpoints(db).get('bus')).toBe(2);
    db.close();

    const second = await startRuntime(config());
    const two = collect(second, 1);
    const c = await second.events.append({ streamId: 'device-m3', expectedVersion: 0, events: [provisioned('m3')] });
    const [only] = await two.done;
    await second.bus.drain();
    expect(two.got).toHaveLength(1);
    expect(only!.detail.eventId).toBe(c.events[0]!.eventId);
    await second.stop();
  });
});
