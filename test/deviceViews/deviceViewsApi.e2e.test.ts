import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { StoredEvent } from '../../events/envelope.ts';
import { deviceStateProjection, type AlarmRow, type RejectionRow } from '../../events/projections/index.ts';
import { ProblemSchema } from '../../functions/api/openapi/apiSchemas.ts';
import {
  DeviceAlarmsPageSchema,
  DeviceHistoryPageSchema,
  DeviceStateViewSchema,
  RejectionPageSchema,
} from '../../functions/deviceViews/deviceViewSchemas.ts';
import { manualClock } from '../../functions/shared/clock.ts';
import { loadConfig } from '../../infra/embedded/config.ts';
import { startEmbeddedSystem, type EmbeddedSystem } from '../../infra/embedded/system.ts';
import { apiFetch } from '../support/api.ts';
import { newEvent } from '../support/events.ts';
import { bruteForceRowAsOf, deviceLife, rejectedMessage, seeded, wholeStream, type Step } from './support.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'e2e-device-views-'));
const clock = manualClock(new Date());
const longName = `m-${'x'.repeat(126)}`; // 128 characters: the longest thing name AWS IoT allows
let system: EmbeddedSystem;
let stream: StoredEvent[];
let deprovisionedAt = 0;

const play = async (streamId: string, steps: readonly Step[]) => {
  for (const step of steps) {
    clock.advance(step.advanceMs);
    await system.events.append({ streamId, expectedVersion: 'any', events: step.events });
  }
};

beforeAll(async () => {
  system = await startEmbeddedSystem(loadConfig({ FLEET_DATA_DIR: dataDir, FLEET_HTTP_PORT: '0', FLEET_MQTT_PORT: '0', FLEET_LOG_LEVEL: 'silent' }), { clock });
  await play('device-meter-1', deviceLife('meter-1', 120, 11, clock.now().getTime()));
  await play(`device-${longName}`, deviceLife(longName, 5, 12, clock.now().getTime()));
  await play('device-meter-gone', deviceLife('meter-gone', 10, 13, clock.now().getTime()));
  clock.advance(1000);
  deprovisionedAt = clock.now().getTime();
  await system.events.append({ streamId: 'device-meter-gone', expectedVersion: 'any', events: [newEvent('DeviceDeprovisioned', { thingName: 'meter-gone', reason: 'pole knocked down' })] });
  for (let i = 0; i < 12; i++) {
    clock.advance(250);
    await system.events.append({ streamId: 'rejected-unattributed', expectedVersion: 'any', events: [rejectedMessage(undefined, 'topic', clock.now(), 5 + i)] });
  }
  clock.advance(1000);
  await system.projections.settled();
  stream = await wholeStream(system.events, 'device-meter-1');
});
afterAll(async () => {
  await system.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** GET as a viewer, the least privileged role: every view is reading. */
const get = async <S extends z.ZodType>(path: string, schema: S): Promise<z.infer<S>> => {
  const res = await apiFetch(system, path, {}, 'viewer');
  const body: unknown = await res.json();
  expect(res.status, `${path}: ${JSON.stringify(body).slice(0, 300)}`).toBe(200);
  return schema.parse(body);
};
const iso = (ms: number) => new Date(ms).toISOString();

/** Follows nextCursor to the end, with the given parameters on every page. */
const allPages = async <S extends z.ZodType<{ items: unknown[]; nextCursor?: string | undefined }>>(path: string, schema: S) => {
  const items: z.infer<S>['items'] = [];
  let cursor: string | undefined;
  for (let pages = 1; pages < 1000; pages++) {
    const page = await get(`${path}${path.includes('?') ? '&' : '?'}${cursor ? `cursor=${cursor}` : ''}`, schema);
    items.push(...page.items);
    if (page.nextCursor === undefined) return { items, pages };
    cursor = page.nextCursor;
  }
  throw new Error(`${path} never ended`);
};

describe('GET /devices/:thingName/state', () => {
  it('replayed at the present equals the live projection row, for a device with many events', async () => {
    expect(stream.length).toBeGreaterThan(1000);
    const live = await get('/devices/meter-1/state', DeviceStateViewSchema);
    expect(live).toMatchObject({ thingName: 'meter-1', source: 'projection' });
    expect(live.state).toEqual(system.projectionStore.getRow('device-state', 'meter-1'));
    expect(Object.keys(live.state?.resources ?? {}).length).toBe(4);
    const replayed = await get(`/devices/meter-1/state?at=${iso(clock.now().getTime())}`, DeviceStateViewSchema);
    expect(replayed).toMatchObject({ source: 'replay', at: iso(clock.now().getTime()), streamPosition: stream.length });
    expect(replayed.state).toEqual(live.state);
  });

  it('as of several instants equals a brute-force fold of the events recorded by then', async () => {
    const r = seeded(3);
    const times = [...new Set(stream.map((e) => Date.parse(e.recordedAt)))];
    const instants = [times[0]! - 1, times[0]!, times[1]!, ...Array.from({ length: 10 }, () => r.pick(times) + r.pick([-1, 0, 1])), times.at(-1)! - 1];
    for (const at of instants) {
      const view = await get(`/devices/meter-1/state?at=${iso(at)}`, DeviceStateViewSchema);
      expect(view.state, iso(at)).toEqual(bruteForceRowAsOf(deviceStateProjection, stream, 'meter-1', at));
      expect(view.streamPosition).toBe(stream.filter((e) => Date.parse(e.recordedAt) <= at).length);
    }
    expect((await get(`/devices/meter-1/state?at=${iso(times[0]! - 1)}`, DeviceStateViewSchema)).state).toBeNull();
  });

  it('reads an instant written with a time-zone offset as the same instant', async () => {
    const at = Date.parse(stream[400]!.recordedAt);
    const local = new Date(at + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    const a = await get(`/devices/meter-1/state?at=${encodeURIComponent(local)}`, DeviceStateViewSchema);
    const b = await get(`/devices/meter-1/state?at=${iso(at)}`, DeviceStateViewSchema);
    expect(a).toEqual(b);
  });

  it('shows a deprovisioned device’s state before it went, and none after', async () => {
    expect((await get('/devices/meter-gone/state', DeviceStateViewSchema)).state).toBeNull();
    expect((await get(`/devices/meter-gone/state?at=${iso(deprovisionedAt - 1)}`, DeviceStateViewSchema)).state).toMatchObject({ thingName: 'meter-gone' });
    expect((await get(`/devices/meter-gone/state?at=${iso(deprovisionedAt)}`, DeviceStateViewSchema)).state).toBeNull();
  });
});

describe('GET /devices/:thingName/history', () => {
  it('pages forwards and backwards over every event exactly once, limit changing between pages', async () => {
    const ids = stream.map((e) => e.eventId);
    const forwards = await allPages('/devices/meter-1/history?limit=97', DeviceHistoryPageSchema);
    expect(forwards.items.map((e) => e.eventId)).toEqual(ids);
    expect(forwards.pages).toBe(Math.ceil(ids.length / 97));
    const backwards = await allPages('/devices/meter-1/history?direction=backwards&limit=500', DeviceHistoryPageSchema);
    expect(backwards.items.map((e) => e.eventId)).toEqual([...ids].reverse());
    // Only limit may change between pages.
    const first = await get('/devices/meter-1/history?limit=3', DeviceHistoryPageSchema);
    const second = await get(`/devices/meter-1/history?limit=10&cursor=${first.nextCursor}`, DeviceHistoryPageSchema);
    expect([...first.items, ...second.items].map((e) => e.eventId)).toEqual(ids.slice(0, 13));
  });

  it('carries each event’s envelope and data, upcast', async () => {
    const page = await get('/devices/meter-1/history?limit=2', DeviceHistoryPageSchema);
    expect(page.items[0]).toMatchObject({ type: 'DeviceProvisioned', streamId: 'device-meter-1', streamPosition: 1, recordedAt: stream[0]!.recordedAt, actor: stream[0]!.actor, data: stream[0]!.data });
    const alarms = await allPages('/devices/meter-1/history?type=AlarmRaised&limit=500', DeviceHistoryPageSchema);
    expect(alarms.items.every((e) => e.type === 'AlarmRaised' && e.typeVersion === 2)).toBe(true);
    expect(alarms.items.find((e) => e.upcastFrom === 1)?.data).toMatchObject({ alarmId: 'a-legacy', severity: 'major' });
  });

  it('filters by type and by recorded time, in both directions', async () => {
    const from = Date.parse(stream[300]!.recordedAt);
    const to = Date.parse(stream[900]!.recordedAt);
    const types = ['AlarmCleared', 'MessageRejected'];
    const expected = stream.filter((e) => types.includes(e.type) && Date.parse(e.recordedAt) >= from && Date.parse(e.recordedAt) < to).map((e) => e.eventId);
    expect(expected.length).toBeGreaterThan(10);
    const path = `/devices/meter-1/history?type=${types.join(',')}&from=${iso(from)}&to=${iso(to)}&limit=4`;
    expect((await allPages(path, DeviceHistoryPageSchema)).items.map((e) => e.eventId)).toEqual(expected);
    expect((await allPages(`${path}&direction=backwards`, DeviceHistoryPageSchema)).items.map((e) => e.eventId)).toEqual([...expected].reverse());
  });
});

describe('GET /devices/:thingName/alarms', () => {
  it('lists the alarms projection’s rows for the device by status, paged', async () => {
    const rows = ([...system.projectionStore.allRows('alarms').values()] as AlarmRow[]).filter((a) => a.thingName === 'meter-1');
    const expected = {
      all: rows,
      active: rows.filter((a) => a.state === 'active'),
      cleared: rows.filter((a) => a.state === 'cleared'),
      acknowledged: rows.filter((a) => a.acknowledged !== undefined),
    };
    expect(expected.acknowledged.length).toBeGreaterThan(0);
    expect(expected.cleared.length).toBeGreaterThan(0);
    for (const [status, want] of Object.entries(expected)) {
      const got = await allPages(`/devices/meter-1/alarms?status=${status}&limit=2`, DeviceAlarmsPageSchema);
      expect(got.items.map((a) => a.alarmId), status).toEqual(want.map((a) => a.alarmId).sort());
      expect(got.items).toEqual(JSON.parse(JSON.stringify([...want].sort((a, b) => (a.alarmId < b.alarmId ? -1 : 1)))));
    }
    expect((await get('/devices/meter-1/alarms?status=acknowledged', DeviceAlarmsPageSchema)).items.find((a) => a.alarmId === 'a1')?.acknowledged).toMatchObject({ by: 'ada@example.com', note: 'on it' });
  });
});

describe('GET /rejections', () => {
  const rows = () =>
    ([...system.projectionStore.allRows('rejections').values()] as RejectionRow[]).sort((a, b) =>
      a.receivedAt === b.receivedAt ? (a.eventId < b.eventId ? 1 : -1) : a.receivedAt < b.receivedAt ? 1 : -1,
    );

  it('lists every rejection newest first, paged, and by device', async () => {
    const all = await allPages('/rejections?limit=7', RejectionPageSchema);
    expect(all.items.map((r) => r.eventId)).toEqual(rows().map((r) => r.eventId));
    expect(all.items.some((r) => r.thingName === undefined)).toBe(true);
    const mine = await allPages('/rejections?thingName=meter-1&stage=decode', RejectionPageSchema);
    expect(mine.items.map((r) => r.eventId)).toEqual(rows().filter((r) => r.thingName === 'meter-1' && r.stage === 'decode').map((r) => r.eventId));
    expect(mine.items[0]).toMatchObject({ topic: 'dt/lwm2m/meter-1/state', reason: 'not valid at decode', payloadBytes: expect.any(Number) as unknown, receivedAt: expect.any(String) as unknown });
    expect(mine.items[0]!.payloadBase64).toBeUndefined();
  });

  it('adds the original bytes with include=payload', async () => {
    const page = await get('/rejections?thingName=meter-1&include=payload&limit=5', RejectionPageSchema);
    expect(page.items).toHaveLength(5);
    for (const item of page.items) {
      const event = stream.find((e) => e.eventId === item.eventId)!;
      expect(item.payloadBase64).toBe((event.data as { payloadBase64: string }).payloadBase64);
      expect(Buffer.from(item.payloadBase64!, 'base64').byteLength).toBe(item.payloadBytes);
      expect(item.truncated).toBe(false);
    }
  });
});

describe('long thing names', () => {
  it('serve the 128-character name on every device view', async () => {
    expect((await get(`/devices/${longName}/state`, DeviceStateViewSchema)).thingName).toBe(longName);
    expect((await get(`/devices/${longName}/history?limit=1`, DeviceHistoryPageSchema)).items[0]).toMatchObject({ type: 'DeviceProvisioned' });
    expect((await get(`/devices/${longName}/alarms`, DeviceAlarmsPageSchema)).items.length).toBeGreaterThan(0);
  });
});

describe('bad requests', () => {
  const expectProblem = async (path: string, status: number, type: string) => {
    const res = await apiFetch(system, path, {}, 'viewer');
    expect(res.status, path).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = ProblemSchema.parse(await res.json());
    expect(body).toMatchObject({ type, status, instance: path });
    expect(body.detail.length).toBeGreaterThan(20);
    return body;
  };

  it('answers an unknown device with 404 problem+json on each device view', async () => {
    for (const view of ['state', 'state?at=2026-01-01T00:00:00Z', 'history', 'alarms']) {
      const body = await expectProblem(`/devices/meter-404/${view}`, 404, '/problems/device-not-found');
      expect(body.detail).toContain('meter-404');
    }
  });

  it('answers each bad parameter with 400 problem+json naming the parameter and the rule', async () => {
    const historyCursor = (await get('/devices/meter-1/history?limit=1', DeviceHistoryPageSchema)).nextCursor!;
    const cases: [string, string, string][] = [
      ['/devices/meter-1/state?at=yesterday', 'at', 'iso-time'],
      ['/devices/meter-1/state?at=2026-03-01T12:00:00', 'at', 'iso-time'],
      ['/devices/meter-1/state?at=2026-03-01T12:00:00Z&at=2026-03-02T12:00:00Z', 'at', 'repeated'],
      ['/devices/meter-1/state?when=2026-03-01T12:00:00Z', 'when', 'unknown-parameter'],
      ['/devices/meter-1/history?limit=0', 'limit', 'range'],
      ['/devices/meter-1/history?limit=501', 'limit', 'range'],
      ['/devices/meter-1/history?limit=ten', 'limit', 'integer'],
      ['/devices/meter-1/history?from=2026-13-01T00:00:00Z', 'from', 'iso-time'],
      ['/devices/meter-1/history?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z', 'to', 'after-from'],
      ['/devices/meter-1/history?type=StateReported', 'type', 'one-of'],
      ['/devices/meter-1/history?direction=up', 'direction', 'one-of'],
      ['/devices/meter-1/history?cursor=garbage', 'cursor', 'malformed'],
      [`/devices/meter-1/history?direction=backwards&cursor=${historyCursor}`, 'cursor', 'other-query'],
      [`/devices/meter-1/alarms?cursor=${historyCursor}`, 'cursor', 'other-query'],
      ['/devices/meter-1/alarms?status=open', 'status', 'one-of'],
      ['/devices/meter-1/alarms?limit=100000', 'limit', 'range'],
      ['/rejections?stage=parse', 'stage', 'one-of'],
      ['/rejections?thingName=no%20spaces', 'thingName', 'thing-name'],
      ['/rejections?include=payload&limit=50', 'limit', 'max-with-payload'],
      ['/rejections?include=everything', 'include', 'one-of'],
      ['/rejections?thing=meter-1', 'thing', 'unknown-parameter'],
      ['/devices/bad%20name/history', 'thingName', 'thing-name'],
    ];
    for (const [path, field, rule] of cases) {
      const body = await expectProblem(path, 400, '/problems/invalid-parameters');
      expect(body.errors, path).toEqual([expect.objectContaining({ field, rule })]);
    }
    // A name longer than any thing name does not fit the router's parameter and reaches the
    // directory's /devices/* route, which refuses it just as clearly.
    const tooLong = await expectProblem(`/devices/${longName}x/state`, 400, '/problems/invalid-search');
    expect(tooLong.errors).toEqual([expect.objectContaining({ field: 'thingName', rule: 'thing-name' })]);
  });
});
