import { describe, expect, it } from 'vitest';
import { CodecError, CODECS, decodePayload, encodePayload, MAX_INT64, MAX_UINT64, MIN_INT64, NULL_OBJECT_LINK } from '../../../schemas/lwm2m/index.ts';
import type { ResourceValue, TypedValue } from '../../../schemas/lwm2m/index.ts';
import { expectCodecError, hex, TEST_MODEL } from './helpers.ts';

/** Resource ids of TYPES_OBJECT by type. */
const RESOURCE: Record<TypedValue['type'], number> = {
  String: 0,
  Integer: 1,
  'Unsigned Integer': 2,
  Float: 3,
  Boolean: 4,
  Opaque: 5,
  Time: 6,
  Objlnk: 7,
  Corelnk: 8,
};

const SAMPLES: TypedValue[] = [
  { type: 'String', value: '' },
  { type: 'String', value: 'grüße, 温度 ✓' },
  { type: 'Integer', value: 0 },
  { type: 'Integer', value: -129 },
  { type: 'Integer', value: Number.MAX_SAFE_INTEGER },
  { type: 'Integer', value: MAX_INT64 },
  { type: 'Integer', value: MIN_INT64 },
  { type: 'Unsigned Integer', value: 255 },
  { type: 'Unsigned Integer', value: MAX_UINT64 },
  { type: 'Float', value: 1.5 },
  { type: 'Float', value: 0.1 },
  { type: 'Float', value: -1e300 },
  { type: 'Float', value: 5e-324 },
  { type: 'Boolean', value: true },
  { type: 'Boolean', value: false },
  { type: 'Opaque', value: new Uint8Array(0) },
  { type: 'Opaque', value: Uint8Array.of(0, 0x80, 0xff) },
  { type: 'Time', value: 1_700_000_000 },
  { type: 'Time', value: -1 },
  { type: 'Objlnk', value: { objectId: 3, instanceId: 0 } },
  { type: 'Objlnk', value: NULL_OBJECT_LINK },
  { type: 'Corelnk', value: '</3/0>;ver=1.2,</3303/0>' },
];

/** SenML numbers are doubles: 64-bit integers beyond 2^53 do not travel exactly (by design, see README). */
const fitsDouble = (v: TypedValue) => typeof v.value !== 'bigint';

const at = (instance: number, v: TypedValue): ResourceValue => ({ path: `/32769/${instance}/${RESOURCE[v.type]}`, ...v });

describe('every type round-trips through every format that carries it', () => {
  it.each([
    [11542, SAMPLES],
    [11544, SAMPLES],
    [110, SAMPLES.filter(fitsDouble)],
    [112, SAMPLES.filter(fitsDouble)],
  ])('content format %i, all values in one payload', (contentFormat, samples) => {
    const values = samples.map((v, i) => at(i, v));
    const bytes = encodePayload(contentFormat, values);
    expect(decodePayload(contentFormat, bytes, '/32769', { model: TEST_MODEL })).toEqual(values);
  });

  it.each([
    [0, SAMPLES],
    [60, SAMPLES],
    [42, SAMPLES.filter((v) => v.type === 'Opaque')],
  ])('content format %i, one value at a time', (contentFormat, samples) => {
    for (const sample of samples) {
      const value = at(0, sample);
      const bytes = encodePayload(contentFormat, [value]);
      expect([sample.type, decodePayload(contentFormat, bytes, value.path, { model: TEST_MODEL })]).toEqual([sample.type, [value]]);
    }
  });

  it('carries values of a multiple resource in every multi-value format', () => {
    const values: ResourceValue[] = [
      { path: '/32769/0/9/0', type: 'Integer', value: 10 },
      { path: '/32769/0/9/7', type: 'Integer', value: -70 },
      { path: '/32769/0/9/300', type: 'Integer', value: 3000 },
    ];
    for (const contentFormat of [11542, 11544, 110, 112]) {
      for (const path of ['/32769', '/32769/0', '/32769/0/9']) {
        const bytes = encodePayload(contentFormat, values, { path });
        expect([contentFormat, path, decodePayload(contentFormat, bytes, path, { model: TEST_MODEL })]).toEqual([contentFormat, path, values]);
      }
    }
  });
});

describe('the front door', () => {
  it('answers content formats it cannot decode with unsupported-content-format, saying why', () => {
    const links = expectCodecError(() => decodePayload(40, hex('3c2f333e'), '/3'), 'unsupported-content-format');
    expect(links.message).toContain('carries links');
    expect(links.contentFormat).toBe(40);
    expect(expectCodecError(() => decodePayload(11543, new Uint8Array(0), '/3'), 'unsupported-content-format').message).toContain('not implemented');
    expect(expectCodecError(() => decodePayload(1543, new Uint8Array(0), '/3'), 'unsupported-content-format').message).toContain('LwM2M JSON (1543)');
    const unknown = expectCodecError(() => encodePayload(50, [], {}), 'unsupported-content-format');
    expect(unknown.message).toContain('not one LwM2M uses');
    expect(unknown.message).toContain('SenML CBOR (112)');
    expectCodecError(() => decodePayload('112' as unknown as number, new Uint8Array(0), '/'), 'bad-argument');
  });

  it('reads the legacy numbers as the formats they stand for', () => {
    expect(decodePayload(1542, hex('C1 09 64'), '/3/0')).toEqual([{ path: '/3/0/9', type: 'Integer', value: 100 }]);
    expect(decodePayload(1541, new TextEncoder().encode('100'), '/3/0/9')).toEqual([{ path: '/3/0/9', type: 'Integer', value: 100 }]);
  });

  it('throws only CodecError for arguments of the wrong kind', () => {
    for (const codec of CODECS.values()) {
      expect(() => codec.decode('text' as unknown as Uint8Array, '/3/0/9')).toThrow(CodecError);
      expect(() => codec.decode(new Uint8Array(1), 42 as unknown as string)).toThrow(CodecError);
      expect(() => codec.encode('values' as unknown as ResourceValue[])).toThrow(CodecError);
      expect(() => codec.encode([null as unknown as ResourceValue])).toThrow(CodecError);
      expect(() => codec.encode([{ path: '/3/0/9', type: 'Nope', value: 1 } as unknown as ResourceValue])).toThrow(CodecError);
      expect(() => codec.decode(new Uint8Array(1), '/3/0/9', undefined, { limits: { maxBytes: 0 } })).toThrow(CodecError);
    }
  });
});
