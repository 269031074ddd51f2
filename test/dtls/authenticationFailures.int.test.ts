import { afterAll, describe, expect, it } from 'vitest';
import { DeviceAuthenticationFailed } from '../../events/catalog/index.ts';
import type { StoredEvent } from '../../events/envelope.ts';
import { createAuthenticationFailureLimiter, type AuthenticationFailureReport } from '../../functions/dtls/authenticationFailureLimiter.ts';
import {
  authenticationFailureOf,
  createAuthenticationFailureRecorder,
  printableIdentity,
  type AuthenticationFailureRecorderOptions,
} from '../../functions/dtls/authenticationFailures.ts';
import { openSqlite, type SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore, type SqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { manualScheduler } from '../../functions/lwm2m/scheduler.ts';

/**
 * The recorder behind "a refused DTLS handshake is an event", over a real SQLite event store with
 * time moved by hand: what it appends where, and how it keeps a flood from filling the store.
 */

const databases: SqliteDatabase[] = [];
afterAll(() => {
  for (const db of databases) db.close();
});

const remote = { address: '192.0.2.7', port: 40001 };
const MINUTE = 60_000;

const setUp = (options: Partial<AuthenticationFailureRecorderOptions> = {}) => {
  const db = openSqlite({ file: ':memory:' });
  databases.push(db);
  const store: SqliteEventStore = createSqliteEventStore(db);
  const scheduler = manualScheduler();
  const logged: { level: string; details: object; message: string }[] = [];
  const recorder = createAuthenticationFailureRecorder({
    bridgeId: 'b1',
    append: (request) => store.append(request),
    scheduler,
    log: {
      warn: (details, message) => logged.push({ level: 'warn', details, message }),
      error: (details, message) => logged.push({ level: 'error', details, message }),
    },
    ...options,
  });
  const all = async (): Promise<readonly StoredEvent[]> => (await store.readAll({ limit: 10_000 })).events;
  return { store, scheduler, recorder, logged, all };
};

const dataOf = (events: readonly StoredEvent[]) => events.map((e) => e.data as Record<string, unknown>);

describe('printableIdentity', () => {
  it('keeps printable ASCII, escapes everything else reversibly, and marks the empty identity and cut ones', () => {
    expect(printableIdentity(Buffer.from('lamp-1'))).toBe('lamp-1');
    expect(printableIdentity('a b\\c')).toBe('a\\x20b\\\\c');
    expect(printableIdentity(Buffer.from([0x00, 0xff, 0x41]))).toBe('\\x00\\xffA');
    expect(printableIdentity(Buffer.alloc(0))).toBe('\\(empty)');
    expect(printableIdentity('é')).toBe('\\xc3\\xa9');
    const long = printableIdentity(Buffer.alloc(200, 0x01));
    expect(long).toHaveLength(128);
    expect(long.endsWith('...')).toBe(true);
    expect(printableIdentity('x'.repeat(128))).toBe('x'.repeat(128));
  });
});

describe('authenticationFailureOf', () => {
  const base = { remote: { address: '192.0.2.1', port: 5, family: 'IPv4' as const }, detail: 'd' };
  it('maps the authentication failures and ignores the rest', () => {
    expect(authenticationFailureOf({ ...base, reason: 'bad_record_mac', identity: Buffer.from('lamp-1'), device: 'lamp-1' })).toEqual({
      reason: 'bad-psk',
      identity: Buffer.from('lamp-1'),
      thingName: 'lamp-1',
      remote: { address: '192.0.2.1', port: 5 },
    });
    expect(authenticationFailureOf({ ...base, reason: 'unknown_psk_identity', identity: Buffer.from('ghost') })?.reason).toBe('unknown-identity');
    expect(authenticationFailureOf({ ...base, reason: 'bad_finished', identity: Buffer.from('lamp-1') })?.reason).toBe('bad-finished');
    for (const reason of ['timeout', 'malformed_message', 'no_shared_parameters', 'peer_alert', 'psk_lookup_error', 'superseded', 'server_closed'] as const) {
      expect(authenticationFailureOf({ ...base, reason, identity: Buffer.from('lamp-1') }), reason).toBeUndefined();
    }
    expect(authenticationFailureOf({ ...base, reason: 'bad_record_mac' })).toBeUndefined();
  });
});

describe('the authentication failure recorder', () => {
  it("records a wrong key at once in the device's stream, valid against the catalog", async () => {
    const { recorder, store } = setUp();
    recorder.record({ reason: 'bad-psk', identity: Buffer.from('lamp-1'), thingName: 'lamp-1', remote });
    await recorder.settled();
    const [event, ...rest] = await store.readStream('device-lamp-1');
    expect(rest).toEqual([]);
    expect(event?.type).toBe('DeviceAuthenticationFailed');
    expect(event?.actor).toEqual({ kind: 'system', id: 'bridge:b1' });
    expect(event?.data).toEqual({
      thingName: 'lamp-1',
      identity: 'lamp-1',
      reason: 'bad-psk',
      transport: 'coaps',
      bridgeId: 'b1',
      remote,
      attempts: 1,
      firstAttemptAt: '2026-01-01T00:00:00.000Z',
      lastAttemptAt: '2026-01-01T00:00:00.000Z',
    });
    expect(DeviceAuthenticationFailed.schema.safeParse(event?.data).success).toBe(true);
    expect(recorder.stats()).toMatchObject({ attempts: 1, recorded: 1, summarized: 0, dropped: 0 });
  });

  it("puts an unknown identity in identity-<x>, or in the device's stream when it names a device the fleet knows", async () => {
    const { recorder, store } = setUp({ isKnownDevice: (thing) => thing === 'old-lamp' });
    recorder.record({ reason: 'unknown-identity', identity: Buffer.from('stranger/7'), remote });
    recorder.record({ reason: 'unknown-identity', identity: Buffer.from('old-lamp'), remote });
    recorder.record({ reason: 'unknown-identity', identity: Buffer.from([0x00, 0x20]), remote });
    await recorder.settled();
    expect(dataOf(await store.readStream('identity-stranger/7'))).toEqual([expect.objectContaining({ identity: 'stranger/7', reason: 'unknown-identity' })]);
    expect(dataOf(await store.readStream('identity-stranger/7'))[0]).not.toHaveProperty('thingName');
    expect(dataOf(await store.readStream('device-old-lamp'))).toEqual([expect.objectContaining({ thingName: 'old-lamp', identity: 'old-lamp' })]);
    expect(dataOf(await store.readStream('identity-\\x00\\x20'))).toHaveLength(1);
    expect(await store.streamVersion('device-stranger/7')).toBe(0);
  });

  it('an endpoint mismatch names the endpoint asked for', async () => {
    const { recorder, store } = setUp();
    recorder.record({ reason: 'endpoint-mismatch', identity: 'lamp-3', thingName: 'lamp-3', remote, endpoint: 'lamp 2' });
    await recorder.settled();
    expect(dataOf(await store.readStream('device-lamp-3'))).toEqual([expect.objectContaining({ reason: 'endpoint-mismatch', endpoint: 'lamp\\x202', attempts: 1 })]);
  });

  it('a flood of one identity: the first attempt at once, then one event per window summing up the rest', async () => {
    const { recorder, scheduler, all } = setUp();
    const attempt = (port: number) => recorder.record({ reason: 'bad-psk', identity: 'lamp-1', thingName: 'lamp-1', remote: { address: '192.0.2.7', port } });
    attempt(1);
    for (let i = 2; i <= 50; i++) {
      scheduler.advance(1000);
      attempt(i);
    }
    await recorder.settled();
    expect(await all()).toHaveLength(1);
    expect(recorder.stats()).toMatchObject({ attempts: 50, recorded: 1, summarized: 49, tracked: 1 });

    scheduler.advance(MINUTE); // the window that started with attempt 1 ends
    await recorder.settled();
    const summary = dataOf(await all())[1];
    expect(summary).toMatchObject({ attempts: 49, firstAttemptAt: '2026-01-01T00:00:01.000Z', lastAttemptAt: '2026-01-01T00:00:49.000Z', remote: { address: '192.0.2.7', port: 50 } });

    // Three more minutes at 10 attempts a second: one event per window, every attempt counted once.
    for (let i = 0; i < 1800; i++) {
      scheduler.advance(100);
      attempt(1000 + i);
    }
    scheduler.advance(MINUTE);
    await recorder.settled();
    const events = dataOf(await all());
    expect(events.length).toBeLessThanOrEqual(6);
    expect(events.reduce((sum, e) => sum + (e['attempts'] as number), 0)).toBe(1850);
    // A window with no attempts closes: the identity is forgotten.
    scheduler.advance(MINUTE);
    expect(recorder.stats().tracked).toBe(0);
  });

  it('after a quiet window the next attempt is recorded at once again', async () => {
    const { recorder, scheduler, all } = setUp();
    recorder.record({ reason: 'unknown-identity', identity: 'ghost', remote });
    scheduler.advance(MINUTE + 1);
    recorder.record({ reason: 'unknown-identity', identity: 'ghost', remote });
    await recorder.settled();
    expect(dataOf(await all()).map((e) => e['attempts'])).toEqual([1, 1]);
  });

  it('many identities: maxTracked and maxEventsPerWindow bound what is kept; the rest is counted', async () => {
    const { recorder, scheduler, all, logged } = setUp({ maxTracked: 20, maxReportsPerWindow: 10 });
    for (let i = 0; i < 100; i++) recorder.record({ reason: 'unknown-identity', identity: `random-${i}`, remote });
    await recorder.settled();
    expect(await all()).toHaveLength(10);
    expect(recorder.stats()).toMatchObject({ attempts: 100, recorded: 10, dropped: 90, tracked: 20 });
    // One warning per window, however many are cut.
    expect(logged.filter((l) => l.level === 'warn')).toHaveLength(1);
    scheduler.advance(MINUTE);
    for (let i = 0; i < 5; i++) recorder.record({ reason: 'unknown-identity', identity: `later-${i}`, remote });
    await recorder.settled();
    expect(await all()).toHaveLength(15);
  });

  it('stop sums up what is open, and records nothing after', async () => {
    const { recorder, all } = setUp();
    for (let i = 0; i < 5; i++) recorder.record({ reason: 'bad-psk', identity: 'lamp-9', thingName: 'lamp-9', remote });
    await recorder.stop();
    expect(dataOf(await all()).map((e) => e['attempts'])).toEqual([1, 4]);
    recorder.record({ reason: 'bad-psk', identity: 'lamp-9', thingName: 'lamp-9', remote });
    await recorder.settled();
    expect(await all()).toHaveLength(2);
    expect(recorder.stats()).toMatchObject({ attempts: 6, recorded: 2, dropped: 1, tracked: 0 });
  });

  it('a failing append is logged and counted, and never throws at the caller', async () => {
    const { recorder, logged } = setUp({ append: () => Promise.reject(new Error('disk full')) });
    expect(() => recorder.record({ reason: 'bad-psk', identity: 'lamp-1', thingName: 'lamp-1', remote })).not.toThrow();
    await recorder.settled();
    expect(recorder.stats()).toMatchObject({ recorded: 0, sinkFailures: 1, dropped: 1 });
    expect(logged).toEqual([expect.objectContaining({ level: 'error', details: { reason: 'bad-psk', identity: 'lamp-1', attempts: 1, err: 'disk full' } })]);
  });

  it('refuses nonsense limits with the option named', () => {
    expect(() => setUp({ windowMs: 0 })).toThrow('windowMs must be a positive integer');
    expect(() => setUp({ maxTracked: 1.5 })).toThrow('maxTracked');
  });
});

describe('the limiter behind both sinks', () => {
  it('hands a publishing sink exactly what the recorder appends, for the same attempts', async () => {
    const { recorder, scheduler, all } = setUp({ isKnownDevice: (thing) => thing === 'old-lamp' });
    const reports: AuthenticationFailureReport[] = [];
    const limiter = createAuthenticationFailureLimiter({
      what: 'an auth-failed message',
      sink: (report) => Promise.resolve(void reports.push(report)),
      isKnownDevice: (thing) => thing === 'old-lamp',
      scheduler,
      log: { warn: () => undefined, error: () => undefined },
    });
    const both = (failure: Parameters<typeof recorder.record>[0]) => {
      recorder.record(failure);
      limiter.record(failure);
    };
    both({ reason: 'unknown-identity', identity: 'old-lamp', remote });
    for (let i = 0; i < 30; i++) {
      scheduler.advance(1000);
      both({ reason: 'bad-psk', identity: 'lamp-1', thingName: 'lamp-1', remote: { address: '192.0.2.7', port: i } });
    }
    both({ reason: 'endpoint-mismatch', identity: 'lamp-3', thingName: 'lamp-3', remote, endpoint: 'lamp-4' });
    scheduler.advance(MINUTE);
    await Promise.all([recorder.stop(), limiter.stop()]);
    const events = dataOf(await all()).map(({ bridgeId: _b, transport: _t, ...rest }) => rest);
    expect(events.length).toBeGreaterThan(3);
    expect(reports).toEqual(events);
    expect(limiter.stats()).toEqual(recorder.stats());
  });

  it('counts a sink that throws at once like one that rejects, and never throws at the caller', async () => {
    const logged: object[] = [];
    const limiter = createAuthenticationFailureLimiter({
      what: 'an auth-failed message',
      sink: () => {
        throw new Error('link closed');
      },
      scheduler: manualScheduler(),
      log: { warn: () => undefined, error: (details) => logged.push(details) },
    });
    expect(() => limiter.record({ reason: 'bad-psk', identity: 'lamp-1', remote })).not.toThrow();
    await limiter.settled();
    expect(limiter.stats()).toMatchObject({ attempts: 1, recorded: 0, sinkFailures: 1, dropped: 1 });
    expect(logged).toEqual([{ reason: 'bad-psk', identity: 'lamp-1', attempts: 1, err: 'link closed' }]);
  });
});
