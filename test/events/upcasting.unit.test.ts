import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../events/envelope.ts';
import { AlarmRaisedV1 } from '../../events/catalog/index.ts';
import { upcast, UnknownEventError } from '../../events/upcasting.ts';

const stored = (type: string, typeVersion: number, data: unknown): StoredEvent => ({
  eventId: 'e-1',
  streamId: 'device-meter-1',
  streamPosition: 1,
  recordedAt: '2026-01-01T00:00:00.000Z',
  actor: { kind: 'device', id: 'meter-1' },
  type,
  typeVersion,
  data,
});

const v1Alarm = { thingName: 'meter-1', alarmId: 'a-1', code: 'LEAK', severity: 2, raisedAt: '2026-01-01T00:00:00Z' };

describe('upcasting (worked example: AlarmRaised v1 numeric severity -> v2 named severity)', () => {
  it('reads a stored v1 event as the current v2 shape without rewriting the stored one', () => {
    expect(AlarmRaisedV1.schema.safeParse(v1Alarm).success).toBe(true);
    const input = stored('AlarmRaised', 1, v1Alarm);
    const event = upcast(input);
    expect(event.typeVersion).toBe(2);
    expect(event.data).toEqual({ ...v1Alarm, severity: 'major' });
    expect(input.data).toEqual(v1Alarm);
  });

  it.each([
    [1, 'critical'],
    [3, 'minor'],
    [4, 'warning'],
  ])('maps v1 severity %i to %s', (n, name) => {
    expect(upcast(stored('AlarmRaised', 1, { ...v1Alarm, severity: n })).data).toMatchObject({ severity: name });
  });

  it('passes a current event through after validating it', () => {
    const v2 = { ...v1Alarm, severity: 'critical', path: '/3303/0/5700' };
    expect(upcast(stored('AlarmRaised', 2, v2)).data).toEqual(v2);
  });

  it('refuses unknown types, newer versions and invalid data with a reason', () => {
    expect(() => upcast(stored('Nope', 1, {}))).toThrow(UnknownEventError);
    expect(() => upcast(stored('AlarmRaised', 3, v1Alarm))).toThrow(/newer version/);
    expect(() => upcast(stored('AlarmRaised', 2, { ...v1Alarm, severity: 'meh' }))).toThrow(/cannot be read/);
  });
});
