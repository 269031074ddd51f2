import { afterAll, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../events/envelope.ts';
import { toPublishedEnvelope } from '../../functions/outbox/publishedEnvelope.ts';
import { manualClock } from '../../functions/shared/clock.ts';
import { verifySignature } from '../../functions/subscriptions/signature.ts';
import { provisioned, reported } from '../support/events.ts';
import { startReceiver, type Receiver } from './receiver.ts';
import { openStore, outcomeLog, removeTempDirs, SECRET, startSubscriptions, subscriptionsFile, tempDbFile } from './support.ts';

const receivers: Receiver[] = [];
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  removeTempDirs();
});

const receiver = async (...args: Parameters<typeof startReceiver>) => {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
};

const provisionedOnly = { source: ['lwm2m.fleet'], 'detail-type': ['DeviceProvisioned'] };

const append = (store: ReturnType<typeof openStore>, thingName: string, event: NewEvent = provisioned(thingName)) =>
  store.events.append({ streamId: `device-${thingName}`, expectedVersion: 'any', events: [event] }).then((r) => r.events[0]!);

describe('webhook subscriptions over HTTP', () => {
  it('delivers each matching event once, with its id and a valid signature, and never a non-matching one', async () => {
    const store = openStore(tempDbFile());
    const before = await append(store, 'old'); // stored before the subscription existed: a new rule sees only new events
    const r = await receiver();
    const log = outcomeLog();
    const subs = startSubscriptions(store, subscriptionsFile({ name: 'provisioned', pattern: provisionedOnly, target: { url: `${r.url}/hook?x=1`, headers: { 'X-Api-Key': 'k1' } } }), log);

    const matching = [await append(store, 'm1'), await append(store, 'm2')];
    await append(store, 'm1', reported('m1', '/3303/0/5700', 21.5, '2026-01-01T00:00:00Z'));
    matching.push(await append(store, 'm3'));
    await append(store, 'm2', reported('m2', '/3303/0/5700', 22, '2026-01-01T00:00:01Z'));

    await log.until((l) => l.filter((o) => o.kind === 'delivered').length === 3);
    await subs.engine.settled();
    // Everything appended has been matched, and nothing is left queued: the non-matching events can never arrive.
    expect(subs.engine.pending().size).toBe(0);
    expect(r.received).toHaveLength(3);

    const byId = new Map(r.received.map((req) => [req.headers['x-fleet-event-id'] as string, req]));
    expect([...byId.keys()].sort()).toEqual(matching.map((e) => e.eventId).sort());
    expect(byId.has(before.eventId)).toBe(false);
    for (const event of matching) {
      const req = byId.get(event.eventId)!;
      expect(req.method).toBe('POST');
      expect(req.path).toBe('/hook?x=1');
      expect(req.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(req.headers['x-api-key']).toBe('k1');
      expect(req.headers['x-fleet-subscription']).toBe('provisioned');
      expect(req.headers['x-fleet-delivery-attempt']).toBe('1');
      expect(verifySignature(req.body, req.headers['x-fleet-signature'] as string, SECRET)).toBe(true);
      expect(verifySignature(req.body, req.headers['x-fleet-signature'] as string, 'another-secret-entirely')).toBe(false);
      expect(verifySignature(`${req.body} `, req.headers['x-fleet-signature'] as string, SECRET)).toBe(false);
      // The body is the envelope a bus rule gets from the outbox for this event, byte for byte.
      expect(req.body).toBe(JSON.stringify(toPublishedEnvelope(event)));
    }
    await subs.stop();
    store.db.close();
  });

  it('retries a receiver that fails three times, then delivers (attempt 4)', async () => {
    const store = openStore(tempDbFile());
    const r = await receiver((_req, i) => (i < 3 ? { status: 503, body: 'warming up' } : { status: 204 }));
    const log = outcomeLog();
    const subs = startSubscriptions(store, subscriptionsFile({ name: 'flaky', pattern: provisionedOnly, target: { url: r.url } }), log);
    const event = await append(store, 'm1');

    await log.until((l) => l.some((o) => o.kind === 'delivered'));
    expect(log.list.map((o) => o.kind)).toEqual(['retrying', 'retrying', 'retrying', 'delivered']);
    expect(log.list[0]).toMatchObject({ errorCode: 'HTTP 503', errorMessage: expect.stringContaining('warming up') as unknown });
    expect(log.list[3]).toMatchObject({ kind: 'delivered', eventId: event.eventId, attempts: 4, status: 204 });
    expect(r.received.map((q) => q.headers['x-fleet-delivery-attempt'])).toEqual(['1', '2', '3', '4']);
    expect(new Set(r.received.map((q) => q.headers['x-fleet-event-id']))).toEqual(new Set([event.eventId]));
    expect(new Set(r.received.map((q) => q.body)).size).toBe(1);
    expect(subs.engine.pending().size).toBe(0);
    await subs.stop();
    store.db.close();
  });

  it('dead-letters after the maximum attempts of a receiver that always fails; the dead letter survives a restart and can be redriven', async () => {
    const file = tempDbFile();
    const store = openStore(file);
    const r = await receiver(() => ({ status: 500 }));
    const log = outcomeLog();
    const spec = subscriptionsFile({ name: 'broken', pattern: provisionedOnly, target: { url: r.url }, retry: { maximumRetryAttempts: 2 } });
    const subs = startSubscriptions(store, spec, log);
    const event = await append(store, 'm1');

    await log.until((l) => l.some((o) => o.kind === 'dead-lettered'));
    expect(r.received).toHaveLength(3); // the first attempt and two retries
    const [letter] = subs.engine.deadLetters();
    expect(letter).toMatchObject({
      subscription: 'broken',
      eventId: event.eventId,
      attempts: 3,
      errorCode: 'HTTP 500',
      status: 500,
      exhaustedRetryCondition: 'MaximumRetryAttempts',
      envelope: { detail: { eventId: event.eventId } },
    });
    expect(subs.engine.pending().size).toBe(0);
    await subs.stop();
    store.db.close();

    // Dead letters are in SQLite: a new process lists them, and redrives them once the receiver is fixed.
    const reopened = openStore(file);
    r.answerWith(() => ({ status: 200 }));
    const log2 = outcomeLog();
    const again = startSubscriptions(reopened, spec, log2);
    expect(again.engine.deadLetters({ subscription: 'broken' }).map((d) => d.eventId)).toEqual([event.eventId]);
    expect(() => again.engine.redrive({ subscription: 'nobody' })).toThrow(/no subscription named "nobody"/);
    expect(again.engine.redrive({ subscription: 'broken' })).toBe(1);
    await log2.until((l) => l.some((o) => o.kind === 'delivered'));
    expect(log2.list.at(-1)).toMatchObject({ kind: 'delivered', eventId: event.eventId, attempts: 1 });
    expect(again.engine.deadLetters()).toEqual([]);
    expect(r.received).toHaveLength(4);
    await again.stop();
    reopened.db.close();
  });

  it('does not retry a 4xx other than 429, retries a 429, and stops on a negative Retry-After', async () => {
    const store = openStore(tempDbFile());
    const r = await receiver((req) => {
      const thing = (JSON.parse(req.body) as { detail: { data: { thingName: string } } }).detail.data.thingName;
      if (thing === 'gone') return { status: 404, body: 'no such hook' };
      if (thing === 'refuse') return { status: 503, headers: { 'retry-after': '-1' } };
      const attempt = req.headers['x-fleet-delivery-attempt'];
      return attempt === '1' ? { status: 429, headers: { 'retry-after': '0' } } : { status: 200 };
    });
    const log = outcomeLog();
    const subs = startSubscriptions(store, subscriptionsFile({ name: 'codes', pattern: provisionedOnly, target: { url: r.url } }), log);
    const gone = await append(store, 'gone');
    const slow = await append(store, 'slow');
    const refuse = await append(store, 'refuse');

    await log.until((l) => l.filter((o) => o.kind !== 'retrying').length === 3);
    const final = new Map(log.list.filter((o) => o.kind !== 'retrying').map((o) => [o.eventId, o]));
    expect(final.get(gone.eventId)).toMatchObject({ kind: 'dead-lettered', deadLetter: { attempts: 1, errorCode: 'HTTP 404', errorMessage: expect.stringContaining('no such hook') as unknown } });
    expect(final.get(gone.eventId)).not.toHaveProperty('deadLetter.exhaustedRetryCondition');
    expect(final.get(slow.eventId)).toMatchObject({ kind: 'delivered', attempts: 2 });
    expect(final.get(refuse.eventId)).toMatchObject({ kind: 'dead-lettered', deadLetter: { attempts: 1, errorCode: 'RetryAfterRefused' } });
    expect(r.received.filter((q) => q.headers['x-fleet-event-id'] === gone.eventId)).toHaveLength(1);
    await subs.stop();
    store.db.close();
  });

  it('gives up once the event is older than maximumEventAgeSeconds, or when Retry-After asks for longer than that', async () => {
    const store = openStore(tempDbFile());
    const clock = manualClock('2026-01-01T00:00:00Z');
    const r = await receiver((req) => {
      const thing = (JSON.parse(req.body) as { detail: { data: { thingName: string } } }).detail.data.thingName;
      return thing === 'patient' ? { status: 503, headers: { 'retry-after': '120' } } : { status: 500 };
    });
    const log = outcomeLog();
    const subs = startSubscriptions(store, subscriptionsFile({ name: 'aging', pattern: provisionedOnly, target: { url: r.url }, retry: { maximumEventAgeSeconds: 60 } }), log, { clock });
    const old = await append(store, 'old');
    await log.until((l) => l.some((o) => o.kind === 'retrying' && o.eventId === old.eventId));
    clock.advance(61_000); // the retry is due, but the event is now too old to try again
    await log.until((l) => l.some((o) => o.kind === 'dead-lettered' && o.eventId === old.eventId));
    const patient = await append(store, 'patient');
    await log.until((l) => l.some((o) => o.kind === 'dead-lettered' && o.eventId === patient.eventId));

    const letters = new Map(subs.engine.deadLetters().map((d) => [d.eventId, d]));
    expect(letters.get(old.eventId)).toMatchObject({ attempts: 1, errorCode: 'MaximumEventAgeExceeded', exhaustedRetryCondition: 'MaximumEventAgeInSeconds' });
    expect(letters.get(old.eventId)!.errorMessage).toContain('HTTP 500');
    expect(letters.get(patient.eventId)).toMatchObject({ attempts: 1, errorCode: 'HTTP 503', exhaustedRetryCondition: 'MaximumEventAgeInSeconds' });
    expect(r.received).toHaveLength(2); // one attempt each: no request was made past the age limit
    await subs.stop();
    store.db.close();
  });

  it('retries a receiver that does not answer in time, and one that cannot be reached', async () => {
    const store = openStore(tempDbFile());
    const r = await receiver((_req, i) => (i === 0 ? 'hold' : { status: 200 }));
    const closed = await startReceiver();
    await closed.close();
    const log = outcomeLog();
    const subs = startSubscriptions(
      store,
      subscriptionsFile(
        { name: 'slow', pattern: provisionedOnly, target: { url: r.url } },
        { name: 'unreachable', pattern: provisionedOnly, target: { url: closed.url }, retry: { maximumRetryAttempts: 1 } },
      ),
      log,
      { timeoutMs: 1000 },
    );
    const event = await append(store, 'm1');

    await log.until((l) => l.some((o) => o.kind === 'delivered') && l.some((o) => o.kind === 'dead-lettered'));
    const slow = log.list.filter((o) => o.subscription === 'slow');
    expect(slow.map((o) => o.kind)).toEqual(['retrying', 'delivered']);
    expect(slow[0]).toMatchObject({ errorCode: 'Timeout', eventId: event.eventId });
    const unreachable = log.list.filter((o) => o.subscription === 'unreachable');
    expect(unreachable.map((o) => o.kind)).toEqual(['retrying', 'dead-lettered']);
    expect(unreachable[1]).toMatchObject({ deadLetter: { errorCode: 'NetworkError', attempts: 2, exhaustedRetryCondition: 'MaximumRetryAttempts' } });
    await subs.stop();
    store.db.close();
  });

  it('sends what inputPath selects or what the input transformer makes, signed as sent', async () => {
    const store = openStore(tempDbFile());
    const r = await receiver();
    const log = outcomeLog();
    const subs = startSubscriptions(
      store,
      subscriptionsFile(
        { name: 'data-only', pattern: provisionedOnly, target: { url: `${r.url}/data`, method: 'PUT', inputPath: '$.detail.data' } },
        {
          name: 'chat',
          pattern: provisionedOnly,
          target: {
            url: `${r.url}/chat`,
            inputTransformer: {
              inputPathsMap: { thing: '$.detail.data.thingName', tenant: '$.detail.data.tenant', stream: '$.resources[0]' },
              inputTemplate: '{"text": "Device <thing> provisioned for \\"<tenant>\\"", "stream": <stream>, "rule": <aws.events.rule-name>}',
            },
          },
        },
      ),
      log,
    );
    // Quotes and a backslash in a value must not break the JSON the template builds.
    const event = await append(store, 'm1', provisioned('m1', { tenant: 'city "north" \\ east' }));

    await log.until((l) => l.filter((o) => o.kind === 'delivered').length === 2);
    const data = r.received.find((q) => q.path === '/data')!;
    const chat = r.received.find((q) => q.path === '/chat')!;
    expect(data.method).toBe('PUT');
    expect(JSON.parse(data.body)).toEqual(event.data);
    expect(JSON.parse(chat.body)).toEqual({ text: 'Device m1 provisioned for "city "north" \\ east"', stream: 'device-m1', rule: 'chat' });
    for (const q of [data, chat]) expect(verifySignature(q.body, q.headers['x-fleet-signature'] as string, SECRET)).toBe(true);
    await subs.stop();
    store.db.close();
  });

  it('a stop in the middle loses nothing: after the restart only deliveries that were not acknowledged are sent again', async () => {
    const file = tempDbFile();
    const store = openStore(file);
    // The first two requests are answered; the next ones are held, so their deliveries are never acknowledged.
    const r = await receiver((_req, i) => (i < 2 ? { status: 200 } : 'hold'));
    const log = outcomeLog();
    const spec = subscriptionsFile({ name: 'audit', pattern: provisionedOnly, target: { url: r.url } });
    const first = startSubscriptions(store, spec, log, { maxConcurrency: 1 });
    const events = [];
    for (let i = 0; i < 4; i++) events.push(await append(store, `m${i}`));
    await log.until((l) => l.filter((o) => o.kind === 'delivered').length === 2);
    await r.until(3); // the third delivery is in flight, held by the receiver
    await first.stop();
    // Appended while no subscription process runs.
    events.push(await append(store, 'm4'));
    store.db.close();

    const reopened = openStore(file);
    r.answerWith(() => ({ status: 200 }));
    const log2 = outcomeLog();
    const second = startSubscriptions(reopened, spec, log2);
    await log2.until((l) => l.filter((o) => o.kind === 'delivered').length === 3);
    await second.engine.settled();
    expect(second.engine.pending().size).toBe(0);

    const times = new Map<string, number>();
    for (const q of r.received) times.set(q.headers['x-fleet-event-id'] as string, (times.get(q.headers['x-fleet-event-id'] as string) ?? 0) + 1);
    const acknowledged = log.list.filter((o) => o.kind === 'delivered').map((o) => o.eventId);
    // Every event arrived; the acknowledged ones exactly once; only the one held at the stop came twice.
    expect([...times.keys()].sort()).toEqual(events.map((e) => e.eventId).sort());
    for (const id of acknowledged) expect(times.get(id)).toBe(1);
    const twice = [...times].filter(([, n]) => n > 1).map(([id]) => id);
    expect(twice).toHaveLength(1);
    expect(acknowledged).not.toContain(twice[0]);
    await second.stop();
    reopened.db.close();
  });
});
