import { describe, expect, it } from 'vitest';
import { UsageError } from '../../functions/cli/cliErrors.ts';
import { commandBodyOf, typedValue } from '../../functions/cli/commandValue.ts';

const refused = (f: () => unknown): UsageError => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('it was not refused');
};

describe('commandBodyOf', () => {
  it('builds a read with no value', () => {
    expect(commandBodyOf({ thingName: 'meter-1', operation: 'read', path: '/3303/0/5700' })).toEqual({ thingName: 'meter-1', operation: 'read', path: '/3303/0/5700' });
  });

  it('types a written value by the object model: Time from an ISO time or seconds', () => {
    expect(commandBodyOf({ thingName: 'meter-1', operation: 'write', path: '/3/0/13', value: '2026-03-01T12:00:00Z' }).values).toEqual([{ path: '/3/0/13', value: { kind: 'time', v: 1772366400 } }]);
    expect(commandBodyOf({ thingName: 'meter-1', operation: 'write', path: '/3/0/13', value: '1772366400' }).values).toEqual([{ path: '/3/0/13', value: { kind: 'time', v: 1772366400 } }]);
  });

  it('takes several values as JSON, write mode, execute arguments, attributes and a timeout', () => {
    const values = '[{"path":"/3/0/13","value":{"kind":"time","v":1}},{"path":"/3/0/14","value":{"kind":"string","v":"+01"}}]';
    const write = commandBodyOf({ thingName: 'meter-1', operation: 'write', path: '/3/0', value: values, replace: true, timeoutSeconds: 30 });
    expect(write).toMatchObject({ writeMode: 'replace', timeoutSeconds: 30 });
    expect(write.values).toHaveLength(2);
    expect(commandBodyOf({ thingName: 'meter-1', operation: 'execute', path: '/3/0/4', value: "0='fw',1" }).arguments).toBe("0='fw',1");
    expect(commandBodyOf({ thingName: 'meter-1', operation: 'write-attributes', path: '/3303/0/5700', value: 'pmin=10,pmax=60' }).attributes).toEqual({ pmin: 10, pmax: 60 });
  });

  it('refuses what the API would refuse, naming the argument and the fix', () => {
    expect(refused(() => commandBodyOf({ thingName: 'meter-1', operation: 'reboot', path: '/3/0/4' })).message).toBe('"reboot" is not an operation.');
    expect(refused(() => commandBodyOf({ thingName: 'meter-1', operation: 'read', path: '/3303/0/5700', value: '1' })).message).toContain('a read takes no value');
    expect(refused(() => commandBodyOf({ thingName: 'meter-1', operation: 'write', path: '/3/0/13' })).message).toBe('a write needs a value.');
    expect(refused(() => commandBodyOf({ thingName: 'meter-1', operation: 'write', path: '/3/0/13', value: 'yesterday' })).message).toContain('is not a time');
    const readOnly = refused(() => commandBodyOf({ thingName: 'meter-1', operation: 'write', path: '/3303/0/5700', value: '3' }));
    expect(readOnly.message).toContain('read-only');
    expect(readOnly.hint).toContain('Write only resources with W access');
    expect(refused(() => commandBodyOf({ thingName: 'meter-1', operation: 'write', path: '/9999/0/1', value: '3' })).hint).toContain('--kind');
    expect(refused(() => commandBodyOf({ thingName: 'bad name!', operation: 'read', path: '/3/0/0' })).message).toContain('thingName');
    expect(refused(() => commandBodyOf({ thingName: 'meter-1', operation: 'write-attributes', path: '/3303/0/5700', value: 'every=5' })).hint).toContain('pmin=10,pmax=60');
    expect(refused(() => commandBodyOf({ thingName: 'meter-1', operation: 'write', path: '/3/0', value: '[{"path":1}]' })).message).toContain('not a list of { path, value');
    expect(refused(() => commandBodyOf({ thingName: 'meter-1', operation: 'read', path: '/3/0/0', kind: 'number' })).message).toBe('--kind is for a write, not a read.');
  });
});

describe('typedValue', () => {
  it('reads each kind and refuses text that is not one', () => {
    expect(typedValue('21.5', 'number', '/x')).toEqual({ kind: 'number', v: 21.5 });
    expect(typedValue('TRUE', 'boolean', '/x')).toEqual({ kind: 'boolean', v: true });
    expect(typedValue('3303:0', 'objlnk', '/x')).toEqual({ kind: 'objlnk', v: '3303:0' });
    expect(typedValue('AQID', 'data', '/x')).toEqual({ kind: 'data', v: 'AQID' });
    expect(typedValue('hello world', 'string', '/x')).toEqual({ kind: 'string', v: 'hello world' });
    expect(() => typedValue('1,5', 'number', '/x')).toThrow(UsageError);
    expect(() => typedValue('yes', 'boolean', '/x')).toThrow(UsageError);
    expect(() => typedValue('2026-03-01T12:00:00', 'time', '/x')).toThrow(/is not a time/);
  });
});
