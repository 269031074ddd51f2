import { describe, expect, it } from 'vitest';
import { checkOperation, checkValue } from '../../../schemas/lwm2m/index.ts';
import type { Checked, ModelProblemCode, Operation } from '../../../schemas/lwm2m/index.ts';
import { TEST_MODEL } from './helpers.ts';

const problem = <T>(result: Checked<T>): { code: ModelProblemCode; message: string } => {
  expect(result.ok, 'expected a problem').toBe(false);
  if (result.ok) throw new Error('unreachable');
  return result.problem;
};

describe('checkOperation', () => {
  it.each([
    ['/3/0', 'read'],
    ['/3', 'observe'],
    ['/3/0/9', 'read'],
    ['/3/0/6/1', 'read'],
    ['/3/0/13', 'write'],
    ['/1/0', 'write'],
    ['/3/0/4', 'execute'],
    ['/1/0/8', 'execute'],
    ['/3303/0', 'discover'],
    ['/3303/0/5700', 'write-attributes'],
    ['/18830', 'create'],
    ['/18830/1', 'delete'],
    ['/18830/0/9', 'write'],
    ['/0/1', 'bootstrap-write'],
    ['/0/1/5', 'bootstrap-write'],
    ['/3/0/9', 'bootstrap-write'],
    ['/1', 'bootstrap-read'],
    ['/', 'bootstrap-delete'],
    ['/', 'bootstrap-discover'],
  ] as [string, Operation][])('allows %s %s', (path, operation) => {
    const result = checkOperation(path, operation);
    expect(result).toMatchObject({ ok: true, value: { path } });
  });

  it.each([
    ['/0/0/5', 'read', 'not-readable', 'credential only the Bootstrap-Server writes'],
    ['/0/0', 'read', 'not-readable', 'no readable resource'],
    ['/18830/0/9', 'read', 'not-readable', 'write-only and is never read back'],
    ['/18830/0/7', 'observe', 'not-readable', 'credential'],
    ['/3/0/4', 'read', 'not-readable', 'execute it'],
    ['/3/0/9', 'write', 'not-writable', 'Battery Level (3/9) is read-only'],
    ['/3/0/4', 'write', 'not-writable', 'execute it instead'],
    ['/0/0/0', 'write', 'not-writable', 'bootstrap-write'],
    ['/0/0', 'write', 'not-writable', 'use bootstrap-write'],
    ['/4/0', 'write', 'not-writable', 'no writable resource'],
    ['/0', 'create', 'not-writable', 'Bootstrap-Server'],
    ['/3/0/9', 'execute', 'not-executable', 'not an Execute resource (operations: R)'],
    ['/3/0/4', 'bootstrap-write', 'not-writable', 'Execute resource'],
    ['/3', 'bootstrap-read', 'not-readable', 'Server (1) and Access Control (2)'],
    ['/5/0', 'read', 'unknown-object', 'object 5 is not in the object model'],
    ['/3/0/99', 'read', 'unknown-resource', 'Device (object 3) has no resource 99'],
    ['/3/0/9/0', 'read', 'not-multiple', 'address it as /3/0/9'],
    ['/3/0', 'execute', 'wrong-level', 'execute applies to resource paths'],
    ['/3', 'write', 'wrong-level', 'write applies to'],
    ['/3/0', 'create', 'wrong-level', 'create applies to object paths'],
    ['/', 'read', 'wrong-level', 'read applies to'],
    ['/3/0/', 'read', 'invalid-path', 'trailing'],
    ['3/0', 'read', 'invalid-path', 'write "/3/0"'],
  ] as [string, Operation, ModelProblemCode, string][])('refuses %s %s: %s', (path, operation, code, hint) => {
    const found = problem(checkOperation(path, operation));
    expect(found.code).toBe(code);
    expect(found.message).toContain(hint);
  });

  it('refuses an operation it does not know', () => {
    expect(problem(checkOperation('/3/0', 'reboot' as Operation)).code).toBe('unknown-operation');
  });

  it('takes paths as ids too, and uses the model it is given', () => {
    expect(checkOperation([2, 0, 2, 127], 'write', TEST_MODEL)).toMatchObject({ ok: true, value: { path: '/2/0/2/127', resource: { name: 'ACL' } } });
    expect(problem(checkOperation([2, 0], 'read')).code).toBe('unknown-object');
  });
});

describe('checkValue', () => {
  it('types a value by the model and hands back what to encode', () => {
    expect(checkValue('/3/0/13', 1_700_000_000)).toEqual({ ok: true, value: [{ path: '/3/0/13', type: 'Time', value: 1_700_000_000 }] });
    expect(checkValue('/1/0/10', '11:0')).toEqual({ ok: true, value: [{ path: '/1/0/10', type: 'Objlnk', value: { objectId: 11, instanceId: 0 } }] });
    expect(checkValue('/18830/0/9', Uint8Array.of(1))).toEqual({ ok: true, value: [{ path: '/18830/0/9', type: 'Opaque', value: Uint8Array.of(1) }] });
    expect(checkValue('/1/0/1', 2n ** 40n)).toEqual({ ok: true, value: [{ path: '/1/0/1', type: 'Unsigned Integer', value: 2n ** 40n }] });
  });

  it('spreads values of a multiple resource over its instances', () => {
    expect(checkValue('/1/0/25', ['1.1', '1.2'])).toEqual({
      ok: true,
      value: [
        { path: '/1/0/25/0', type: 'String', value: '1.1' },
        { path: '/1/0/25/1', type: 'String', value: '1.2' },
      ],
    });
    expect(checkValue('/2/0/2', { 1: 7, 310: 1 }, TEST_MODEL)).toEqual({
      ok: true,
      value: [
        { path: '/2/0/2/1', type: 'Integer', value: 7 },
        { path: '/2/0/2/310', type: 'Integer', value: 1 },
      ],
    });
    expect(checkValue('/1/0/25/3', '1.0')).toEqual({ ok: true, value: [{ path: '/1/0/25/3', type: 'String', value: '1.0' }] });
  });

  it.each([
    ['/3/0/13', '2024-01-01', 'wrong-type', 'whole seconds since 1970'],
    ['/3/0/13', 1.5, 'wrong-type', 'whole number'],
    ['/3303/0/5750', 5, 'wrong-type', 'a String is a string, not 5'],
    ['/1/0/6', 'true', 'wrong-type', 'true or false'],
    ['/18830/0/9', 'PEM text', 'wrong-type', 'bytes (Uint8Array)'],
    ['/1/0/10', '11', 'wrong-type', 'Objlnk'],
    ['/1/0/1', -1, 'wrong-type', 'unsigned 64-bit'],
    ['/3/0/13', 2n ** 63n, 'wrong-type', 'signed 64-bit'],
    ['/3303/0/5700', Number.NaN, 'wrong-type', 'finite number'],
    ['/1/0/0', 0, 'out-of-range', 'outside 1..65534'],
    ['/18830/0/6', 5, 'out-of-range', 'outside 0..4'],
    ['/0/0/0', 'coaps://'.padEnd(256, 'x'), 'out-of-range', '0..255 bytes'],
    ['/0/0/8', new Uint8Array(20), 'out-of-range', '16, 32, 48 bytes'],
    ['/0/0/7', new Uint8Array(5), 'out-of-range', '6..6 bytes'],
    ['/3/0/4', 1, 'not-writable', 'Execute resource'],
    ['/3/0/9', [1, 2], 'wrong-type', 'not an array'],
    ['/1/0/25', '1.1', 'wrong-type', 'multiple resource'],
    ['/1/0/25', {}, 'wrong-type', 'multiple resource'],
    ['/1/0/25', { a: '1' }, 'wrong-type', 'multiple resource'],
    ['/3/0/9/0', 1, 'not-multiple', 'single resource'],
    ['/3/0', 1, 'wrong-level', 'a value belongs to a resource'],
    ['/3/0/99', 1, 'unknown-resource', 'no resource 99'],
    ['/77/0/1', 1, 'unknown-object', 'object 77'],
    ['/3/0/x', 1, 'invalid-path', '"x"'],
  ] as [string, unknown, ModelProblemCode, string][])('refuses %s = %o: %s', (path, value, code, hint) => {
    const found = problem(checkValue(path, value));
    expect(found.code).toBe(code);
    expect(found.message).toContain(hint);
  });

  it('names the instance that is wrong in a multiple resource', () => {
    const result = checkValue('/3/0/6', [1, 9]);
    expect(result).toEqual({ ok: false, problem: expect.objectContaining({ code: 'out-of-range', path: '/3/0/6/1' }) as unknown });
  });
});
