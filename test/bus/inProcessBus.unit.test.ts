import { describe, expect, it } from 'vitest';
import type { BusEntry } from '../../functions/bus/bus.ts';
import { eventBridgeEnvelopeSchema, type EventBridgeEnvelope } from '../../functions/bus/envelope.ts';
import { BusClosedError, createInProcessBus, type InProcessBusOptions } from '../../functions/bus/inProcessBus.ts';
import { PatternError } from '../../functions/bus/patternMatcher.ts';
import { MAX_ENTRY_BYTES, PutEventsValidationError } from '../../functions/bus/putEventsLimits.ts';
import { manualClock } from '../../functions/shared/clock.ts';

/** A promise with its resolve function outside, to hold a target until the test lets it go. */
const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
};

/** A bus with exact ids and time, and retries that record their waits instead of sleeping. */
const testBus = (options: InProcessBusOptions = {}) => {
  let n = 0;
  const waits: number[] = [];
  const clock = manualClock('2026-03-01T12:00:00.000Z');
  const bus = createInProcessBus({
    clock,
    ids: () => `evt-${++n}`,
    account: '123456789012',
    region: 'eu-west-1',
    retry: { maxAttempts: 3, baseDelayMs: 10, factor: 2, maxDelayMs: 1_000 },
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
    ...options,
  });
  return { bus, waits, clock };
};

/** A target that only records: synchronous work wrapped as the Promise the port expects. */
const sink =
  (record: (event: EventBridgeEnvelope) => unknown) =>
  (event: EventBridgeEnvelope): Promise<void> => {
    record(event);
    return Promise.resolve();
  };

const reported = (thingName: string, extra: Partial<BusEntry> = {}): BusEntry => ({
  Source: 'lwm2m.fleet',
  DetailType: 'DeviceStateReported',
  Detail: { thingName, temperature: 21.5 },
  ...extra,
});

describe('in-process bus: delivery', () => {
  it('delivers an EventBridge envelope to each matching rule only, with ids and time from its dependencies', async () => {
    const { bus } = testBus();
    const got: EventBridgeEnvelope[] = [];
    const other: EventBridgeEnvelope[] = [];
    bus.subscribe({ name: 'state', pattern: { source: ['lwm2m.fleet'], 'detail-type': ['DeviceStateReported'] }, target: sink((e) => got.push(e)) });
    bus.subscribe({ name: 'alarms', pattern: { 'detail-type': ['AlarmRaised'] }, target: sink((e) => other.push(e)) });

    const result = await bus.put([reported('m1', { Resources: ['thing/m1'] })]);
    await bus.drain();

    expect(result).toEqual({ FailedEntryCount: 0, Entries: [{ EventId: 'evt-1' }] });
    expect(got).toEqual([
      {
        version: '0',
        id: 'evt-1',
        'detail-type': 'DeviceStateReported',
        source: 'lwm2m.fleet',
        account: '123456789012',
        time: '2026-03-01T12:00:00Z',
        region: 'eu-west-1',
        resources: ['thing/m1'],
        detail: { thingName: 'm1', temperature: 21.5 },
      },
    ]);
    expect(eventBridgeEnvelopeSchema.safeParse(got[0]).success).toBe(true);
    expect(other).toEqual([]);
  });

  it('matches rules on the envelope, detail included, with full EventBridge patterns', async () => {
    const { bus } = testBus();
    const got: string[] = [];
    bus.subscribe({ name: 'hot', pattern: { detail: { temperature: [{ numeric: ['>', 30] }] } }, target: sink((e) => got.push(e.id)) });
    await bus.put([reported('m1'), { ...reported('m2'), Detail: { thingName: 'm2', temperature: 35 } }]);
    await bus.drain();
    expect(got).toEqual(['evt-2']);
  });

  it('uses the entry’s Time when given, to the second as EventBridge does', async () => {
    const { bus } = testBus();
    const times: string[] = [];
    bus.subscribe({ name: 'all', pattern: { source: ['lwm2m.fleet'] }, target: sink((e) => times.push(e.time)) });
    await bus.put([reported('m1', { Time: new Date('2025-12-31T23:59:58.750Z') })]);
    await bus.drain();
    expect(times).toEqual(['2025-12-31T23:59:58Z']);
  });

  it('returns from put before the target finishes (asynchronous delivery)', async () => {
    const { bus } = testBus();
    const held = gate();
    const done: string[] = [];
    bus.subscribe({
      name: 'slow',
      pattern: { source: ['lwm2m.fleet'] },
      target: async (e) => {
        await held.opened;
        done.push(e.id);
      },
    });
    const result = await bus.put([reported('m1')]);
    expect(result.FailedEntryCount).toBe(0);
    expect(done).toEqual([]);
    held.open();
    await bus.drain();
    expect(done).toEqual(['evt-1']);
  });

  it('gives every rule its own copy of the event', async () => {
    const { bus } = testBus();
    const seen: unknown[] = [];
    bus.subscribe({ name: 'mutator', pattern: { source: ['lwm2m.fleet'] }, target: sink((e) => (e.detail.thingName = 'changed')) });
    bus.subscribe({ name: 'reader', pattern: { source: ['lwm2m.fleet'] }, target: sink((e) => seen.push(e.detail.thingName)) });
    await bus.put([reported('m1')]);
    await bus.drain();
    expect(seen).toEqual(['m1']);
  });

  it('rejects an invalid pattern and a duplicate rule name when subscribing', () => {
    const { bus } = testBus();
    expect(() => bus.subscribe({ name: 'bad', pattern: { source: 'lwm2m.fleet' }, target: async () => {} })).toThrow(PatternError);
    bus.subscribe({ name: 'r', pattern: { source: ['x'] }, target: async () => {} });
    expect(() => bus.subscribe({ name: 'r', pattern: { source: ['y'] }, target: async () => {} })).toThrow(/already subscribed/);
  });

  it('stops matching after unsubscribe but still delivers what was already queued', async () => {
    const { bus } = testBus();
    const held = gate();
    const got: string[] = [];
    const unsubscribe = bus.subscribe({
      name: 'r',
      pattern: { source: ['lwm2m.fleet'] },
      target: async (e) => {
        await held.opened;
        got.push(e.id);
      },
    });
    await bus.put([reported('m1'), reported('m2')]);
    unsubscribe();
    await bus.put([reported('m3')]);
    held.open();
    await bus.drain();
    expect(got).toEqual(['evt-1', 'evt-2']);
  });
});

describe('in-process bus: rules by source', () => {
  it('passes over entries from a source no rule lists, still accepting each with an id, and delivers the rest', async () => {
    const { bus } = testBus();
    const got: EventBridgeEnvelope[] = [];
    const prefixed: EventBridgeEnvelope[] = [];
    bus.subscribe({ name: 'ingest', pattern: { source: ['lwm2m.ingest'] }, target: sink((e) => got.push(e)) });
    // A non-plain source pattern can match anything: it is always tried.
    bus.subscribe({ name: 'prefixed', pattern: { source: [{ prefix: 'lwm2m.' }], 'detail-type': ['Other'] }, target: sink((e) => prefixed.push(e)) });

    const result = await bus.put([reported('m1'), reported('m2', { Source: 'lwm2m.ingest' }), reported('m3', { Source: 'lwm2m.ingest', DetailType: 'Other' })]);
    await bus.drain();

    expect(result).toEqual({ FailedEntryCount: 0, Entries: [{ EventId: 'evt-1' }, { EventId: 'evt-2' }, { EventId: 'evt-3' }] });
    expect(got.map((e) => e.detail.thingName)).toEqual(['m2', 'm3']);
    expect(prefixed.map((e) => [e.source, e.detail.thingName])).toEqual([['lwm2m.ingest', 'm3']]);
  });
});

describe('in-process bus: ordering and concurrency', () => {
  it('delivers one rule’s events one at a time in put order', async () => {
    const { bus } = testBus();
    const first = gate();
    const started: string[] = [];
    const finished: string[] = [];
    bus.subscribe({
      name: 'ordered',
      pattern: { source: ['lwm2m.fleet'] },
      target: async (e) => {
        started.push(e.id);
        if (e.id === 'evt-1') await first.opened;
        finished.push(e.id);
      },
    });
    await bus.put([reported('m1'), reported('m2')]);
    await bus.put([reported('m3')]);
    await Promise.resolve();
    expect(started).toEqual(['evt-1']);
    first.open();
    await bus.drain();
    expect(started).toEqual(['evt-1', 'evt-2', 'evt-3']);
    expect(finished).toEqual(['evt-1', 'evt-2', 'evt-3']);
  });

  it('runs up to maxConcurrency deliveries of one rule at once, and never more', async () => {
    const { bus } = testBus();
    const release = gate();
    let inFlight = 0;
    let peak = 0;
    const done: string[] = [];
    bus.subscribe({
      name: 'wide',
      pattern: { source: ['lwm2m.fleet'] },
      maxConcurrency: 3,
      target: async (e) => {
        peak = Math.max(peak, ++inFlight);
        await release.opened;
        inFlight--;
        done.push(e.id);
      },
    });
    await bus.put(Array.from({ length: 8 }, (_, i) => reported(`m${i}`)));
    await Promise.resolve();
    await Promise.resolve();
    expect(inFlight).toBe(3);
    release.open();
    await bus.drain();
    expect(peak).toBe(3);
    expect(done.sort()).toEqual(Array.from({ length: 8 }, (_, i) => `evt-${i + 1}`).sort());
    expect(() => bus.subscribe({ name: 'bad', pattern: { source: ['x'] }, maxConcurrency: 0, target: () => Promise.resolve() })).toThrow(/maxConcurrency/);
  });

  it('runs different rules independently: a stuck rule does not hold the others', async () => {
    const { bus } = testBus();
    const stuck = gate();
    const otherDone = gate();
    bus.subscribe({ name: 'stuck', pattern: { source: ['lwm2m.fleet'] }, target: () => stuck.opened });
    bus.subscribe({ name: 'free', pattern: { source: ['lwm2m.fleet'] }, target: sink(() => otherDone.open()) });
    await bus.put([reported('m1')]);
    await otherDone.opened; // would never resolve if "free" waited behind "stuck"
    stuck.open();
    await bus.drain();
  });

  it('drain waits for events that targets put while being delivered', async () => {
    const { bus } = testBus();
    const got: string[] = [];
    bus.subscribe({
      name: 'relay',
      pattern: { 'detail-type': ['DeviceStateReported'] },
      target: async (e) => {
        await bus.put([{ Source: 'lwm2m.fleet', DetailType: 'Relayed', Detail: { from: e.id } }]);
      },
    });
    bus.subscribe({ name: 'sink', pattern: { 'detail-type': ['Relayed'] }, target: sink((e) => got.push(String(e.detail.from))) });
    await bus.put([reported('m1')]);
    await bus.drain();
    expect(got).toEqual(['evt-1']);
  });
});

describe('in-process bus: retries and dead letters', () => {
  it('retries a failing target with exponential backoff and delivers once it succeeds', async () => {
    const { bus, waits } = testBus();
    let calls = 0;
    const seen: unknown[] = [];
    bus.subscribe({
      name: 'flaky',
      pattern: { source: ['lwm2m.fleet'] },
      target: (e) => {
        calls++;
        seen.push(e.detail.thingName);
        e.detail.thingName = 'mutated by a failed attempt';
        return calls < 3 ? Promise.reject(new Error('downstream unavailable')) : Promise.resolve();
      },
    });
    await bus.put([reported('m1')]);
    await bus.drain();
    expect(calls).toBe(3);
    expect(waits).toEqual([10, 20]);
    expect(seen).toEqual(['m1', 'm1', 'm1']);
    expect(bus.deadLetters()).toEqual([]);
  });

  it('caps the backoff at maxDelayMs', async () => {
    const { bus, waits } = testBus({ retry: { maxAttempts: 6, baseDelayMs: 10, factor: 3, maxDelayMs: 100 } });
    bus.subscribe({ name: 'down', pattern: { source: ['lwm2m.fleet'] }, target: () => Promise.reject(new Error('down')) });
    await bus.put([reported('m1')]);
    await bus.drain();
    expect(waits).toEqual([10, 30, 90, 100, 100]);
  });

  it('dead-letters an event after maxAttempts, with its error, and moves on to the next one', async () => {
    const onDeadLetter: string[] = [];
    const { bus, clock } = testBus({ onDeadLetter: (d) => onDeadLetter.push(d.event.id) });
    clock.advance(5_000);
    const delivered: string[] = [];
    bus.subscribe({
      name: 'picky',
      pattern: { source: ['lwm2m.fleet'] },
      target: (e) => {
        if (e.detail.thingName === 'bad') return Promise.reject(new Error(`cannot handle ${e.id}`));
        delivered.push(e.id);
        return Promise.resolve();
      },
    });
    bus.subscribe({ name: 'healthy', pattern: { source: ['lwm2m.fleet'] }, target: async () => {} });
    await bus.put([reported('bad'), reported('good')]);
    await bus.drain();

    expect(delivered).toEqual(['evt-2']);
    const letters = bus.deadLetters('picky');
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ rule: 'picky', attempts: 3, errorMessage: 'cannot handle evt-1', failedAt: '2026-03-01T12:00:05Z' });
    expect(letters[0]!.event).toMatchObject({ id: 'evt-1', detail: { thingName: 'bad' } });
    expect(letters[0]!.error).toBeInstanceOf(Error);
    expect(bus.deadLetters('healthy')).toEqual([]);
    expect(bus.deadLetters()).toHaveLength(1);
    expect(onDeadLetter).toEqual(['evt-1']);
  });

  it('keeps only the newest dead letters past deadLetterLimit', async () => {
    const { bus } = testBus({ retry: { maxAttempts: 1 }, deadLetterLimit: 2 });
    bus.subscribe({ name: 'down', pattern: { source: ['lwm2m.fleet'] }, target: () => Promise.reject(new Error('down')) });
    await bus.put([reported('m1'), reported('m2'), reported('m3')]);
    await bus.drain();
    expect(bus.deadLetters('down').map((d) => d.event.id)).toEqual(['evt-2', 'evt-3']);
  });

  it('treats a target that throws synchronously like one that rejects', async () => {
    const { bus } = testBus({ retry: { maxAttempts: 1 } });
    bus.subscribe({
      name: 'sync-thrower',
      pattern: { source: ['lwm2m.fleet'] },
      target: () => {
        throw new Error('sync');
      },
    });
    await bus.put([reported('m1')]);
    await bus.drain();
    expect(bus.deadLetters('sync-thrower').map((d) => d.errorMessage)).toEqual(['sync']);
  });

  it('waits with real timers by default and drain covers the waits', async () => {
    const bus = createInProcessBus({ retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
    let calls = 0;
    bus.subscribe({
      name: 'r',
      pattern: { source: ['lwm2m.fleet'] },
      target: () => {
        calls++;
        return Promise.reject(new Error('no'));
      },
    });
    await bus.put([reported('m1')]);
    await bus.drain();
    expect(calls).toBe(3);
    expect(bus.deadLetters('r')).toHaveLength(1);
  });
});

describe('in-process bus: PutEvents limits', () => {
  it('rejects a put of more than 10 entries, or of none, as a whole', async () => {
    const { bus } = testBus();
    await expect(bus.put(Array.from({ length: 11 }, (_, i) => reported(`m${i}`)))).rejects.toThrow(PutEventsValidationError);
    await expect(bus.put(Array.from({ length: 11 }, (_, i) => reported(`m${i}`)))).rejects.toThrow(/at most 10 entries, got 11/);
    await expect(bus.put([])).rejects.toThrow(/at least one entry/);
    const ten = await bus.put(Array.from({ length: 10 }, (_, i) => reported(`m${i}`)));
    expect(ten.FailedEntryCount).toBe(0);
  });

  it('fails an entry over 256 KB alone, counting size as AWS documents', async () => {
    const { bus } = testBus();
    const got: string[] = [];
    bus.subscribe({ name: 'all', pattern: { source: ['s'] }, target: sink((e) => got.push(e.id)) });
    // Source "s" (1) + DetailType "t" (1) + Detail {"x":"…"} (8 + n bytes)
    const sized = (n: number): BusEntry => ({ Source: 's', DetailType: 't', Detail: { x: 'a'.repeat(n) } });
    const exactly = MAX_ENTRY_BYTES - 10;
    const result = await bus.put([sized(exactly), sized(exactly + 1), { ...sized(exactly - 14), Time: new Date('2026-01-01T00:00:00Z') }]);
    await bus.drain();
    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries[0]).toEqual({ EventId: 'evt-1' });
    expect(result.Entries[1]).toMatchObject({ ErrorCode: 'InvalidArgument' });
    expect(result.Entries[1]!.ErrorMessage).toMatch(/262145 bytes; PutEvents accepts at most 262144/);
    expect(result.Entries[2]).toEqual({ EventId: 'evt-2' });
    expect(got).toEqual(['evt-1', 'evt-2']);
  });

  it('reports malformed entries per entry and accepts the rest', async () => {
    const { bus } = testBus();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const entries = [
      reported('m1'),
      { Source: '', DetailType: 'X', Detail: {} },
      { Source: 's', DetailType: 'X', Detail: [1, 2] },
      { Source: 's', DetailType: 'X', Detail: circular },
      { Source: 's', DetailType: 'X', Detail: {}, Resources: 'thing/m1' },
      { Source: 's', DetailType: 'X', Detail: {}, Time: new Date('not a date') },
      null,
    ] as unknown as BusEntry[];
    const result = await bus.put(entries);
    expect(result.FailedEntryCount).toBe(6);
    expect(result.Entries.map((e) => e.EventId ?? e.ErrorCode)).toEqual([
      'evt-1',
      'InvalidArgument',
      'MalformedDetail',
      'MalformedDetail',
      'InvalidArgument',
      'InvalidArgument',
      'InvalidArgument',
    ]);
    expect(result.Entries[1]!.ErrorMessage).toMatch(/Source is required/);
    expect(result.Entries[3]!.ErrorMessage).toMatch(/cannot be serialised as JSON/);
  });
});

describe('in-process bus: close', () => {
  it('finishes accepted deliveries, then refuses puts and subscriptions', async () => {
    const { bus } = testBus();
    const held = gate();
    const got: string[] = [];
    bus.subscribe({
      name: 'r',
      pattern: { source: ['lwm2m.fleet'] },
      target: async (e) => {
        await held.opened;
        got.push(e.id);
      },
    });
    await bus.put([reported('m1')]);
    const closing = bus.close();
    await expect(bus.put([reported('m2')])).rejects.toThrow(BusClosedError);
    expect(() => bus.subscribe({ name: 'late', pattern: { source: ['x'] }, target: async () => {} })).toThrow(BusClosedError);
    held.open();
    await closing;
    expect(got).toEqual(['evt-1']);
  });
});
