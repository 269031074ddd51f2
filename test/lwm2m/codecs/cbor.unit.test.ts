import { describe, expect, it } from 'vitest';
import { readCbor } from '../../../schemas/lwm2m/codecs/cbor/read.ts';
import { writeCbor } from '../../../schemas/lwm2m/codecs/cbor/write.ts';
import type { CborItem } from '../../../schemas/lwm2m/codecs/cbor/item.ts';
import { DEFAULT_CODEC_LIMITS, decodeCborValue, decodeLwm2mCbor, encodeCborValue, encodeLwm2mCbor, MAX_UINT64 } from '../../../schemas/lwm2m/index.ts';
import type { ResourceValue } from '../../../schemas/lwm2m/index.ts';
import { expectCodecError, hex, TEST_MODEL, toHex } from './helpers.ts';

const read = (h: string) => readCbor(hex(h), DEFAULT_CODEC_LIMITS, 60);
const int = (v: number | bigint): CborItem => ({ kind: 'int', value: BigInt(v) });
const text = (value: string): CborItem => ({ kind: 'text', value });

describe('the CBOR reader, on RFC 8949 Appendix A examples', () => {
  it.each([
    ['00', int(0)],
    ['17', int(23)],
    ['1818', int(24)],
    ['1903e8', int(1000)],
    ['1b000000e8d4a51000', int(1000000000000)],
    ['1bffffffffffffffff', int(MAX_UINT64)],
    ['3bffffffffffffffff', int(-(2n ** 64n))],
    ['20', int(-1)],
    ['3903e7', int(-1000)],
    ['f90000', { kind: 'float', value: 0 }],
    ['f93c00', { kind: 'float', value: 1 }],
    ['f93e00', { kind: 'float', value: 1.5 }],
    ['f97bff', { kind: 'float', value: 65504 }],
    ['f90001', { kind: 'float', value: 5.960464477539063e-8 }],
    ['f90400', { kind: 'float', value: 0.00006103515625 }],
    ['f9c400', { kind: 'float', value: -4 }],
    ['f97c00', { kind: 'float', value: Infinity }],
    ['fa47c35000', { kind: 'float', value: 100000 }],
    ['fb3ff199999999999a', { kind: 'float', value: 1.1 }],
    ['f4', { kind: 'bool', value: false }],
    ['f5', { kind: 'bool', value: true }],
    ['f6', { kind: 'null' }],
    ['f7', { kind: 'undefined' }],
    ['f0', { kind: 'simple', value: 16 }],
    ['f8ff', { kind: 'simple', value: 255 }],
    ['c11a514b67b0', { kind: 'tag', tag: 1n, item: int(1363896240) }],
    ['40', { kind: 'bytes', value: new Uint8Array(0) }],
    ['4401020304', { kind: 'bytes', value: Uint8Array.of(1, 2, 3, 4) }],
    ['60', text('')],
    ['6449455446', text('IETF')],
    ['62225c', text('"\\')],
    ['62c3bc', text('ü')],
    ['80', { kind: 'array', items: [] }],
    ['8301820203820405', { kind: 'array', items: [int(1), { kind: 'array', items: [int(2), int(3)] }, { kind: 'array', items: [int(4), int(5)] }] }],
    ['a201020304', { kind: 'map', entries: [[int(1), int(2)], [int(3), int(4)]] }],
    ['5f42010243030405ff', { kind: 'bytes', value: Uint8Array.of(1, 2, 3, 4, 5) }],
    ['7f657374726561646d696e67ff', text('streaming')],
    ['9fff', { kind: 'array', items: [] }],
    ['bf61610161629f0203ffff', { kind: 'map', entries: [[text('a'), int(1)], [text('b'), { kind: 'array', items: [int(2), int(3)] }]] }],
  ] as [string, CborItem][])('%s', (h, item) => {
    expect(read(h)).toEqual(item);
  });

  it('reads NaN and -0 as what they are', () => {
    expect(Number.isNaN((read('f97e00') as { value: number }).value)).toBe(true);
    expect(Object.is((read('f98000') as { value: number }).value, -0)).toBe(true);
  });

  it.each([
    ['1c', 'malformed', 'reserved additional information'],
    ['1f', 'malformed', 'indefinite integer'],
    ['ff', 'malformed', 'a break outside an indefinite item'],
    ['5f41', 'truncated', 'an indefinite string without its break'],
    ['5f6161ff', 'malformed', 'a text chunk inside a byte string'],
    ['62c3', 'truncated', 'a string cut short'],
    ['61ff', 'malformed', 'invalid UTF-8'],
    ['f818', 'malformed', 'a simple value below 32 in two bytes'],
    ['9bffffffffffffffff', 'truncated', 'an array that claims 2^64 items'],
    ['bb7fffffffffffffff', 'truncated', 'a map that claims 2^63 pairs'],
    ['0000', 'malformed', 'a byte after the item'],
    ['', 'truncated', 'nothing at all'],
    ['a1bf', 'truncated', 'a map whose value is missing'],
  ])('refuses %s: %s (%s)', (h, reason) => {
    expectCodecError(() => read(h), reason as 'malformed' | 'truncated');
  });

  it('stops at limits.maxDepth before recursing further', () => {
    expectCodecError(() => readCbor(new Uint8Array(9).fill(0x81), DEFAULT_CODEC_LIMITS, 60), 'too-deep');
    expect(readCbor(Uint8Array.of(...new Array<number>(8).fill(0x81), 0x00), DEFAULT_CODEC_LIMITS, 60).kind).toBe('array');
    expectCodecError(() => readCbor(new Uint8Array(100_000).fill(0xc1), { ...DEFAULT_CODEC_LIMITS, maxBytes: 200_000 }, 60), 'too-deep');
  });

  it('writes the shortest heads and reads back what it wrote', () => {
    const item: CborItem = {
      kind: 'map',
      entries: [
        [int(23), int(24)],
        [int(255), int(256)],
        [int(65535), int(65536)],
        [int(4294967295), int(4294967296)],
        [int(-1), int(-25)],
        [text('f'), { kind: 'array', items: [{ kind: 'float', value: 1.5 }, { kind: 'float', value: 0.1 }, { kind: 'bool', value: true }, { kind: 'null' }] }],
      ],
    };
    const bytes = writeCbor(item);
    expect(toHex(bytes)).toBe(
      'a6' + '17' + '1818' + '18ff' + '190100' + '19ffff' + '1a00010000' + '1affffffff' + '1b0000000100000000' + '20' + '3818' + '6166' + '84' + 'fa3fc00000' + 'fb3fb999999999999a' + 'f5' + 'f6',
    );
    expect(readCbor(bytes, DEFAULT_CODEC_LIMITS, 60)).toEqual(item);
  });
});

const at = (id: number, type: ResourceValue['type'], value: unknown) => ({ path: `/32769/0/${id}`, type, value }) as ResourceValue;

describe('application/cbor (60): one value', () => {
  it.each([
    [at(0, 'String', 'ACME'), '6441434d45'],
    [at(1, 'Integer', -1000), '3903e7'],
    [at(1, 'Integer', 2n ** 62n), '1b4000000000000000'],
    [at(2, 'Unsigned Integer', MAX_UINT64), '1bffffffffffffffff'],
    [at(3, 'Float', 1.5), 'fa3fc00000'],
    [at(3, 'Float', 1.1), 'fb3ff199999999999a'],
    [at(4, 'Boolean', true), 'f5'],
    [at(5, 'Opaque', Uint8Array.of(1, 2)), '420102'],
    [at(6, 'Time', 1363896240), '1a514b67b0'],
    [at(7, 'Objlnk', { objectId: 3, instanceId: 0 }), '63333a30'],
    [at(8, 'Corelnk', '</3/0>'), '663c2f332f303e'],
  ])('%o is %s', (value, wire) => {
    expect(toHex(encodeCborValue([value]))).toBe(wire);
    expect(decodeCborValue(hex(wire), value.path, TEST_MODEL)).toEqual([value]);
  });

  it('reads a Time under tag 1, a Float sent as an integer or a half float', () => {
    expect(decodeCborValue(hex('c11a514b67b0'), '/32769/0/6', TEST_MODEL)).toEqual([at(6, 'Time', 1363896240)]);
    expect(decodeCborValue(hex('1819'), '/3303/0/5700')).toEqual([{ path: '/3303/0/5700', type: 'Float', value: 25 }]);
    expect(decodeCborValue(hex('f93e00'), '/3303/0/5700')).toEqual([{ path: '/3303/0/5700', type: 'Float', value: 1.5 }]);
  });

  it('types values of resources the model does not know by their CBOR type', () => {
    expect(decodeCborValue(hex('20'), '/3/0/99')).toEqual([{ path: '/3/0/99', type: 'Integer', value: -1 }]);
    expect(decodeCborValue(hex('1bffffffffffffffff'), '/3/0/99')).toEqual([{ path: '/3/0/99', type: 'Unsigned Integer', value: MAX_UINT64 }]);
    expect(decodeCborValue(hex('c11a514b67b0'), '/3/0/99')).toEqual([{ path: '/3/0/99', type: 'Time', value: 1363896240 }]);
    expectCodecError(() => decodeCborValue(hex('80'), '/3/0/99'), 'invalid-value');
    expectCodecError(() => decodeCborValue(hex('f6'), '/3/0/99'), 'invalid-value');
  });

  it('refuses items of the wrong CBOR type for the resource, and values out of range', () => {
    expect(expectCodecError(() => decodeCborValue(hex('01'), '/3/0/0'), 'model-mismatch').message).toContain('text string');
    expectCodecError(() => decodeCborValue(hex('6131'), '/3/0/9'), 'model-mismatch');
    expectCodecError(() => decodeCborValue(hex('01'), '/1/0/6'), 'model-mismatch'); // Boolean is true/false
    expectCodecError(() => decodeCborValue(hex('20'), '/1/0/1'), 'invalid-value'); // Lifetime is unsigned
    expectCodecError(() => decodeCborValue(hex('1bffffffffffffffff'), '/3/0/9'), 'invalid-value'); // beyond int64
    expectCodecError(() => decodeCborValue(hex('f97e00'), '/3303/0/5700'), 'invalid-value'); // NaN
    expectCodecError(() => decodeCborValue(hex('63333a78'), '/32769/0/7', TEST_MODEL), 'invalid-value'); // "3:x"
    expectCodecError(() => decodeCborValue(hex('c21a514b67b0'), '/32769/0/6', TEST_MODEL), 'model-mismatch'); // tag 2 is no time
    expectCodecError(() => decodeCborValue(hex('01'), '/3/0'), 'invalid-path');
  });
});

describe('LwM2M CBOR (11544): nested maps keyed by ids', () => {
  const device: ResourceValue[] = [
    { path: '/3/0/0', type: 'String', value: 'ACME' },
    { path: '/3/0/9', type: 'Integer', value: 100 },
    { path: '/3/0/6/0', type: 'Integer', value: 1 },
    { path: '/3/0/6/1', type: 'Integer', value: 5 },
  ];
  // {3: {0: {0: "ACME", 9: 100, 6: {0: 1, 1: 5}}}}
  const nested = 'a1 03 a1 00 a3 00 64 41434d45 09 1864 06 a2 00 01 01 05';

  it('encodes one map level per id and decodes it back', () => {
    expect(toHex(encodeLwm2mCbor(device))).toBe(toHex(hex(nested)));
    expect(decodeLwm2mCbor(hex(nested), '/3/0')).toEqual(device);
    expect(decodeLwm2mCbor(hex(nested), '/')).toEqual(device);
  });

  it('reads keys that are arrays of ids standing for several levels', () => {
    // {[3, 0]: {0: "ACME", 9: 100}, [3, 0, 6]: {0: 1, 1: 5}}
    const compact = 'a2 82 03 00 a2 00 64 41434d45 09 1864 83 03 00 06 a2 00 01 01 05';
    expect(decodeLwm2mCbor(hex(compact), '/3')).toEqual(device);
    // {[3, 0, 6, 1]: 5}
    expect(decodeLwm2mCbor(hex('a1 84 03 00 06 01 05'), '/3/0/6/1')).toEqual([device[3]]);
  });

  it('reads values of several objects in one payload (composite operations)', () => {
    const payload = encodeLwm2mCbor([device[0]!, { path: '/3303/0/5700', type: 'Float', value: 21.5 }]);
    expect(decodeLwm2mCbor(payload, '/')).toEqual([device[0], { path: '/3303/0/5700', type: 'Float', value: 21.5 }]);
    expectCodecError(() => decodeLwm2mCbor(payload, '/3'), 'outside-requested-path');
  });

  it('refuses keys, nesting and values that are no LwM2M paths', () => {
    expectCodecError(() => decodeLwm2mCbor(hex('a1 6133 a0'), '/'), 'invalid-path'); // text key
    expectCodecError(() => decodeLwm2mCbor(hex('a1 19ffff a0'), '/'), 'invalid-path'); // id 65535
    expectCodecError(() => decodeLwm2mCbor(hex('a1 20 a0'), '/'), 'invalid-path'); // negative id
    expectCodecError(() => decodeLwm2mCbor(hex('a1 80 a0'), '/'), 'invalid-path'); // empty array key
    expectCodecError(() => decodeLwm2mCbor(hex('a1 85 03 00 06 01 02 05'), '/'), 'invalid-path'); // five ids
    expectCodecError(() => decodeLwm2mCbor(hex('a1 84 03 00 06 01 a0'), '/'), 'invalid-path'); // a map below a resource instance
    expectCodecError(() => decodeLwm2mCbor(hex('a1 82 03 00 05'), '/'), 'invalid-path'); // a value at an instance
    expectCodecError(() => decodeLwm2mCbor(hex('a2 83 03 00 09 01 83 03 00 09 02'), '/'), 'malformed'); // the same path twice
    expectCodecError(() => decodeLwm2mCbor(hex('80'), '/'), 'malformed'); // not a map
    expectCodecError(() => decodeLwm2mCbor(hex('a1 83 03 00 09 f6'), '/'), 'model-mismatch'); // null for an Integer
    expectCodecError(() => decodeLwm2mCbor(hex('a1 83 03 00 18 63 f6'), '/'), 'invalid-value'); // null (Write-Composite delete)
    expectCodecError(() => decodeLwm2mCbor(hex('a1 83 03 00 06 05'), '/'), 'model-mismatch'); // multiple resource as one value
  });

  it('refuses values the encoder cannot nest', () => {
    expectCodecError(() => encodeLwm2mCbor([device[2]!, { path: '/3/0/6', type: 'Integer', value: 1 }]), 'bad-argument');
    expectCodecError(() => encodeLwm2mCbor([{ path: '/3/0/6', type: 'Integer', value: 1 }, device[2]!]), 'bad-argument');
    expect(toHex(encodeLwm2mCbor([]))).toBe('a0');
    expect(decodeLwm2mCbor(hex('a0'), '/')).toEqual([]);
  });
});
