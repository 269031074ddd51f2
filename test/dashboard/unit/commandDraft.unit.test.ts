import { describe, expect, it } from 'vitest';
import { CommandRequestBody } from '../../../functions/commands/commandApiSchemas.ts';
import { checkCommandAgainstModel } from '../../../functions/commands/modelCheck.ts';
import {
  buildCommand,
  describeValueRule,
  fitDraft,
  INITIAL_DRAFT,
  objectsFor,
  resourcesFor,
  valueInputOf,
  type Draft,
} from '../../../functions/dashboard/app/pages/device/commandDraft.ts';
import { DEFAULT_OBJECT_MODEL as OBJECT_MODEL } from '../../../schemas/lwm2m/objects/model.ts';

const draft = (patch: Partial<Draft>): Draft => ({ ...INITIAL_DRAFT, ...patch });
const built = (patch: Partial<Draft>) => buildCommand('lamp-1', draft(patch), OBJECT_MODEL);

/** A body the form builds must pass the server's schema and its model check: nothing the form sends is refused for its shape. */
const expectServerAccepts = (body: unknown) => {
  const parsed = CommandRequestBody.parse(body);
  expect(checkCommandAgainstModel(parsed)).toEqual([]);
};

describe('the command form: which objects and resources each operation offers', () => {
  it('offers only resources whose operations allow the operation', () => {
    const device = OBJECT_MODEL.object(3)!;
    expect(resourcesFor(device, 'execute').map((r) => r.name)).toEqual(['Reboot', 'Factory Reset', 'Reset Error Code']);
    expect(resourcesFor(device, 'write').map((r) => r.id)).toEqual([13, 14, 15]);
    expect(resourcesFor(device, 'read').some((r) => r.id === 4)).toBe(false);
  });

  it('never offers the Security object, which only the Bootstrap-Server writes, and offers Temperature for read but not write', () => {
    for (const op of ['read', 'observe', 'cancel-observe', 'write', 'execute'] as const) expect(objectsFor(OBJECT_MODEL, op).map((o) => o.id)).not.toContain(0);
    expect(objectsFor(OBJECT_MODEL, 'read').map((o) => o.id)).toContain(3303);
    expect(objectsFor(OBJECT_MODEL, 'write').map((o) => o.id)).toContain(3303); // Application Type is RW
    expect(objectsFor(OBJECT_MODEL, 'execute').map((o) => o.id)).not.toContain(18830);
  });

  it('moves the draft to a resource the new operation allows when the operation changes', () => {
    expect(fitDraft(draft({ operation: 'execute', objectId: '3', resourceId: '0' }), OBJECT_MODEL)).toMatchObject({ objectId: '3', resourceId: '4' });
    expect(fitDraft(draft({ operation: 'write', objectId: '3', resourceId: '' }), OBJECT_MODEL)).toMatchObject({ resourceId: '13' });
    expect(fitDraft(draft({ operation: 'read', objectId: '3', resourceId: '' }), OBJECT_MODEL)).toMatchObject({ resourceId: '' });
    expect(fitDraft(draft({ operation: 'execute', objectId: '18830' }), OBJECT_MODEL).objectId).not.toBe('18830');
    // A resource instance only stays for a multiple resource.
    expect(fitDraft(draft({ operation: 'read', objectId: '3', resourceId: '0', resourceInstanceId: '2' }), OBJECT_MODEL).resourceInstanceId).toBe('');
    expect(fitDraft(draft({ operation: 'read', objectId: '3', resourceId: '7', resourceInstanceId: '2' }), OBJECT_MODEL).resourceInstanceId).toBe('2');
  });

  it('types the value input by the resource type and says the rule', () => {
    expect(valueInputOf(OBJECT_MODEL.resource(3, 13)!)).toBe('time');
    expect(valueInputOf(OBJECT_MODEL.resource(1, 6)!)).toBe('boolean');
    expect(valueInputOf(OBJECT_MODEL.resource(3, 4)!)).toBeUndefined();
    expect(describeValueRule(OBJECT_MODEL.resource(18830, 3)!)).toBe('Unsigned Integer, in s, from 0 to 65535');
  });
});

describe('the command form: the request body, checked before it is sent', () => {
  it('builds a read of /3/0/0 the server accepts', () => {
    const result = built({});
    expect(result).toEqual({ ok: true, body: { thingName: 'lamp-1', operation: 'read', path: '/3/0/0' } });
    if (result.ok) expectServerAccepts(result.body);
  });

  it('builds reads of a whole instance and of one resource instance', () => {
    expect(built({ objectId: '3303', resourceId: '' })).toMatchObject({ ok: true, body: { path: '/3303/0' } });
    expect(built({ resourceId: '7', resourceInstanceId: '1' })).toMatchObject({ ok: true, body: { path: '/3/0/7/1' } });
  });

  it('builds typed writes the server accepts: Time from local time, Boolean, Unsigned Integer, Opaque from hex, Object Link', () => {
    const cases: [Partial<Draft>, unknown][] = [
      [{ objectId: '3', resourceId: '13', value: '2026-01-01T00:00:00' }, { kind: 'time', v: Math.floor(new Date('2026-01-01T00:00:00').getTime() / 1000) }],
      [{ objectId: '1', resourceId: '6', checked: true }, { kind: 'boolean', v: true }],
      [{ objectId: '18830', resourceId: '3', value: ' 60 ' }, { kind: 'number', v: 60 }],
      [{ objectId: '18830', resourceId: '5', value: '0a ff 3c' }, { kind: 'data', v: 'Cv88' }],
      [{ objectId: '1', resourceId: '10', value: '11:0' }, { kind: 'objlnk', v: '11:0' }],
      [{ objectId: '3', resourceId: '14', value: '+01:00' }, { kind: 'string', v: '+01:00' }],
    ];
    for (const [patch, value] of cases) {
      const result = built({ operation: 'write', ...patch });
      expect(result, JSON.stringify(patch)).toMatchObject({ ok: true, body: { operation: 'write', values: [{ value }] } });
      if (result.ok) expectServerAccepts(result.body);
    }
  });

  it('refuses values of the wrong type or out of range next to the value field', () => {
    const refusals: [Partial<Draft>, RegExp][] = [
      [{ objectId: '18830', resourceId: '3', value: '1.5' }, /whole number/],
      [{ objectId: '18830', resourceId: '3', value: '70000' }, /outside 0\.\.65535/],
      [{ objectId: '18830', resourceId: '3', value: '' }, /whole number/],
      [{ objectId: '18830', resourceId: '5', value: 'xyz' }, /hexadecimal/],
      [{ objectId: '1', resourceId: '10', value: '11' }, /objectId:instanceId/],
      [{ objectId: '3', resourceId: '13', value: '' }, /pick a date/],
      [{ objectId: '1', resourceId: '26', value: '2' }, /outside 0\.\.1/],
    ];
    for (const [patch, message] of refusals) {
      const result = built({ operation: 'write', ...patch });
      expect(result.ok, JSON.stringify(patch)).toBe(false);
      if (!result.ok) {
        expect(result.errors.map((e) => e.field)).toEqual(['value']);
        expect(result.errors[0]!.message).toMatch(message);
      }
    }
  });

  it('refuses a write to a multiple resource without its resource instance, and builds it with one', () => {
    const without = built({ operation: 'write', objectId: '1', resourceId: '25', value: '1.1' });
    expect(without).toMatchObject({ ok: false, errors: [{ field: 'resourceInstanceId' }] });
    const withInstance = built({ operation: 'write', objectId: '1', resourceId: '25', resourceInstanceId: '0', value: '1.1' });
    expect(withInstance).toMatchObject({ ok: true, body: { path: '/1/0/25/0', values: [{ path: '/1/0/25/0', value: { kind: 'string', v: '1.1' } }] } });
    if (withInstance.ok) expectServerAccepts(withInstance.body);
  });

  it('refuses what the model forbids, as the server would: writing a read-only resource, executing a value, a resource instance of a single resource', () => {
    expect(built({ operation: 'write', objectId: '3', resourceId: '0', value: 'x' })).toMatchObject({ ok: false, errors: [{ field: 'resourceId', message: expect.stringMatching(/read-only/) as unknown }] });
    expect(built({ operation: 'execute', objectId: '3', resourceId: '0' })).toMatchObject({ ok: false, errors: [{ field: 'resourceId' }] });
    expect(built({ resourceId: '0', resourceInstanceId: '1' })).toMatchObject({ ok: false, errors: [{ field: 'resourceInstanceId' }] });
    expect(built({ objectId: '9999' })).toMatchObject({ ok: false, errors: [{ field: 'objectId' }] });
  });

  it('refuses an instance outside 0..65534 and an execute without a resource', () => {
    expect(built({ instanceId: '65535' })).toMatchObject({ ok: false, errors: [{ field: 'instanceId' }] });
    expect(built({ instanceId: 'one' })).toMatchObject({ ok: false, errors: [{ field: 'instanceId' }] });
    expect(built({ operation: 'execute', resourceId: '' })).toMatchObject({ ok: false, errors: [{ field: 'resourceId' }] });
  });

  it("checks execute arguments with the API's own schema", () => {
    const good = built({ operation: 'execute', objectId: '3', resourceId: '4', arguments: "0='fw-2.1',1" });
    expect(good).toMatchObject({ ok: true, body: { path: '/3/0/4', arguments: "0='fw-2.1',1" } });
    if (good.ok) expectServerAccepts(good.body);
    expect(built({ operation: 'execute', objectId: '3', resourceId: '4', arguments: 'now please' })).toMatchObject({ ok: false, errors: [{ field: 'arguments' }] });
    expect(built({ operation: 'execute', objectId: '3', resourceId: '4', arguments: '   ' })).toMatchObject({ ok: true, body: { path: '/3/0/4' } });
  });

  it('builds observe and cancel-observe of readable resources only', () => {
    expect(built({ operation: 'observe', objectId: '3303', resourceId: '5700' })).toMatchObject({ ok: true, body: { operation: 'observe', path: '/3303/0/5700' } });
    expect(built({ operation: 'cancel-observe', objectId: '3303', resourceId: '5700' })).toMatchObject({ ok: true, body: { operation: 'cancel-observe' } });
    expect(built({ operation: 'observe', objectId: '3', resourceId: '4' }).ok).toBe(false);
  });
});
