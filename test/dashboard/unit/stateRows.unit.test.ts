import { describe, expect, it } from 'vitest';
import { DEFAULT_OBJECT_MODEL as OBJECT_MODEL } from '../../../schemas/lwm2m/objects/model.ts';
import { describeKey, groupState, showValue, unitSymbol } from '../../../functions/dashboard/app/pages/device/stateRows.ts';

const at = '2026-03-01T12:00:00.000Z';

describe('the state table: resources named from the object definitions', () => {
  it('groups by object in id order, rows by instance and resource, names from the model, non-paths last', () => {
    const groups = groupState(
      {
        '/3303/0/5700': { value: { kind: 'number', v: 24.5 }, time: at, unit: 'Cel' },
        '/3/0/13': { value: { kind: 'number', v: 1767225600 }, time: at },
        '/3/0/0': { value: { kind: 'string', v: 'Acme' }, time: at },
        '/3303/1/5700': { value: { kind: 'number', v: 3 }, time: at },
        rssi: { value: { kind: 'number', v: -70 }, time: at },
      },
      OBJECT_MODEL,
    );
    expect(groups.map((g) => g.title)).toEqual(['Device (object 3)', 'Temperature (object 3303)', 'Other values (no LwM2M path)']);
    expect(groups[0]!.rows.map((r) => [r.key, r.resourceName])).toEqual([
      ['/3/0/0', 'Manufacturer'],
      ['/3/0/13', 'Current Time'],
    ]);
    expect(groups[1]!.rows.map((r) => r.key)).toEqual(['/3303/0/5700', '/3303/1/5700']);
    expect(groups[2]!.rows).toEqual([expect.objectContaining({ key: 'rssi', known: 'not-a-path' })]);
  });

  it('shows unknown objects and resources by path and says so, rather than failing', () => {
    const state = { value: { kind: 'number' as const, v: 1 }, time: at };
    expect(describeKey('/3/0/999', state, OBJECT_MODEL)).toMatchObject({ known: 'unknown-resource', objectId: 3, resourceId: 999 });
    expect(describeKey('/32769/0/1', state, OBJECT_MODEL)).toMatchObject({ known: 'unknown-object', objectId: 32769 });
    expect(describeKey('/3/0', state, OBJECT_MODEL)).toMatchObject({ known: 'not-a-path' });
    expect(groupState({ '/32769/0/1': state }, OBJECT_MODEL).map((g) => g.title)).toEqual(['Unknown object 32769']);
    expect(describeKey('/3/0/7/1', state, OBJECT_MODEL)).toMatchObject({ known: 'resource', resourceName: 'Power Source Voltage', resourceInstanceId: 1 });
  });

  it('shows values with units: the unit the device sent, else the definition’s; SenML Cel as °C', () => {
    expect(showValue({ kind: 'number', v: 24.5 }, { unit: 'Cel' })).toEqual({ text: '24.5 °C', detail: 'Cel' });
    expect(showValue({ kind: 'number', v: 3300 }, { resource: OBJECT_MODEL.resource(3, 7) })).toEqual({ text: '3300 mV' });
    expect(showValue({ kind: 'number', v: 80 }, { resource: OBJECT_MODEL.resource(3, 9) })).toEqual({ text: '80 %', detail: '/100' });
    expect(showValue({ kind: 'string', v: 'Acme' })).toEqual({ text: 'Acme' });
    expect(showValue({ kind: 'boolean', v: false }).text).toBe('false');
    expect(showValue({ kind: 'objlnk', v: '11:0' }).text).toBe('link to 11:0');
    expect(showValue({ kind: 'data', v: 'Cv88' }).text).toBe('3 bytes');
    expect(showValue({ kind: 'sum', v: 12, }, { unit: 'kWh' }).text).toBe('12 kWh (sum)');
    expect(unitSymbol(undefined)).toBeUndefined();
  });

  it('shows a Time resource as a UTC date with its seconds in the detail', () => {
    expect(showValue({ kind: 'number', v: 1767225600 }, { resource: OBJECT_MODEL.resource(3, 13) })).toEqual({ text: '2026-01-01T00:00:00Z', detail: '1767225600 s since 1970' });
  });
});
