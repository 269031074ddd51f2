import { describe, expect, it } from 'vitest';
import { decodeSenmlJson, isValidSenmlName, parseLwm2mName, resolve, resolvePaths } from '../../schemas/senml/index.ts';
import type { ResolvedRecord, SenmlPack } from '../../schemas/senml/index.ts';
import { expectSenmlError } from './expectSenmlError.ts';
import * as v from './vectors.ts';

const NOW = 1_700_000_000;
const json = (text: string, now = NOW) => resolve(decodeSenmlJson(text), now);
const lwm2m = (text: string, now = NOW) => resolve(decodeSenmlJson(text, { profile: 'lwm2m' }), now, { profile: 'lwm2m' });
const num = (x: number) => ({ kind: 'number', v: x }) as const;

describe('resolve: the RFC 8428 examples', () => {
  it('5.1.1: a record without time was measured "now"', () => {
    expect(json(v.singleDataPoint)).toEqual([{ name: 'urn:dev:ow:10e2073a01080063', time: NOW, unit: 'Cel', value: num(23.1) }]);
  });

  it('5.1.2: base name prefixes names, base unit fills missing units, relative t adds to base time', () => {
    const out = json(v.multipleTimed);
    expect(out.map((r) => [r.name, r.unit, r.value.v])).toEqual([
      ['urn:dev:ow:10e2073a0108006:voltage', 'V', 120.1],
      ...[1.2, 1.3, 1.4, 1.5, 1.6, 1.7].map((x) => ['urn:dev:ow:10e2073a0108006:current', 'A', x]),
    ]);
    const times = out.map((r) => r.time - 1276020076.001);
    [0, -5, -4, -3, -2, -1, 0].forEach((dt, i) => expect(times[i]).toBeCloseTo(dt, 6));
    // bver 5 is not the version of RFC 8428, so resolved records keep it (section 4.6)
    expect(out.every((r) => r.version === 5)).toBe(true);
  });

  it('5.1.3 resolves to exactly the records 5.1.4 prints', () => {
    const printed = JSON.parse(v.multipleMeasurementsResolved) as { n: string; u: string; t: number; v: number }[];
    expect(json(v.multipleMeasurements)).toEqual(printed.map((r) => ({ name: r.n, unit: r.u, time: r.t, value: num(r.v) })));
  });

  it('5.1.5: every value kind', () => {
    expect(json(v.multipleTypes).map((r) => r.value)).toEqual([
      num(23.1),
      { kind: 'string', v: 'Machine Room' },
      { kind: 'boolean', v: false },
      { kind: 'data', v: new Uint8Array([0x68, 0x69, 0x20, 0x0a]) },
    ]);
  });

  it('5.1.6: a new base name applies from its record on; the base time carries over', () => {
    expect(json(v.collection).map((r) => [r.name, r.time, r.unit])).toEqual([
      ['2001:db8::2/temperature', 1320078429, 'Cel'],
      ['2001:db8::2/humidity', 1320078429, '%RH'],
      ['2001:db8::1/temperature', 1320078429, 'Cel'],
      ['2001:db8::1/humidity', 1320078429, '%RH'],
    ]);
  });

  it('5.1.7: a record with only a base name sets the base and is not a measurement', () => {
    expect(json(v.actuator).map((r) => [r.name, r.unit, r.value.v])).toEqual([
      ['urn:dev:ow:10e2073a01080063:temp', 'Cel', 23.1],
      ['urn:dev:ow:10e2073a01080063:heat', '/', 1],
      ['urn:dev:ow:10e2073a01080063:fan', '/', 0],
    ]);
  });

  it('5.1.7: t adds to an absolute base time (lights off 0.1 s later)', () => {
    expect(json(v.lightsOff).map((r) => r.time)).toEqual([1320078429, 1320078429, 1320078429.1, 1320078429.1]);
  });
});

describe('resolve: time (RFC 8428 section 4.5.3)', () => {
  const timeOf = (fields: string) => json(`[{"n":"a","v":1,${fields}}]`)[0]!.time;

  it('treats a sum of base time and time below 2**28 as relative to now', () => {
    expect(timeOf('"t":-60')).toBe(NOW - 60);
    expect(timeOf('"t":10')).toBe(NOW + 10);
    expect(timeOf('"bt":268435455')).toBe(NOW + 268435455);
    expect(timeOf('"bt":-100,"t":40')).toBe(NOW - 60);
  });

  it('treats 2**28 and above as absolute', () => {
    expect(timeOf('"bt":268435456')).toBe(268435456);
    expect(timeOf('"t":1700000123.5')).toBe(1700000123.5);
    expect(timeOf('"bt":268435000,"t":456')).toBe(268435456);
  });

  it('keeps pack order rather than sorting by time', () => {
    expect(json('[{"n":"a","t":-1,"v":1},{"n":"a","t":-5,"v":2}]').map((r) => r.value.v)).toEqual([1, 2]);
  });

  it('refuses a time no date can hold, and sums that overflow a double', () => {
    expectSenmlError(() => json('[{"n":"a","v":1,"bt":1e300}]'), 'bad-type', 0);
    expectSenmlError(() => json('[{"n":"a","v":1},{"n":"a","v":1,"t":-1e13}]'), 'bad-type', 1);
    expectSenmlError(() => json('[{"n":"a","v":1.7e308,"bv":1.7e308}]'), 'bad-type', 0);
    expectSenmlError(() => json('[{"n":"a","s":1.7e308,"bs":1.7e308}]'), 'bad-type', 0);
    expect(json('[{"n":"a","v":1,"t":8.64e12}]')[0]!.time).toBe(8.64e12);
  });

  it('refuses a "now" that is not a finite number', () => {
    expectSenmlError(() => resolve([{ n: 'a', v: 1 }], Number.NaN), 'bad-argument');
  });
});

describe('resolve: values, sums, units (RFC 8428 section 4.5)', () => {
  it('adds the base value to v, in its record and the ones after it', () => {
    expect(json('[{"bv":100,"n":"a","v":1},{"n":"b","v":2},{"n":"c","vs":"x"}]').map((r) => r.value)).toEqual([
      num(101),
      num(102),
      { kind: 'string', v: 'x' },
    ]);
  });

  it('reads a record whose only value is its own base value as that value (missing v counts as 0)', () => {
    expect(json('[{"n":"dev","bv":1}]')[0]!.value).toEqual(num(1));
  });

  it('treats a record with only base fields as setting the base', () => {
    expect(json('[{"bn":"x:","bv":100,"bu":"W"},{"n":"a","v":5}]')).toEqual([{ name: 'x:a', time: NOW, unit: 'W', value: num(105) }]);
  });

  it('adds base sum and sum; a record with only a sum has value kind "sum"', () => {
    expect(json('[{"bs":10,"n":"a","v":1},{"n":"a","s":5},{"n":"b","u":"kg","s":61}]')).toEqual([
      { name: 'a', time: NOW, value: num(1), sum: 10 },
      { name: 'a', time: NOW, value: { kind: 'sum', v: 15 }, sum: 15 },
      { name: 'b', time: NOW, unit: 'kg', value: { kind: 'sum', v: 71 }, sum: 71 },
    ]);
    expect(json('[{"n":"dev","bs":1}]')[0]!.sum).toBe(1);
  });

  it('keeps update time and units; the record unit wins over the base unit', () => {
    expect(json('[{"bu":"A","n":"a","u":"V","v":1,"ut":60},{"n":"b","v":2}]')).toEqual([
      { name: 'a', time: NOW, unit: 'V', value: num(1), updateTime: 60 },
      { name: 'b', time: NOW, unit: 'A', value: num(2) },
    ]);
  });

  it('refuses a record with a name but no value and no sum', () => {
    const error = expectSenmlError(() => json('[{"n":"a","v":1},{"n":"hi"}]'), 'no-value', 1);
    expect(error.message).toContain('resolvePaths');
    expectSenmlError(() => json('[{}]'), 'no-value', 0);
    expectSenmlError(() => json('[{"n":"a","u":"Cel","t":5}]'), 'no-value', 0);
  });

  it('checks packs built in code as a decoder would', () => {
    expectSenmlError(() => resolve([{ n: 'a', v: Number.NaN }], NOW), 'bad-type', 0);
    expectSenmlError(() => resolve([{ n: 'a', v: 1, vs: 'x' }], NOW), 'multiple-values', 0);
    expectSenmlError(() => resolve({} as unknown as SenmlPack, NOW), 'not-an-array');
    expect(resolve([{ n: 'a', v: 1, t: undefined }] as unknown as SenmlPack, NOW)).toEqual([{ name: 'a', time: NOW, value: num(1) }]);
  });

  it('leaves version out when the pack is version 10, stated or not', () => {
    const out = json('[{"bver":10,"n":"a","v":1}]');
    expect(out[0]).not.toHaveProperty('version');
  });
});

describe('resolve: names (RFC 8428 section 4.5.1)', () => {
  it.each(['a', '3a', 'Az3-:./_', 'urn:dev:ow:10e2073a', 'http://example.com', '2001:db8::2/temperature'])('accepts %j', (name) => {
    expect(isValidSenmlName(name)).toBe(true);
    expect(json(`[{"n":"${name}","v":1}]`)[0]!.name).toBe(name);
  });

  it.each(['-A', ':A', '.A', '/A', '_A', '~A', '#A', '%A', ' A', 'A ', 'A;b', 'room#3', '\u00e9', '/3303/0/5700'])('refuses %j', (name) => {
    expect(isValidSenmlName(name)).toBe(false);
    expectSenmlError(() => json(`[{"n":"a","v":1},{"n":${JSON.stringify(name)},"v":1}]`), 'invalid-name', 1);
  });

  it('checks the concatenation, not the parts', () => {
    expect(json('[{"bn":"a","n":"/b","v":1}]')[0]!.name).toBe('a/b');
    expectSenmlError(() => json('[{"bn":"/room","n":"dev","v":1}]'), 'invalid-name', 0);
    expectSenmlError(() => json('[{"bn":"room#","n":"3","v":1}]'), 'invalid-name', 0);
  });

  it('refuses a record that ends up with no name at all', () => {
    expectSenmlError(() => json('[{"v":1}]'), 'invalid-name', 0);
    expectSenmlError(() => json('[{"bn":"","n":"","v":1}]'), 'invalid-name', 0);
  });
});

describe('resolve: the lwm2m profile (LwM2M Core 1.1 names are paths)', () => {
  it('accepts names that start with "/", and parses them as LwM2M paths', () => {
    const out: ResolvedRecord[] = lwm2m(v.lwm2mTemperature);
    expect(out.map((r) => [r.name, r.time, r.value])).toEqual([
      ['/3303/0/5700', NOW - 60, num(21.5)],
      ['/3303/0/5700', NOW - 30, num(21.7)],
      ['/3303/0/5701', NOW - 60, { kind: 'string', v: 'Cel' }],
      ['/3/0/0', NOW - 60, { kind: 'string', v: 'Example Corp' }],
      ['/3/0/19', NOW - 60, { kind: 'objlnk', v: { objectId: 3303, instanceId: 0 } }],
    ]);
    expect(out.map((r) => parseLwm2mName(r.name))).toEqual([
      { objectId: 3303, instanceId: 0, resourceId: 5700 },
      { objectId: 3303, instanceId: 0, resourceId: 5700 },
      { objectId: 3303, instanceId: 0, resourceId: 5701 },
      { objectId: 3, instanceId: 0, resourceId: 0 },
      { objectId: 3, instanceId: 0, resourceId: 19 },
    ]);
  });

  it('still refuses characters outside the RFC set and a doubled slash', () => {
    expect(isValidSenmlName('/3303/0/5700', 'lwm2m')).toBe(true);
    for (const name of ['//3/0', '/', '/3 0', '/3/0#1']) expect(isValidSenmlName(name, 'lwm2m')).toBe(false);
    expectSenmlError(() => lwm2m('[{"n":"//3/0/1","v":1}]'), 'invalid-name', 0);
  });
});

describe('resolvePaths: LwM2M Read-Composite and Observe-Composite bodies', () => {
  it('lists the named paths', () => {
    const pack = decodeSenmlJson('[{"n":"/3/0/0"},{"bn":"/1/0/","n":"1"},{"n":"2"}]', { profile: 'lwm2m' });
    expect(resolvePaths(pack, { profile: 'lwm2m' })).toEqual(['/3/0/0', '/1/0/1', '/1/0/2']);
  });

  it('refuses a record with a value, and invalid names', () => {
    expectSenmlError(() => resolvePaths([{ n: '/3/0/0' }, { n: '/3/0/1', v: 1 }], { profile: 'lwm2m' }), 'unexpected-value', 1);
    expectSenmlError(() => resolvePaths([{ n: '/3/0/0' }]), 'invalid-name', 0);
  });
});
