import { describe, expect, it } from 'vitest';
import { isUnderLwm2mPath, parseLwm2mName, parseObjectLink, toLwm2mPath } from '../../schemas/senml/index.ts';
import { expectSenmlError } from './expectSenmlError.ts';

describe('parseLwm2mName', () => {
  it.each([
    ['/3303/0/5700', { objectId: 3303, instanceId: 0, resourceId: 5700 }],
    ['/3', { objectId: 3 }],
    ['/3/0', { objectId: 3, instanceId: 0 }],
    ['/3/0/7/1', { objectId: 3, instanceId: 0, resourceId: 7, resourceInstanceId: 1 }],
    ['/65535/65535/65535/65535', { objectId: 65535, instanceId: 65535, resourceId: 65535, resourceInstanceId: 65535 }],
    ['/67/0/00', { objectId: 67, instanceId: 0, resourceId: 0 }],
  ])('reads %j', (name, parts) => {
    expect(parseLwm2mName(name)).toEqual(parts);
  });

  it.each(['', '/', '3303/0/5700', '/3/0/', '//3', '/3//0', '/65536', '/123456', '/1/2/3/4/5', '/a', '/-1', '/+3', '/ 3', '/3.0', '/0x10', 'urn:dev:ow:1'])(
    'is undefined for %j',
    (name) => {
      expect(parseLwm2mName(name)).toBeUndefined();
    },
  );
});

describe('toLwm2mPath', () => {
  it('writes the canonical path, and reads back what it wrote', () => {
    for (const name of ['/3', '/3/0', '/3303/0/5700', '/3/0/7/1']) expect(toLwm2mPath(parseLwm2mName(name)!)).toBe(name);
    expect(toLwm2mPath(parseLwm2mName('/067/00/0005')!)).toBe('/67/0/5');
  });

  it('refuses parts no path has', () => {
    expectSenmlError(() => toLwm2mPath({ objectId: 3, resourceId: 1 }), 'invalid-name');
    expectSenmlError(() => toLwm2mPath({ objectId: 65536 }), 'invalid-name');
    expectSenmlError(() => toLwm2mPath({ objectId: 3, instanceId: -1 }), 'invalid-name');
    expectSenmlError(() => toLwm2mPath({ objectId: 1.5 }), 'invalid-name');
  });
});

describe('object links and path prefixes', () => {
  it('reads "objectId:instanceId" with both in 0..65535', () => {
    expect(parseObjectLink('66:0')).toEqual({ objectId: 66, instanceId: 0 });
    expect(parseObjectLink('65535:65535')).toEqual({ objectId: 65535, instanceId: 65535 });
    for (const bad of ['66', '66:', ':0', '66:0:1', '65536:0', 'a:b', '-1:0', ' 1:0']) expect(parseObjectLink(bad)).toBeUndefined();
  });

  it('tells whether a path lies under another', () => {
    const p = parseLwm2mName('/3/0/1')!;
    expect(isUnderLwm2mPath(p, 'root')).toBe(true);
    expect(isUnderLwm2mPath(p, parseLwm2mName('/3')!)).toBe(true);
    expect(isUnderLwm2mPath(p, parseLwm2mName('/3/0/1')!)).toBe(true);
    expect(isUnderLwm2mPath(p, parseLwm2mName('/3/1')!)).toBe(false);
    expect(isUnderLwm2mPath(p, parseLwm2mName('/3/0/1/0')!)).toBe(false);
  });
});
