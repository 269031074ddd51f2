import { describe, expect, it } from 'vitest';
import { decodeSenmlCbor, decodeSenmlJson, resolve } from '../../schemas/senml/index.ts';
import { expectSenmlError } from './expectSenmlError.ts';
import { hex, multipleTimed, multipleTimedCborHex } from './vectors.ts';

/** [{0: "a", 2: <item>}]: one record named "a" whose v is the given CBOR item. */
const withV = (item: string) => hex(`81 a2 00 61 61 02 ${item}`);
const vOf = (item: string) => decodeSenmlCbor(withV(item))[0]!.v;

describe('decodeSenmlCbor: the RFC 8428 section 6 example', () => {
  it('decodes the RFC hex dump into the records of the JSON example', () => {
    const pack = decodeSenmlCbor(hex(multipleTimedCborHex));
    expect(pack).toHaveLength(7);
    expect(pack[0]).toEqual({ bn: 'urn:dev:ow:10e2073a0108006:', bt: 1276020076.001, bu: 'A', bver: 5, n: 'voltage', u: 'V', v: 120.1 });
    expect(pack[4]).toEqual({ n: 'current', t: -2, v: 1.5 }); // the half-precision float
    expect(pack[6]).toEqual({ n: 'current', t: 0, v: 1.7 }); // CBOR writes 6: 0 where JSON omits t
  });

  it('resolves to exactly what the JSON form resolves to', () => {
    const now = 1_700_000_000;
    expect(resolve(decodeSenmlCbor(hex(multipleTimedCborHex)), now)).toEqual(resolve(decodeSenmlJson(multipleTimed), now));
  });

  it('accepts the self-described CBOR tag 55799 in front of the pack', () => {
    expect(decodeSenmlCbor(hex('d9 d9 f7 81 a2 00 61 61 02 01'))).toEqual([{ n: 'a', v: 1 }]);
  });
});

describe('decodeSenmlCbor: numbers (RFC 8428 section 6: integers, floats, decimal fractions)', () => {
  it('reads every integer width, both signs', () => {
    expect([vOf('05'), vOf('18 2c'), vOf('19 2c1a'), vOf('1a 2c1a2319'), vOf('20'), vOf('38 2c'), vOf('39 2c1a'), vOf('3a 2c1a2319')]).toEqual([
      5, 44, 11290, 739910425, -1, -45, -11291, -739910426,
    ]);
  });

  it('turns 64-bit integers into the nearest double, as a JSON number would be', () => {
    expect(vOf('1b 2c1a23197bce72d7')).toBe(Number(3177891079421588183n));
    expect(vOf('3b 2c1a23197bce72d7')).toBe(Number(-3177891079421588184n));
    expect(vOf('1b ffffffffffffffff')).toBe(2 ** 64);
  });

  it('reads half, single and double floats', () => {
    expect([vOf('f9 3e00'), vOf('f9 7bff'), vOf('fa 47c35000'), vOf('fb 3ff199999999999a'), vOf('f9 8000')]).toEqual([1.5, 65504, 100000, 1.1, -0]);
  });

  it('reads a decimal fraction (tag 4) to the double nearest the decimal', () => {
    expect(vOf('c4 82 21 19 69eb')).toBe(271.15);
    expect(vOf('c4 82 20 19 0267')).toBe(61.5);
    expect(vOf('c4 82 01 03')).toBe(30);
  });

  it.each([
    ['NaN', 'f9 7e00'],
    ['Infinity', 'f9 7c00'],
    ['-Infinity', 'fb fff0000000000000'],
    ['a decimal fraction too large for a double', 'c4 82 19 ffff 01'],
  ])('refuses %s: a SenML number is a finite JSON-equivalent number', (_what, item) => {
    expectSenmlError(() => decodeSenmlCbor(withV(item)), 'bad-type', 0);
  });

  it.each([
    ['a bignum (tag 2)', 'c2 49 010000000000000000'],
    ['an epoch date (tag 1)', 'c1 1a 514b67b0'],
    ['a tag-4 fraction with a bignum mantissa', 'c4 82 21 c2 41 01'],
    ['a tag-4 fraction that is not a pair', 'c4 83 01 02 03'],
    ['a simple value', 'f0'],
    ['a one-byte simple value', 'f8 ff'],
    ['null', 'f6'],
    ['undefined', 'f7'],
    ['an array', '82 01 02'],
    ['a map', 'a1 01 02'],
    ['a text string', '61 31'],
  ])('refuses %s as "v"', (_what, item) => {
    expectSenmlError(() => decodeSenmlCbor(withV(item)), 'bad-type', 0);
  });
});

describe('decodeSenmlCbor: labels', () => {
  it('reads every value type', () => {
    expect(decodeSenmlCbor(hex('84 a2 00 61 61 03 62 6869  a2 00 61 62 04 f5  a2 00 61 63 08 43 010203  a2 00 61 64 05 0a'))).toEqual([
      { n: 'a', vs: 'hi' },
      { n: 'b', vb: true },
      { n: 'c', vd: new Uint8Array([1, 2, 3]) },
      { n: 'd', s: 10 },
    ]);
  });

  it('returns vd as a copy, not a view into the payload', () => {
    const bytes = hex('81 a2 00 61 63 08 43 010203');
    const vd = decodeSenmlCbor(bytes)[0]!.vd!;
    bytes[bytes.length - 1] = 0xff;
    expect([...vd]).toEqual([1, 2, 3]);
  });

  it('ignores unknown labels: text keys and integers outside Table 4 (RFC 8428 section 4.4)', () => {
    // {0: "a", 2: 1, "foo": 1, 9: [1, 2]}
    expect(decodeSenmlCbor(hex('81 a4 00 61 61 02 01 63 666f6f 01 09 82 01 02'))).toEqual([{ n: 'a', v: 1 }]);
  });

  it('fails on an unknown label ending in "_" (must understand)', () => {
    const error = expectSenmlError(() => decodeSenmlCbor(hex('81 a3 00 61 61 02 01 64 666f6f5f 01')), 'must-understand-label', 0);
    expect(error.message).toContain('foo_');
  });

  it('refuses a text key that is an RFC label name: that encoder forgot the integers', () => {
    // {"n": "a", "v": 1}, what a CBOR encoder without the SenML key map writes
    const error = expectSenmlError(() => decodeSenmlCbor(hex('81 a2 61 6e 61 61 61 76 01')), 'bad-type', 0);
    expect(error.message).toContain('integer 0');
  });

  it('refuses a label twice in one record, however the key is encoded', () => {
    expectSenmlError(() => decodeSenmlCbor(hex('82 a2 00 61 61 02 01 a3 00 61 61 02 01 02 02')), 'duplicate-label', 1);
    expectSenmlError(() => decodeSenmlCbor(hex('81 a3 00 61 61 02 01 18 02 02')), 'duplicate-label', 0);
  });

  it('refuses map keys that are neither integers nor text', () => {
    expectSenmlError(() => decodeSenmlCbor(hex('81 a2 00 61 61 41 00 01')), 'bad-type', 0);
  });

  it('refuses vd as a text string: RFC 8428 section 6 requires a byte string', () => {
    expectSenmlError(() => decodeSenmlCbor(hex('81 a2 00 61 61 08 63 616263')), 'bad-type', 0);
  });

  it.each([
    ['n as a number', '81 a2 00 01 02 01'],
    ['vb as an integer', '81 a2 00 61 61 04 01'],
    ['vs as bytes', '81 a2 00 61 61 03 41 00'],
    ['t as text', '81 a3 00 61 61 02 01 06 61 31'],
    ['bver as a fraction', '81 a3 20 f9 3e00 00 61 61 02 01'],
    ['bver 0', '81 a3 20 00 00 61 61 02 01'],
  ])('refuses %s', (_what, bytes) => {
    expectSenmlError(() => decodeSenmlCbor(hex(bytes)), 'bad-type', 0);
  });

  it('refuses two values in one record', () => {
    expectSenmlError(() => decodeSenmlCbor(hex('81 a3 00 61 61 02 01 03 61 78')), 'multiple-values', 0);
  });

  it('understands vlo (a text key) only in the lwm2m profile', () => {
    const bytes = hex('81 a2 00 66 2f332f302f31 63 766c6f 64 36363a30'); // {0: "/3/0/1", "vlo": "66:0"}
    expect(decodeSenmlCbor(bytes, { profile: 'lwm2m' })).toEqual([{ n: '/3/0/1', vlo: '66:0' }]);
    expect(decodeSenmlCbor(bytes)).toEqual([{ n: '/3/0/1' }]); // an unknown label in plain RFC 8428
  });
});

describe('decodeSenmlCbor: versions (RFC 8428 section 4.4)', () => {
  it('refuses a version above 10', () => {
    expectSenmlError(() => decodeSenmlCbor(hex('81 a3 20 0b 00 61 61 02 01')), 'unsupported-version', 0);
  });

  it('refuses records of one pack with different versions', () => {
    // [{0:"a",2:1}, {-1: 5, 0:"a", 2:1}]: the first is version 10 by default
    expectSenmlError(() => decodeSenmlCbor(hex('82 a2 00 61 61 02 01 a3 20 05 00 61 61 02 01')), 'version-mismatch', 1);
  });

  it('carries bver to the records after it', () => {
    expect(decodeSenmlCbor(hex('82 a3 20 05 00 61 61 02 01 a2 00 61 61 02 02'))).toHaveLength(2);
  });
});

describe('decodeSenmlCbor: the pack structure', () => {
  it('accepts an empty pack', () => {
    expect(decodeSenmlCbor(hex('80'))).toEqual([]);
  });

  it('accepts indefinite-length record maps', () => {
    expect(decodeSenmlCbor(hex('81 bf 00 61 61 02 01 ff'))).toEqual([{ n: 'a', v: 1 }]);
  });

  it('refuses an indefinite-length top-level array (RFC 8428 section 6)', () => {
    const error = expectSenmlError(() => decodeSenmlCbor(hex('9f a2 00 61 61 02 01 ff')), 'not-an-array');
    expect(error.message).toContain('definite-length');
  });

  it('refuses indefinite-length strings (RFC 8428 section 6)', () => {
    expectSenmlError(() => decodeSenmlCbor(hex('81 a2 00 7f 61 61 ff 02 01')), 'not-cbor', 0);
  });

  it.each([
    ['a map', 'a2 00 61 61 02 01', 'not-an-array'],
    ['a number', '01', 'not-an-array'],
    ['a record that is a number', '81 01', 'not-a-record'],
    ['a record that is an array', '81 80', 'not-a-record'],
  ] as const)('refuses %s', (_what, bytes, code) => {
    expectSenmlError(() => decodeSenmlCbor(hex(bytes)), code);
  });

  it.each([
    ['nothing', ''],
    ['a truncated pack', '82 a2 00 61 61 02 01'],
    ['a truncated string', '81 a2 00 65 61'],
    ['trailing bytes after the pack', '81 a2 00 61 61 02 01 00'],
    ['two packs back to back', '81 a2 00 61 61 02 01 81 a2 00 61 61 02 01'],
    ['reserved additional information', '81 a1 00 1c'],
    ['a stray break', '81 a1 00 ff'],
    ['invalid UTF-8 in a name', '81 a2 00 62 c328 02 01'],
    ['an array inside a record that claims 2**64-1 items', '81 a2 00 61 61 02 9b ffffffffffffffff 00'],
    ['a byte string that claims 4 GiB', '81 a2 00 61 61 08 5a ffffffff 00'],
  ])('refuses %s as malformed CBOR', (_what, bytes) => {
    expectSenmlError(() => decodeSenmlCbor(hex(bytes)), 'not-cbor');
  });

  it('refuses what is not a Uint8Array', () => {
    expectSenmlError(() => decodeSenmlCbor('81a0' as unknown as Uint8Array), 'bad-argument');
  });
});

describe('decodeSenmlCbor: limits', () => {
  it('refuses a pack over the byte limit, default 64 KiB', () => {
    const name = 'a'.repeat(70_000);
    const big = hex(`81 a2 00 7a ${(70_000).toString(16).padStart(8, '0')} ${Buffer.from(name).toString('hex')} 02 01`);
    expectSenmlError(() => decodeSenmlCbor(big), 'too-large');
    expect(decodeSenmlCbor(big, { limits: { maxBytes: 80_000 } })[0]!.n).toHaveLength(70_000);
  });

  it('refuses a pack that claims 2**64-1 records before reading any', () => {
    expectSenmlError(() => decodeSenmlCbor(hex('9b ffffffffffffffff 00')), 'too-large');
  });

  it('refuses more records than the limit, default 1,000', () => {
    const record = 'a2 00 61 61 02 01';
    const pack = (n: number) => hex(`99 ${n.toString(16).padStart(4, '0')} ${record.repeat(n)}`);
    expect(decodeSenmlCbor(pack(1000))).toHaveLength(1000);
    expectSenmlError(() => decodeSenmlCbor(pack(1001)), 'too-large');
    expectSenmlError(() => decodeSenmlCbor(pack(3), { limits: { maxRecords: 2 } }), 'too-large');
  });

  it('refuses nesting deeper than the limit, even inside a label it would ignore', () => {
    const nested = (depth: number) => hex(`81 a3 00 61 61 02 01 63 666f6f ${'81'.repeat(depth)} 00`);
    expect(decodeSenmlCbor(nested(10))).toEqual([{ n: 'a', v: 1 }]);
    expectSenmlError(() => decodeSenmlCbor(nested(20)), 'too-large', 0);
    expectSenmlError(() => decodeSenmlCbor(nested(10_000), { limits: { maxBytes: 1e6 } }), 'too-large', 0);
  });
});
