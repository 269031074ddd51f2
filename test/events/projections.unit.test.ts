import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../events/catalog/index.ts';
import { deviceStateProjection, devicesProjection, foldProjection } from '../../events/projections/index.ts';
import { newEvent, provisioned, reported } from '../support/events.ts';

let position = 0;
const stored = (e: ReturnType<typeof newEvent>, recordedAt = '2026-01-01T00:00:00.000Z') =>
  ({ ...e, streamId: 'device-x', streamPosition: ++position, recordedAt }) as unknown as DomainEvent;

describe('device state projection', () => {
  it('keeps the latest value per resource and ignores an older, late record', () => {
    const rows = foldProjection(deviceStateProjection, [
      stored(reported('m1', '/3303/0/5700', 20, '2026-01-01T00:00:10Z'), '2026-01-01T00:00:11.000Z'),
      stored(reported('m1', '/3303/0/5700', 19, '2026-01-01T00:00:05Z'), '2026-01-01T00:00:12.000Z'),
    ]);
    const row = rows.get('m1')!;
    expect(row.resources['/3303/0/5700']).toEqual({ value: { kind: 'number', v: 20 }, time: '2026-01-01T00:00:10Z', unit: 'Cel' });
    expect(row.lastSeen).toBe('2026-01-01T00:00:12.000Z');
    expect(row.messages).toBe(2);
  });
});

describe('devices projection', () => {
  it('follows a device from provisioning through attribute changes to deprovisioning', () => {
    const rows = foldProjection(devicesProjection, [
      stored(provisioned('m1', { attributes: { a: '1', b: '2' }, thingGroup: 'north' })),
      stored(newEvent('DeviceAttributesChanged', { thingName: 'm1', set: { c: '3' }, removed: ['a'], thingGroup: null })),
    ]);
    expect(rows.get('m1')).toMatchObject({ attributes: { b: '2', c: '3' }, status: 'provisioned', thingGroup: undefined });
    const gone = foldProjection(devicesProjection, [stored(provisioned('m2')), stored(newEvent('DeviceDeprovisioned', { thingName: 'm2' }))]);
    expect(gone.get('m2')).toMatchObject({ status: 'deprovisioned', certificateId: undefined });
  });

  it('ignores events for a device it never saw provisioned', () => {
    expect(foldProjection(devicesProjection, [stored(newEvent('DeviceDeprovisioned', { thingName: 'ghost' }))]).size).toBe(0);
  });
});
