import { describe, expect, it } from 'vitest';
import { checkPathIds, formatPath, fromPathParts, isUnderPath, isValidPath, levelOf, parsePath, PathError, toPathParts } from '../../../schemas/lwm2m/index.ts';
import type { PathErrorCode } from '../../../schemas/lwm2m/index.ts';

const expectPathError = (fn: () => unknown, code: PathErrorCode): PathError => {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(PathError);
  expect((thrown as PathError).code).toBe(code);
  return thrown as PathError;
};

describe('LwM2M paths', () => {
  it.each([
    ['/', [], 'root'],
    ['/3', [3], 'object'],
    ['/3/0', [3, 0], 'instance'],
    ['/3/0/13', [3, 0, 13], 'resource'],
    ['/3/0/6/1', [3, 0, 6, 1], 'resource-instance'],
    ['/65534/65534/65534/65534', [65534, 65534, 65534, 65534], 'resource-instance'],
    ['/0/0/0/0', [0, 0, 0, 0], 'resource-instance'],
  ])('%s is %o, a %s path, and formats back', (text, ids, level) => {
    expect(parsePath(text)).toEqual(ids);
    expect(levelOf(ids)).toBe(level);
    expect(formatPath(ids)).toBe(text);
  });

  it.each([
    ['', 'empty', 'give at least'],
    ['3/0', 'no-leading-slash', 'write "/3/0"'],
    ['/3/0/', 'empty-segment', 'trailing'],
    ['/3//0', 'empty-segment', 'two "/"'],
    ['/3/a', 'not-a-number', '"a"'],
    ['/3/-1', 'not-a-number', '"-1"'],
    ['/3/+1', 'not-a-number', '"+1"'],
    ['/3/ 1', 'not-a-number', '" 1"'],
    ['/3/1.0', 'not-a-number', '"1.0"'],
    ['/3/01', 'leading-zero', 'as 1'],
    ['/65535', 'reserved-id', 'reserves'],
    ['/65536', 'id-too-large', '16-bit'],
    ['/99999999999999999999', 'id-too-large', '16-bit'],
    ['/1/2/3/4/5', 'too-deep', 'at most four'],
  ] as [string, PathErrorCode, string][])('refuses %o (%s) and says why', (text, code, hint) => {
    const error = expectPathError(() => parsePath(text), code);
    expect(error.message).toContain(hint);
    expect(error.input).toBe(text);
    expect(isValidPath(text)).toBe(false);
  });

  it('checks the level when asked', () => {
    expect(parsePath('/3/0/1', { levels: ['resource'] })).toEqual([3, 0, 1]);
    const error = expectPathError(() => parsePath('/3/0', { levels: ['resource', 'resource-instance'] }), 'wrong-level');
    expect(error.message).toContain('an object instance path');
    expectPathError(() => parsePath('/', { levels: ['object'] }), 'wrong-level');
  });

  it('checks ids given as arrays by the same rules', () => {
    expect(checkPathIds([3, 0])).toEqual([3, 0]);
    expectPathError(() => checkPathIds([3, 65535]), 'reserved-id');
    expectPathError(() => checkPathIds([3, 1.5]), 'not-a-number');
    expectPathError(() => checkPathIds([3, -1]), 'not-a-number');
    expectPathError(() => checkPathIds(['3']), 'not-a-number');
    expectPathError(() => checkPathIds([1, 2, 3, 4, 5]), 'too-deep');
    expectPathError(() => formatPath([70000]), 'id-too-large');
    expectPathError(() => parsePath(3 as unknown as string), 'not-a-string');
  });

  it('tells what lies under what, and converts to the SenML parts shape', () => {
    expect(isUnderPath([3, 0, 1], [3, 0])).toBe(true);
    expect(isUnderPath([3, 0, 1], [])).toBe(true);
    expect(isUnderPath([3, 0], [3, 0])).toBe(true);
    expect(isUnderPath([3, 1, 1], [3, 0])).toBe(false);
    expect(isUnderPath([3], [3, 0])).toBe(false);
    expect(toPathParts([3303, 0, 5700])).toEqual({ objectId: 3303, instanceId: 0, resourceId: 5700 });
    expect(toPathParts([])).toBeUndefined();
    expect(fromPathParts({ objectId: 3, instanceId: 0, resourceId: 6, resourceInstanceId: 1 })).toEqual([3, 0, 6, 1]);
  });
});
