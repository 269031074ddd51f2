import { describe, expect, it } from 'vitest';
import { CODECS, decodePayload, DEFAULT_CODEC_LIMITS, encodePayload } from '../../../schemas/lwm2m/index.ts';
import type { ResourceValue } from '../../../schemas/lwm2m/index.ts';
import { expectCodecError, hex } from './helpers.ts';

const utf8 = (text: string) => new TextEncoder().encode(text);
const integers = (n: number): ResourceValue[] => Array.from({ length: n }, (_, i) => ({ path: `/3/0/11/${i}`, type: 'Integer', value: i }));

describe('limits', () => {
  it('defaults to 64 KiB, depth 8 and 1,000 values', () => {
    expect(DEFAULT_CODEC_LIMITS).toEqual({ maxBytes: 65536, maxDepth: 8, maxRecords: 1000 });
  });

  it('refuses payloads above maxBytes in every codec before reading them', () => {
    for (const codec of CODECS.values()) {
      const error = expectCodecError(() => codec.decode(new Uint8Array(101), '/3/0/0', undefined, { limits: { maxBytes: 100 } }), 'too-large');
      expect([codec.name, error.message]).toEqual([codec.name, expect.stringContaining('101 bytes; at most 100') as unknown]);
    }
    expectCodecError(() => decodePayload(11542, new Uint8Array(DEFAULT_CODEC_LIMITS.maxBytes + 1), '/3/0'), 'too-large');
  });

  it('refuses to encode a payload above maxBytes in every codec', () => {
    const big: ResourceValue = { path: '/3/0/5', type: 'Opaque', value: new Uint8Array(200) };
    for (const codec of CODECS.values()) {
      expectCodecError(() => codec.encode([big], { limits: { maxBytes: 100 } }), 'too-large');
    }
  });

  it('refuses more than maxRecords values when decoding', () => {
    const limits = { maxRecords: 2 };
    const three = integers(3);
    expectCodecError(() => decodePayload(11542, encodePayload(11542, three), '/3/0', { limits }), 'too-many-records');
    expectCodecError(() => decodePayload(11544, encodePayload(11544, three), '/3/0', { limits }), 'too-many-records');
    expectCodecError(() => decodePayload(110, encodePayload(110, three), '/3/0', { limits }), 'too-many-records');
    expectCodecError(() => decodePayload(112, encodePayload(112, three), '/3/0', { limits }), 'too-many-records');
    expect(decodePayload(11542, encodePayload(11542, three), '/3/0', { limits: { maxRecords: 3 } })).toHaveLength(3);
  });

  it('refuses more than maxRecords values when encoding, in every codec', () => {
    for (const codec of CODECS.values()) expectCodecError(() => codec.encode(integers(3), { limits: { maxRecords: 2 } }), 'too-many-records');
  });

  it('refuses nesting deeper than maxDepth', () => {
    // Read /3: object instance > multiple resource > resource instance is three TLV levels.
    const nested = encodePayload(11542, integers(1), { path: '/3' });
    expectCodecError(() => decodePayload(11542, nested, '/3', { limits: { maxDepth: 2 } }), 'too-deep');
    expect(decodePayload(11542, nested, '/3', { limits: { maxDepth: 3 } })).toEqual(integers(1));
    // LwM2M CBOR: {3: {0: {11: {0: 0}}}} is four maps.
    const maps = encodePayload(11544, integers(1));
    expectCodecError(() => decodePayload(11544, maps, '/', { limits: { maxDepth: 3 } }), 'too-deep');
    expect(decodePayload(11544, maps, '/', { limits: { maxDepth: 4 } })).toEqual(integers(1));
    expectCodecError(() => decodePayload(60, hex('81 81 81 81 81 81 81 81 81 00'), '/3/0/99'), 'too-deep');
    expectCodecError(() => decodePayload(110, utf8(`${'['.repeat(9)}${']'.repeat(9)}`), '/'), 'too-deep');
    expectCodecError(() => decodePayload(112, hex('81 a1 19 0100 81 81 81 81 81 81 81 00'), '/'), 'too-deep');
  });

  it('refuses limits that are not whole numbers of at least 1', () => {
    for (const limits of [{ maxBytes: 0 }, { maxDepth: 1.5 }, { maxRecords: -1 }, { maxBytes: Number.NaN }]) {
      expect(expectCodecError(() => decodePayload(0, utf8('1'), '/3/0/9', { limits }), 'bad-argument').message).toMatch(/^limits\./);
    }
  });
});
