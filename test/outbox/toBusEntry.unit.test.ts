import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../events/envelope.ts';
import type { EventBridgeEnvelope } from '../../functions/bus/envelope.ts';
import { createInProcessBus } from '../../functions/bus/inProcessBus.ts';
import { checkEntry, MAX_ENTRY_BYTES } from '../../functions/bus/putEventsLimits.ts';
import { toPublishedEnvelope } from '../../functions/outbox/publishedEnvelope.ts';
import { createEnvelopeIdSlot, publishedEventId } from '../../functions/outbox/publishedEventId.ts';
import { DOMAIN_EVENT_SOURCE, EVENT_TOO_LARGE_DETAIL_TYPE, toBusEntry } from '../../functions/outbox/toBusEntry.ts';

const stored = (overrides: Partial<StoredEvent> = {}): StoredEvent => ({
  eventId: 'e-1',
  streamId: 'device-m1',
  streamPosition: 3,
  globalPosition: 42,
  type: 'AlarmRaised',
  typeVersion: 1,
  recordedAt: '2026-03-04T05:06:07.890Z',
  actor: { kind: 'device', id: 'm1' },
  correlationId: 'msg-9',
  data: { thingName: 'm1', alarm: 'high-temperature' },
  ...overrides,
});

describe('toBusEntry: the one mapping from a stored event to its bus entry', () => {
  it('names the source, the event type as detail-type, the stream as resource, the record time, and carries the whole event', () => {
    const entry = toBusEntry(stored());
    expect(entry).toEqual({
      Source: 'lwm2m.fleet',
      DetailType: 'AlarmRaised',
      Resources: ['device-m1'],
      Time: new Date('2026-03-04T05:06:07.890Z'),
      Detail: {
        eventId: 'e-1',
        streamId: 'device-m1',
        streamPosition: 3,
        globalPosition: 42,
        type: 'AlarmRaised',
        typeVersion: 1,
        recordedAt: '2026-03-04T05:06:07.890Z',
        actor: { kind: 'device', id: 'm1' },
        correlationId: 'msg-9',
        data: { thingName: 'm1', alarm: 'high-temperature' },
      },
    });
    expect(checkEntry(entry).ok).toBe(true);
  });

  it('leaves out what the event does not have (no correlation id, no global position on DynamoDB)', () => {
    const { correlationId: _c, globalPosition: _g, ...bare } = stored();
    const detail = toBusEntry(bare).Detail;
    expect(detail).not.toHaveProperty('correlationId');
    expect(detail).not.toHaveProperty('globalPosition');
    expect(detail).not.toHaveProperty('causationId');
    expect(toBusEntry(stored({ causationId: 'cmd-1' })).Detail.causationId).toBe('cmd-1');
  });

  it('turns an event too large for PutEvents into a notice without its data, which still fits', () => {
    const big = stored({ data: { blob: 'x'.repeat(MAX_ENTRY_BYTES) } });
    const entry = toBusEntry(big);
    expect(entry.DetailType).toBe(EVENT_TOO_LARGE_DETAIL_TYPE);
    expect(entry.Source).toBe(DOMAIN_EVENT_SOURCE);
    expect(entry.Resources).toEqual(['device-m1']);
    expect(entry.Detail).not.toHaveProperty('data');
    expect(entry.Detail).toMatchObject({ eventId: 'e-1', streamId: 'device-m1', streamPosition: 3, type: 'AlarmRaised' });
    expect(String(entry.Detail.reason)).toMatch(/256 KB/);
    expect(checkEntry(entry).ok).toBe(true);
  });

  it('does not produce an entry the bus would refuse when the record time is unreadable', () => {
    const entry = toBusEntry(stored({ recordedAt: 'not a time' }));
    expect(entry).not.toHaveProperty('Time');
    expect(checkEntry(entry).ok).toBe(true);
  });
});

describe('published envelope ids', () => {
  it('are UUID-shaped, stable per event id and distinct between events', () => {
    const a = publishedEventId('e-1');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(publishedEventId('e-1')).toBe(a);
    expect(publishedEventId('e-2')).not.toBe(a);
  });

  it('are lent to the bus for one put only: later puts get fallback ids again', async () => {
    let n = 0;
    const slot = createEnvelopeIdSlot(() => `random-${++n}`);
    const bus = createInProcessBus({ ids: slot.next });
    const entry = { Source: 's', DetailType: 'd', Detail: {} };
    const lent = await slot.lend(['x', 'y'], () => bus.put([entry, entry, entry]));
    expect(lent.Entries.map((e) => e.EventId)).toEqual(['x', 'y', 'random-1']);
    const after = await bus.put([entry]);
    expect(after.Entries.map((e) => e.EventId)).toEqual(['random-2']);
  });

  it('toPublishedEnvelope is exactly what a bus rule receives for the outbox entry', async () => {
    const slot = createEnvelopeIdSlot();
    const bus = createInProcessBus({ ids: slot.next });
    const got: EventBridgeEnvelope[] = [];
    bus.subscribe({ name: 'all', pattern: { source: ['lwm2m.fleet'] }, target: (e) => Promise.resolve(void got.push(e)) });
    const events = [stored(), stored({ eventId: 'e-2', data: { blob: 'x'.repeat(MAX_ENTRY_BYTES) } })];
    await slot.lend(
      events.map((e) => publishedEventId(e.eventId)),
      () => bus.put(events.map(toBusEntry)),
    );
    await bus.drain();
    expect(got).toEqual(events.map((e) => toPublishedEnvelope(e)));
    expect(JSON.stringify(got[0])).toBe(JSON.stringify(toPublishedEnvelope(events[0]!)));
    expect(got[0]).toMatchObject({ id: publishedEventId('e-1'), time: '2026-03-04T05:06:07Z', account: '000000000000', region: 'local' });
  });
});
