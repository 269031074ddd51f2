import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../events/catalog/index.ts';
import { alarmsProjection, foldProjection } from '../../events/projections/index.ts';
import { newEvent } from '../support/events.ts';

let position = 0;
const at = (e: ReturnType<typeof newEvent>, recordedAt = '2026-01-01T00:10:00.000Z') =>
  ({ ...e, streamId: 'device-m1', streamPosition: ++position, recordedAt }) as unknown as DomainEvent;
const raise = (raisedAt: string) =>
  newEvent('AlarmRaised', { thingName: 'm1', alarmId: 'leak', code: 'LEAK', severity: 'major', raisedAt, message: 'water under meter' });

describe('alarms projection', () => {
  it('tracks raise, acknowledge and clear with since-times', () => {
    const rows = foldProjection(alarmsProjection, [
      at(raise('2026-01-01T00:00:00Z')),
      at(newEvent('AlarmAcknowledged', { thingName: 'm1', alarmId: 'leak', commandId: 'c-1' }, { actor: { kind: 'user', id: 'olga', role: 'operator' } })),
      at(newEvent('AlarmCleared', { thingName: 'm1', alarmId: 'leak', clearedAt: '2026-01-01T00:05:00Z' })),
    ]);
    expect(rows.get('m1/leak')).toMatchObject({
      state: 'cleared',
      severity: 'major',
      since: '2026-01-01T00:05:00Z',
      raisedAt: '2026-01-01T00:00:00Z',
      acknowledged: { by: 'olga', commandId: 'c-1' },
    });
  });

  it('re-opens a cleared alarm on a new raise and forgets the old acknowledgement', () => {
    const rows = foldProjection(alarmsProjection, [
      at(raise('2026-01-01T00:00:00Z')),
      at(newEvent('AlarmAcknowledged', { thingName: 'm1', alarmId: 'leak', commandId: 'c-1' })),
      at(newEvent('AlarmCleared', { thingName: 'm1', alarmId: 'leak', clearedAt: '2026-01-01T00:05:00Z' })),
      at(raise('2026-01-01T01:00:00Z')),
    ]);
    const row = rows.get('m1/leak')!;
    expect(row.state).toBe('active');
    expect(row.since).toBe('2026-01-01T01:00:00Z');
    expect(row.acknowledged).toBeUndefined();
  });

  it('ignores a clear for an alarm it never saw raised', () => {
    expect(foldProjection(alarmsProjection, [at(newEvent('AlarmCleared', { thingName: 'm1', alarmId: 'x', clearedAt: '2026-01-01T00:05:00Z' }))]).size).toBe(0);
  });
});
