import { describe, expect, it } from 'vitest';
import { decodeSenmlCbor, decodeSenmlJson, encodeSenmlCbor, encodeSenmlJson, resolve } from '../../schemas/senml/index.ts';
import type { SenmlPack } from '../../schemas/senml/index.ts';
import { expectSenmlError } from './expectSenmlError.ts';
import * as v from './vectors.ts';

describe('encodeSenmlCbor', () => {
  it('writes integer labels in plain CBOR maps', () => {
    expect(v.toHex(encodeSenmlCbor([{ n: 'a', v: 1 }]))).toBe('81a20061610201');
    // base fields first, then name, value, time; vd an untagged byte string
    expect(v.toHex(encodeSenmlCbor([{ t: -5, vd: new Uint8Array([1, 2]), n: 'b', bn: 'x:' }]))).toBe('81a42162783a00616208420102' + '0624');
  });

  it('round-trips every RFC example through CBOR to the same records', () => {
    for (const text of [v.singleDataPoint, v.multipleNow, v.multipleTimed, v.multipleMeasurements, v.multipleTypes, v.collection, v.actuator, v.lightsOff]) {
      const pack = decodeSenmlJson(text);
      expect(decodeSenmlCbor(encodeSenmlCbor(pack))).toEqual(pack);
    }
  });

  it('keeps numbers exact: integers, fractions, 2**53 and beyond, negative zero as zero', () => {
    const values = [0, 1, -1, 23.1, 1276020076.001, 2 ** 53, 2 ** 60, -(2 ** 63), 1e300, 5e-324];
    const pack = values.map((x) => ({ n: 'a', v: x }));
    expect(decodeSenmlCbor(encodeSenmlCbor(pack)).map((r) => r.v)).toEqual(values);
    expect(Object.is(decodeSenmlCbor(encodeSenmlCbor([{ n: 'a', v: -0 }]))[0]!.v, 0)).toBe(true);
  });

  it('writes vlo as the text key "vlo" in the lwm2m profile', () => {
    const bytes = encodeSenmlCbor([{ n: '/3/0/19', vlo: '3303:0' }], { profile: 'lwm2m' });
    expect(v.toHex(bytes)).toContain(Buffer.from('vlo').toString('hex'));
    expect(decodeSenmlCbor(bytes, { profile: 'lwm2m' })).toEqual([{ n: '/3/0/19', vlo: '3303:0' }]);
  });

  it('encodes a path list (no values) for LwM2M composite requests', () => {
    const bytes = encodeSenmlCbor([{ n: '/3/0/0' }, { n: '/1/0/1' }], { profile: 'lwm2m' });
    expect(decodeSenmlCbor(bytes, { profile: 'lwm2m' })).toEqual([{ n: '/3/0/0' }, { n: '/1/0/1' }]);
  });

  it('hands back bytes that a later call does not overwrite', () => {
    const first = encodeSenmlCbor([{ n: 'first', v: 1 }]);
    const copy = v.toHex(first);
    encodeSenmlCbor([{ n: 'second-and-longer', v: 2 }]);
    expect(v.toHex(first)).toBe(copy);
  });

  it('refuses what a decoder would refuse', () => {
    expectSenmlError(() => encodeSenmlCbor([{ n: 'a', v: Number.POSITIVE_INFINITY }]), 'bad-type', 0);
    expectSenmlError(() => encodeSenmlCbor([{ n: 'a', v: 1 }, { n: 'a b', v: 1 }]), 'invalid-name', 1);
    expectSenmlError(() => encodeSenmlCbor([{ n: 'a', v: 1, vb: true }]), 'multiple-values', 0);
    expectSenmlError(() => encodeSenmlCbor([{ bver: 11, n: 'a', v: 1 }]), 'unsupported-version', 0);
    expectSenmlError(() => encodeSenmlCbor([{ n: '/3/0/0', v: 1 }]), 'invalid-name', 0);
    expectSenmlError(() => encodeSenmlCbor([{ n: 'a', vd: 'aGk' } as unknown as SenmlPack[number]]), 'bad-type', 0);
  });
});

describe('encodeSenmlJson', () => {
  it('writes RFC 8428 JSON: vd as base64url without padding', () => {
    expect(encodeSenmlJson([{ bn: 'urn:dev:ow:10e2073a01080063:', n: 'nfv-reader', vd: new Uint8Array([0x68, 0x69, 0x20, 0x0a]) }])).toBe(
      '[{"bn":"urn:dev:ow:10e2073a01080063:","n":"nfv-reader","vd":"aGkgCg"}]',
    );
    expect(encodeSenmlJson([{ n: 'a', vd: new Uint8Array([0xfb, 0xff]) }])).toBe('[{"n":"a","vd":"-_8"}]');
  });

  it('round-trips every RFC example through JSON to the same resolved records', () => {
    for (const text of [v.multipleTimed, v.multipleMeasurements, v.multipleTypes, v.collection, v.actuator]) {
      const pack = decodeSenmlJson(text);
      expect(decodeSenmlJson(encodeSenmlJson(pack))).toEqual(pack);
      expect(resolve(decodeSenmlJson(encodeSenmlJson(pack)), 1e9)).toEqual(resolve(pack, 1e9));
    }
  });

  it('refuses what a decoder would refuse', () => {
    expectSenmlError(() => encodeSenmlJson([{ n: '-a', v: 1 }]), 'invalid-name', 0);
    expectSenmlError(() => encodeSenmlJson([{ n: 'a', v: Number.NaN }]), 'bad-type', 0);
  });
});
