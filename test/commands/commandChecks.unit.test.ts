import { describe, expect, it } from 'vitest';
import { CommandRequestBody } from '../../functions/commands/commandApiSchemas.ts';
import { checkCommandAgainstModel } from '../../functions/commands/modelCheck.ts';

const body = (b: Record<string, unknown>) => CommandRequestBody.parse({ thingName: 'meter-1', ...b });
const issues = (b: Record<string, unknown>) => {
  const r = CommandRequestBody.safeParse({ thingName: 'meter-1', ...b });
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), rule: (i as { params?: { rule?: string } }).params?.rule ?? i.code }));
};

describe('the command body schema', () => {
  it('takes each operation with what it needs', () => {
    expect(issues({ operation: 'read', path: '/3303/0/5700' })).toEqual([]);
    expect(issues({ operation: 'execute', path: '/3/0/4', arguments: "0='fw-2.1',1" })).toEqual([]);
    expect(issues({ operation: 'write-attributes', path: '/3303/0/5700', attributes: { pmin: 10, pmax: 60, lt: 5, gt: 30, st: 1 } })).toEqual([]);
    expect(issues({ operation: 'write', path: '/3/0', values: [{ path: '/3/0/14', value: { kind: 'string', v: '+01:00' } }] })).toEqual([]);
  });

  it('refuses what does not belong to the operation or is missing, naming the field and rule', () => {
    expect(issues({ operation: 'write', path: '/3/0/13' })).toEqual([{ path: 'values', rule: 'required' }]);
    expect(issues({ operation: 'read', path: '/3/0/13', arguments: '0' })).toEqual([{ path: 'arguments', rule: 'not-for-operation' }]);
    expect(issues({ operation: 'write-attributes', path: '/3/0/9', attributes: {} })).toEqual([{ path: 'attributes', rule: 'required' }]);
    expect(issues({ operation: 'read', path: '/3/0/13', colour: 'red' })).toEqual([{ path: '', rule: 'unrecognized_keys' }]);
  });

  it('refuses values outside the path, twice-given paths, bad execute arguments and inconsistent attributes', () => {
    expect(issues({ operation: 'write', path: '/3/0/13', values: [{ path: '/3/0/14', value: { kind: 'string', v: 'x' } }] })).toEqual([{ path: 'values.0.path', rule: 'outside-path' }]);
    const twice = { path: '/3/0/14', value: { kind: 'string', v: 'x' } };
    expect(issues({ operation: 'write', path: '/3/0', values: [twice, twice] })).toEqual([{ path: 'values.1.path', rule: 'duplicate-path' }]);
    expect(issues({ operation: 'execute', path: '/3/0/4', arguments: "0='has space'" })).toEqual([{ path: 'arguments', rule: 'execute-arguments' }]);
    expect(issues({ operation: 'write-attributes', path: '/3303/0/5700', attributes: { pmin: 60, pmax: 10 } })).toEqual([{ path: 'attributes.pmax', rule: 'pmin-le-pmax' }]);
    expect(issues({ operation: 'write-attributes', path: '/3303/0/5700', attributes: { lt: 20, gt: 25, st: 3 } })).toEqual([{ path: 'attributes.gt', rule: 'lt-below-gt' }]);
  });
});

describe('the command against the LwM2M object model', () => {
  it('passes what the model allows', () => {
    expect(checkCommandAgainstModel(body({ operation: 'read', path: '/3303/0/5700' }))).toEqual([]);
    expect(checkCommandAgainstModel(body({ operation: 'execute', path: '/3/0/4' }))).toEqual([]);
    expect(checkCommandAgainstModel(body({ operation: 'write', path: '/3/0/13', values: [{ path: '/3/0/13', value: { kind: 'time', v: 1767225600 } }] }))).toEqual([]);
    expect(checkCommandAgainstModel(body({ operation: 'cancel-observe', path: '/3303/0/5700' }))).toEqual([]);
  });

  it('names the rule for a write to a read-only resource, a wrong type, an execute on a value, and unknown objects or resources', () => {
    const readOnly = checkCommandAgainstModel(body({ operation: 'write', path: '/3303/0/5700', values: [{ path: '/3303/0/5700', value: { kind: 'number', v: 1 } }] }));
    expect(readOnly).toEqual([expect.objectContaining({ field: 'path', rule: 'not-writable', message: expect.stringContaining('read-only') as unknown })]);
    const wrongKind = checkCommandAgainstModel(body({ operation: 'write', path: '/3/0/13', values: [{ path: '/3/0/13', value: { kind: 'string', v: 'noon' } }] }));
    expect(wrongKind).toEqual([expect.objectContaining({ field: 'values[0].value', rule: 'wrong-type' })]);
    const fraction = checkCommandAgainstModel(body({ operation: 'write', path: '/3/0/13', values: [{ path: '/3/0/13', value: { kind: 'number', v: 1.5 } }] }));
    expect(fraction).toEqual([expect.objectContaining({ field: 'values[0].value', rule: 'wrong-type' })]);
    expect(checkCommandAgainstModel(body({ operation: 'execute', path: '/3/0/9' }))).toEqual([expect.objectContaining({ field: 'path', rule: 'not-executable' })]);
    expect(checkCommandAgainstModel(body({ operation: 'read', path: '/4242/0/1' }))).toEqual([expect.objectContaining({ field: 'path', rule: 'unknown-object' })]);
    expect(checkCommandAgainstModel(body({ operation: 'read', path: '/3/0/999' }))).toEqual([expect.objectContaining({ field: 'path', rule: 'unknown-resource' })]);
  });

  it('checks each value of an instance write on its own', () => {
    const errors = checkCommandAgainstModel(
      body({
        operation: 'write',
        path: '/3/0',
        values: [
          { path: '/3/0/14', value: { kind: 'string', v: '+01:00' } },
          { path: '/3/0/9', value: { kind: 'number', v: 50 } },
        ],
      }),
    );
    expect(errors).toEqual([expect.objectContaining({ field: 'values[1].path', rule: 'not-writable' })]);
  });
});
