import { describe, expect, it } from 'vitest';
import { BlockAssembler } from '../../../functions/lwm2m/coap/blockAssembly.ts';
import { Code } from '../../../functions/lwm2m/coap/message.ts';
import { RecentMessages } from '../../../functions/lwm2m/coap/recentMessages.ts';
import { coapTiming } from '../../../functions/lwm2m/coap/timing.ts';
import { checkPath, writeAttributesRequest } from '../../../functions/lwm2m/deviceManagement.ts';
import { Lwm2mError } from '../../../functions/lwm2m/errors.ts';
import { throttledWarn } from '../../../functions/lwm2m/log.ts';
import { NotificationStream } from '../../../functions/lwm2m/notificationStream.ts';
import { isFresher } from '../../../functions/lwm2m/observations.ts';
import { AddressRateLimiter } from '../../../functions/lwm2m/rateLimiter.ts';
import { manualScheduler } from '../../../functions/lwm2m/scheduler.ts';
import { recordingLog } from './support.ts';

describe('CoAP timing (RFC 7252 §4.8.2)', () => {
  it('derives the RFC defaults: MAX_TRANSMIT_SPAN 45 s, MAX_TRANSMIT_WAIT 93 s, EXCHANGE_LIFETIME 247 s', () => {
    const t = coapTiming();
    expect(t.maxTransmitSpanMs).toBe(45_000);
    expect(t.maxTransmitWaitMs).toBe(93_000);
    expect(t.exchangeLifetimeMs).toBe(247_000);
  });

  it('refuses parameters that would break retransmission', () => {
    expect(() => coapTiming({ ackTimeoutMs: 0 })).toThrow(/ackTimeoutMs/);
    expect(() => coapTiming({ ackRandomFactor: 0.5 })).toThrow(/ackRandomFactor/);
    expect(() => coapTiming({ maxRetransmit: 1.5 })).toThrow(/maxRetransmit/);
  });
});

describe('manual scheduler', () => {
  it('runs due tasks in time order inside advance, and not cancelled ones', () => {
    const s = manualScheduler(0);
    const ran: string[] = [];
    s.after(30, () => ran.push('c'));
    s.after(10, () => ran.push('a'));
    const cancelled = s.after(20, () => ran.push('x'));
    s.after(20, () => s.after(5, () => ran.push('b')));
    cancelled.cancel();
    s.advance(25);
    expect(ran).toEqual(['a', 'b']);
    s.advance(5);
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(s.now()).toBe(30);
    expect(s.pending()).toBe(0);
  });
});

describe('duplicate detection cache', () => {
  it('remembers for one lifetime and never holds more than its cap', () => {
    const s = manualScheduler(0);
    const recent = new RecentMessages(1000, 3, () => s.now());
    recent.remember('a').reply = Buffer.from('x');
    expect(recent.lookup('a')?.reply?.toString()).toBe('x');
    s.advance(1000);
    expect(recent.lookup('a')).toBeUndefined();
    for (const k of ['1', '2', '3', '4']) recent.remember(k);
    expect(recent.size).toBe(3);
    expect(recent.lookup('1')).toBeUndefined();
    expect(recent.lookup('4')).toBeDefined();
  });
});

describe('Block1 reassembly (RFC 7959)', () => {
  const limits = { maxBodyBytes: 100, maxAssemblies: 2, lifetimeMs: 1000, preferredSzx: 6 };
  const sixteen = (fill: number) => Buffer.alloc(16, fill);

  it('assembles in-order blocks and answers Continue for each but the last', () => {
    const a = new BlockAssembler(limits, () => 0);
    expect(a.receive('k', { num: 0, more: true, szx: 0 }, sixteen(1), undefined)).toMatchObject({ kind: 'continue' });
    expect(a.receive('k', { num: 1, more: true, szx: 0 }, sixteen(2), undefined)).toMatchObject({ kind: 'continue' });
    const done = a.receive('k', { num: 2, more: false, szx: 0 }, Buffer.from([3]), undefined);
    expect(done.kind).toBe('complete');
    if (done.kind === 'complete') expect(done.payload).toEqual(Buffer.concat([sixteen(1), sixteen(2), Buffer.from([3])]));
    expect(a.inProgress).toBe(0);
  });

  it('a gap or a block without block 0 is 4.08; a short middle block is 4.00; too much is 4.13 with Size1', () => {
    const a = new BlockAssembler(limits, () => 0);
    expect(a.receive('gap', { num: 3, more: true, szx: 0 }, sixteen(0), undefined)).toMatchObject({ code: Code.REQUEST_ENTITY_INCOMPLETE });
    a.receive('skip', { num: 0, more: true, szx: 0 }, sixteen(0), undefined);
    expect(a.receive('skip', { num: 2, more: true, szx: 0 }, sixteen(0), undefined)).toMatchObject({ code: Code.REQUEST_ENTITY_INCOMPLETE });
    expect(a.receive('short', { num: 0, more: true, szx: 0 }, Buffer.alloc(5), undefined)).toMatchObject({ code: Code.BAD_REQUEST });
    expect(a.receive('announced', { num: 0, more: true, szx: 0 }, sixteen(0), 5000)).toMatchObject({ code: Code.REQUEST_ENTITY_TOO_LARGE, size1: 100 });
    let step = a.receive('big', { num: 0, more: true, szx: 0 }, sixteen(0), undefined);
    for (let n = 1; step.kind === 'continue'; n += 1) step = a.receive('big', { num: n, more: true, szx: 0 }, sixteen(0), undefined);
    expect(step).toMatchObject({ kind: 'reject', code: Code.REQUEST_ENTITY_TOO_LARGE, size1: 100 });
  });

  it('holds at most maxAssemblies bodies: the oldest idle one is forgotten', () => {
    const a = new BlockAssembler(limits, () => 0);
    for (const k of ['a', 'b', 'c']) a.receive(k, { num: 0, more: true, szx: 0 }, sixteen(0), undefined);
    expect(a.inProgress).toBe(2);
    expect(a.receive('a', { num: 1, more: false, szx: 0 }, Buffer.alloc(1), undefined)).toMatchObject({ code: Code.REQUEST_ENTITY_INCOMPLETE });
  });
});

describe('per-address rate limit', () => {
  it('allows a burst, then one per refill interval, per address', () => {
    const s = manualScheduler(0);
    const limiter = new AddressRateLimiter({ burst: 3, perSecond: 1 }, () => s.now());
    expect([1, 2, 3].map(() => limiter.take('10.0.0.1').allowed)).toEqual([true, true, true]);
    expect(limiter.take('10.0.0.1')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.take('10.0.0.2').allowed).toBe(true);
    s.advance(1000);
    expect(limiter.take('10.0.0.1').allowed).toBe(true);
    expect(limiter.take('10.0.0.1').allowed).toBe(false);
  });
});

describe('notification ordering (RFC 7641 §3.4)', () => {
  it('newer by sequence, with 24-bit wrap-around, or by 128 s', () => {
    expect(isFresher(5, 0, 6, 0)).toBe(true);
    expect(isFresher(6, 0, 5, 0)).toBe(false);
    expect(isFresher(2 ** 24 - 1, 0, 0, 0)).toBe(true);
    expect(isFresher(0, 0, 2 ** 24 - 1, 0)).toBe(false);
    expect(isFresher(6, 0, 5, 128_001)).toBe(true);
  });
});

describe('notification stream', () => {
  it('hands items to a waiting reader, buffers the rest, drops the oldest past capacity, ends after the buffer', async () => {
    let dropped = 0;
    const stream = new NotificationStream<number>(2, () => (dropped += 1));
    const iterator = stream[Symbol.asyncIterator]();
    const first = iterator.next();
    stream.push(1);
    expect(await first).toEqual({ value: 1, done: false });
    stream.push(2);
    stream.push(3);
    stream.push(4);
    stream.end();
    expect(dropped).toBe(1);
    expect(await iterator.next()).toEqual({ value: 3, done: false });
    expect(await iterator.next()).toEqual({ value: 4, done: false });
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });
});

describe('device management requests', () => {
  it('checks path syntax and depth per operation before anything is sent', () => {
    expect(checkPath('read', '/3/0/1')).toBe('/3/0/1');
    expect(() => checkPath('execute', '/3/0')).toThrow(/execute does not apply to an object instance/);
    expect(() => checkPath('create', '/3/0')).toThrow(Lwm2mError);
    expect(() => checkPath('delete', '/3')).toThrow(/delete does not apply to an object/);
    expect(() => checkPath('read', '3/0')).toThrow(/must start with/);
  });

  it('write-attributes writes numbers, removes with null, refuses unknown names and bad values', () => {
    const request = writeAttributesRequest('', '/3/0/9', { pmin: 10, pmax: null, gt: 20.5, edge: 1 });
    const query = request.options.filter((o) => o.number === 15).map((o) => o.value.toString());
    expect(query).toEqual(['pmin=10', 'pmax', 'gt=20.5', 'edge=1']);
    expect(() => writeAttributesRequest('', '/3/0/9', { pmin: -1 })).toThrow(/pmin=-1/);
    expect(() => writeAttributesRequest('', '/3/0/9', { colour: 1 } as never)).toThrow(/unknown attribute 'colour'/);
    expect(() => writeAttributesRequest('', '/3/0/9', {})).toThrow(/at least one/);
  });
});

describe('throttled rejection log', () => {
  it('logs the first lines of a kind per window, then one line with the number suppressed', () => {
    const s = manualScheduler(0);
    const { log, lines } = recordingLog();
    const warn = throttledWarn(log, () => s.now(), { perKind: 2, windowMs: 1000 });
    for (let i = 0; i < 5; i += 1) warn('flood', {}, 'x');
    warn('other', {}, 'y');
    expect(lines.map((l) => l.message)).toEqual(['x', 'x', 'y']);
    s.advance(1000);
    warn('flood', {}, 'x');
    expect(lines.map((l) => l.message).slice(3)).toEqual(["3 more 'flood' rejections were not logged in the last window", 'x']);
  });
});
