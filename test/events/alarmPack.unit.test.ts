import { describe, expect, it } from 'vitest';
import { AlarmPackError, readAlarmPack, type ResolvedRecord } from '../../schemas/alarms/alarmPack.ts';

const rec = (name: string, v: string, time = 1767225600): ResolvedRecord => ({ name, time, value: { kind: 'string', v } });

describe('alarm pack', () => {
  it('reads a raised and a cleared alarm from one pack', () => {
    const facts = readAlarmPack([
      rec('leak-1/state', 'raised'),
      rec('leak-1/code', 'LEAK'),
      rec('leak-1/severity', 'major'),
      rec('leak-1/message', 'water under meter'),
      rec('leak-1/path', '/3303/0/5700'),
      rec('door/state', 'cleared', 1767225700),
    ]);
    expect(facts).toEqual([
      { kind: 'raised', alarmId: 'leak-1', code: 'LEAK', severity: 'major', message: 'water under meter', path: '/3303/0/5700', at: new Date('2026-01-01T00:00:00Z') },
      { kind: 'cleared', alarmId: 'door', at: new Date('2026-01-01T00:01:40Z') },
    ]);
  });

  it.each([
    [[rec('state', 'raised')], /named "<alarmId>\/<field>"/],
    [[rec('a/colour', 'red')], /field "colour"/],
    [[{ name: 'a/state', time: 0, value: { kind: 'number', v: 1 } }], /string value/],
    [[rec('a/code', 'X')], /no "state"/],
    [[rec('a/state', 'raised'), rec('a/severity', 'major')], /needs a "code"/],
    [[rec('a/state', 'raised'), rec('a/code', 'X'), rec('a/severity', 'loud')], /severity of critical/],
    [[rec('a/state', 'maybe')], /use "raised" or "cleared"/],
    [[rec('a/state', 'raised'), rec('a/state', 'cleared')], /twice/],
    [[rec('a/state', 'raised'), rec('a/code', 'X'), rec('a/severity', 'minor'), rec('a/path', 'temp')], /not an LwM2M path/],
    [[], /no alarm records/],
  ])('refuses a malformed pack (%#) with a message saying what to fix', (records, message) => {
    expect(() => readAlarmPack(records)).toThrow(AlarmPackError);
    expect(() => readAlarmPack(records)).toThrow(message);
  });
});
