import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../events/envelope.ts';
import { alarmsProjection, deviceStateProjection, foldProjection, type AnyProjection, type DeviceStateRow } from '../../events/projections/index.ts';
import { newEvent } from '../support/events.ts';
import { deviceLife, readableEvents, seeded } from './support.ts';

const storedLife = (thingName: string, seed: number): StoredEvent[] => {
  let ms = Date.parse('2026-03-01T00:00:00Z');
  let position = 0;
  return deviceLife(thingName, 120, seed, ms).flatMap((step) => {
    ms += step.advanceMs;
    return step.events.map((e) => ({ ...e, streamId: `device-${thingName}`, streamPosition: ++position, recordedAt: new Date(ms).toISOString() }));
  });
};

describe('foldProjection continued page by page', () => {
  const cases: { name: string; projection: AnyProjection }[] = [
    { name: 'device state', projection: deviceStateProjection },
    { name: 'alarms', projection: alarmsProjection },
  ];

  it.each(cases)('gives the same rows as one fold over every event, wherever the pages are cut ($name)', ({ projection }) => {
    for (const seed of [1, 2, 3]) {
      const events = readableEvents(storedLife(`meter-${seed}`, seed));
      expect(events.length).toBeGreaterThan(500);
      const expected = foldProjection(projection, events);
      expect(expected.size).toBeGreaterThan(0);
      const r = seeded(seed * 101);
      for (let attempt = 0; attempt < 5; attempt++) {
        const rows = new Map<string, unknown>();
        for (let at = 0; at < events.length; ) {
          const size = r.int(1, 80);
          foldProjection(projection, events.slice(at, at + size), rows);
          at += size;
        }
        expect(rows).toEqual(expected);
      }
    }
  });

  it('deletes a row the projection deletes, and a later event starts it afresh', () => {
    const t = (s: number) => `2026-03-01T00:00:0${s}Z`;
    const stored = (e: ReturnType<typeof newEvent>, s: number, p: number) => ({ ...e, streamId: 'device-m', streamPosition: p, recordedAt: t(s) }) as StoredEvent;
    const report = (v: number, s: number, p: number) =>
      stored(newEvent('DeviceStateReported', { thingName: 'm', messageId: `m${p}`, topic: 't', values: [{ name: '/1/0/1', path: '/1/0/1', time: t(s), value: { kind: 'number', v } }] }), s, p);
    const rows = new Map<string, DeviceStateRow>();
    foldProjection(deviceStateProjection, readableEvents([report(1, 1, 1)]), rows);
    expect(rows.get('m')).toMatchObject({ messages: 1 });
    foldProjection(deviceStateProjection, readableEvents([stored(newEvent('DeviceDeprovisioned', { thingName: 'm' }), 2, 2)]), rows);
    expect(rows.has('m')).toBe(false);
    foldProjection(deviceStateProjection, readableEvents([report(7, 3, 3)]), rows);
    expect(rows.get('m')).toMatchObject({ messages: 1, resources: { '/1/0/1': { value: { kind: 'number', v: 7 } } } });
  });
});
