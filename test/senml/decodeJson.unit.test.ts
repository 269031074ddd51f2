import { describe, expect, it } from 'vitest';
import { decodeSenmlJson } from '../../schemas/senml/index.ts';
import { expectSenmlError } from './expectSenmlError.ts';
import * as v from './vectors.ts';

describe('decodeSenmlJson: the RFC 8428 section 5.1 examples', () => {
  it.each([
    ['5.1.1', v.singleDataPoint, 1],
    ['5.1.2 now', v.multipleNow, 2],
    ['5.1.2 timed', v.multipleTimed, 7],
    ['5.1.3', v.multipleMeasurements, 13],
    ['5.1.5', v.multipleTypes, 4],
    ['5.1.6', v.collection, 4],
    ['5.1.7 actuator', v.actuator, 4],
    ['5.1.7 lights off', v.lightsOff, 4],
  ])('decodes %s', (_section, text, records) => {
    expect(decodeSenmlJson(text)).toHaveLength(records);
  });

  it('keeps labels as typed fields and vd as bytes', () => {
    expect(decodeSenmlJson(v.multipleTypes)).toEqual([
      { bn: 'urn:dev:ow:10e2073a01080063:', n: 'temp', u: 'Cel', v: 23.1 },
      { n: 'label', vs: 'Machine Room' },
      { n: 'open', vb: false },
      { n: 'nfv-reader', vd: new Uint8Array([0x68, 0x69, 0x20, 0x0a]) },
    ]);
  });

  it('reads UTF-8 bytes as well as text', () => {
    expect(decodeSenmlJson(Buffer.from('[{"n":"cafe","vs":"\u00e9t\u00e9"}]', 'utf8'))).toEqual([{ n: 'cafe', vs: '\u00e9t\u00e9' }]);
  });
});

describe('decodeSenmlJson: vd (base64url, RFC 8428 section 5)', () => {
  const vd = (text: string) => [...decodeSenmlJson(`[{"n":"a","vd":"${text}"}]`)[0]!.vd!];

  it('reads base64url without padding, and tolerates padding and the standard alphabet', () => {
    expect(vd('aGkgCg')).toEqual([0x68, 0x69, 0x20, 0x0a]);
    expect(vd('aGkgCg==')).toEqual([0x68, 0x69, 0x20, 0x0a]);
    expect(vd('-_8')).toEqual([0xfb, 0xff]);
    expect(vd('+/8=')).toEqual([0xfb, 0xff]);
    expect(vd('')).toEqual([]);
  });

  it.each(['a', 'aGkgC', 'aG=kgCg', 'aGkgCg=', 'aGk gCg', 'aGk$', 'aGkgCg==='])('refuses %j', (text) => {
    expectSenmlError(() => vd(text), 'bad-type', 0);
  });
});

describe('decodeSenmlJson: labels and types', () => {
  it('ignores unknown labels and fails on unknown ones ending in "_" (RFC 8428 section 4.4)', () => {
    expect(decodeSenmlJson('[{"n":"a","v":1,"foo":{"x":[1]}}]')).toEqual([{ n: 'a', v: 1 }]);
    expectSenmlError(() => decodeSenmlJson('[{"n":"a","v":1},{"n":"b","v":2,"foo_":1}]'), 'must-understand-label', 1);
  });

  it('understands vlo only in the lwm2m profile, and checks it there', () => {
    expect(decodeSenmlJson('[{"n":"/3/0/1","vlo":"66:0"}]', { profile: 'lwm2m' })).toEqual([{ n: '/3/0/1', vlo: '66:0' }]);
    expect(decodeSenmlJson('[{"n":"a","vlo":"66:0"}]')).toEqual([{ n: 'a' }]);
    for (const bad of ['"66"', '"66:0:1"', '"70000:0"', '"a:b"', '66']) {
      expectSenmlError(() => decodeSenmlJson(`[{"n":"/3/0/1","vlo":${bad}}]`, { profile: 'lwm2m' }), 'bad-type', 0);
    }
  });

  it.each([
    ['n as a number', '[{"n":1,"v":1}]'],
    ['v as a string', '[{"n":"a","v":"1"}]'],
    ['v beyond a double', '[{"n":"a","v":1e400}]'],
    ['t as null', '[{"n":"a","v":1,"t":null}]'],
    ['vb as a string', '[{"n":"a","vb":"true"}]'],
    ['vd as a number', '[{"n":"a","vd":1}]'],
    ['bver as a fraction', '[{"bver":5.5,"n":"a","v":1}]'],
    ['bver as a negative number', '[{"bver":-1,"n":"a","v":1}]'],
    ['bu as a boolean', '[{"bu":true,"n":"a","v":1}]'],
  ])('refuses %s', (_what, text) => {
    expectSenmlError(() => decodeSenmlJson(text), 'bad-type', 0);
  });

  it('refuses two values in one record, and a base value beside a non-numeric value', () => {
    expectSenmlError(() => decodeSenmlJson('[{"n":"a","v":1,"vs":"on"}]'), 'multiple-values', 0);
    expectSenmlError(() => decodeSenmlJson('[{"n":"a","vb":true,"vd":""}]'), 'multiple-values', 0);
    expectSenmlError(() => decodeSenmlJson('[{"n":"a","bv":1,"vs":"on"}]'), 'multiple-values', 0);
  });

  it('checks the version: at most 10, the same for every record', () => {
    expectSenmlError(() => decodeSenmlJson('[{"bver":11,"n":"a","v":1}]'), 'unsupported-version', 0);
    expectSenmlError(() => decodeSenmlJson('[{"bver":10,"n":"a","v":1},{"bver":5,"n":"a","v":1}]'), 'version-mismatch', 1);
    expectSenmlError(() => decodeSenmlJson('[{"n":"a","v":1},{"bver":5,"n":"a","v":1}]'), 'version-mismatch', 1);
    expect(decodeSenmlJson('[{"n":"a","v":1},{"bver":10,"n":"a","v":1}]')).toHaveLength(2);
    expect(decodeSenmlJson('[{"bver":5,"n":"a","v":1},{"n":"a","v":1}]')).toHaveLength(2);
  });
});

describe('decodeSenmlJson: the pack structure and limits', () => {
  it.each([
    ['not JSON', ' foo ', 'not-json'],
    ['truncated JSON', '[{"n":"a"', 'not-json'],
    ['an object', '{"n":"hi","v":1}', 'not-an-array'],
    ['a string', '"[]"', 'not-an-array'],
    ['a record that is an array', '[[1]]', 'not-a-record'],
    ['a record that is null', '[null]', 'not-a-record'],
  ] as const)('refuses %s', (_what, text, code) => {
    expectSenmlError(() => decodeSenmlJson(text), code);
  });

  it('refuses bytes that are not UTF-8', () => {
    expectSenmlError(() => decodeSenmlJson(new Uint8Array([0x5b, 0x22, 0xc3, 0x28, 0x22, 0x5d])), 'not-json');
  });

  it('refuses what is neither text nor bytes', () => {
    expectSenmlError(() => decodeSenmlJson(42 as unknown as string), 'bad-argument');
  });

  it('refuses packs over the byte, record and depth limits', () => {
    expectSenmlError(() => decodeSenmlJson(`[{"n":"${'a'.repeat(70_000)}","v":1}]`), 'too-large');
    expectSenmlError(() => decodeSenmlJson(`[{"n":"\u00e9\u00e9","v":1}]`, { limits: { maxBytes: 19 } }), 'too-large');
    expectSenmlError(() => decodeSenmlJson(JSON.stringify(Array.from({ length: 1001 }, () => ({ n: 'a', v: 1 })))), 'too-large');
    expectSenmlError(() => decodeSenmlJson(`[{"n":"a","v":1,"x":${'['.repeat(20)}${']'.repeat(20)}}]`), 'too-large');
    // brackets inside strings are text, not nesting
    expect(decodeSenmlJson(`[{"n":"a","vs":"${'[{'.repeat(20)}\\"${'['.repeat(20)}"}]`)[0]!.vs).toHaveLength(61);
  });
});
