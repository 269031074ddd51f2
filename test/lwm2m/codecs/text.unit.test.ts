import { describe, expect, it } from 'vitest';
import { decodeOpaque, decodeText, encodeOpaque, encodeText, MAX_INT64, MAX_UINT64, MIN_INT64 } from '../../../schemas/lwm2m/index.ts';
import type { ResourceValue } from '../../../schemas/lwm2m/index.ts';
import { expectCodecError, TEST_MODEL } from './helpers.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const at = (id: number, type: ResourceValue['type'], value: unknown) => ({ path: `/32769/0/${id}`, type, value }) as ResourceValue;

describe('text/plain (0)', () => {
  it.each([
    [at(0, 'String', 'Open Mobile Alliance'), 'Open Mobile Alliance'],
    [at(0, 'String', ''), ''],
    [at(1, 'Integer', -42), '-42'],
    [at(1, 'Integer', MAX_INT64), '9223372036854775807'],
    [at(1, 'Integer', MIN_INT64), '-9223372036854775808'],
    [at(2, 'Unsigned Integer', MAX_UINT64), '18446744073709551615'],
    [at(3, 'Float', 23.5), '23.5'],
    [at(3, 'Float', 1e21), '1e+21'],
    [at(3, 'Float', -1.5e-7), '-1.5e-7'],
    [at(4, 'Boolean', true), '1'],
    [at(4, 'Boolean', false), '0'],
    [at(5, 'Opaque', Uint8Array.of(1, 2, 3, 250)), 'AQID+g=='],
    [at(6, 'Time', 1367491215), '1367491215'],
    [at(7, 'Objlnk', { objectId: 3303, instanceId: 2 }), '3303:2'],
    [at(8, 'Corelnk', '</3303/0>'), '</3303/0>'],
  ])('%o travels as "%s" and back', (value, wire) => {
    expect(text(encodeText([value]))).toBe(wire);
    expect(decodeText(bytes(wire), value.path, TEST_MODEL)).toEqual([value]);
  });

  it('reads the forms other clients write', () => {
    expect(decodeText(bytes('2.50E+1'), '/3303/0/5700')).toEqual([{ path: '/3303/0/5700', type: 'Float', value: 25 }]);
    expect(decodeText(bytes('21'), '/3303/0/5700')).toEqual([{ path: '/3303/0/5700', type: 'Float', value: 21 }]);
    expect(decodeText(bytes('5'), '/3/0/6/1')).toEqual([{ path: '/3/0/6/1', type: 'Integer', value: 5 }]);
    expect(decodeText(bytes('anything'), '/3/0/99')).toEqual([{ path: '/3/0/99', type: 'String', value: 'anything' }]);
  });

  it('refuses text that is not a value of the type, saying what it should be', () => {
    expect(expectCodecError(() => decodeText(bytes('12a'), '/32769/0/1', TEST_MODEL), 'invalid-value').message).toContain('decimal Integer');
    expectCodecError(() => decodeText(bytes('9223372036854775808'), '/32769/0/1', TEST_MODEL), 'invalid-value');
    expectCodecError(() => decodeText(bytes('-1'), '/32769/0/2', TEST_MODEL), 'invalid-value');
    expectCodecError(() => decodeText(bytes('18446744073709551616'), '/32769/0/2', TEST_MODEL), 'invalid-value');
    expectCodecError(() => decodeText(bytes('1e999'), '/32769/0/3', TEST_MODEL), 'invalid-value');
    expectCodecError(() => decodeText(bytes('NaN'), '/32769/0/3', TEST_MODEL), 'invalid-value');
    expectCodecError(() => decodeText(bytes('0x10'), '/32769/0/3', TEST_MODEL), 'invalid-value');
    expect(expectCodecError(() => decodeText(bytes('true'), '/32769/0/4', TEST_MODEL), 'invalid-value').message).toContain('"0" or "1"');
    expectCodecError(() => decodeText(bytes('AQID+g'), '/32769/0/5', TEST_MODEL), 'invalid-value'); // base64 without padding
    expectCodecError(() => decodeText(bytes('3303'), '/32769/0/7', TEST_MODEL), 'invalid-value');
    expectCodecError(() => decodeText(bytes('3303:65536'), '/32769/0/7', TEST_MODEL), 'invalid-value');
    expectCodecError(() => decodeText(Uint8Array.of(0xff, 0xfe), '/3/0/0'), 'invalid-value');
  });

  it('carries one value of one resource, as the model says', () => {
    expectCodecError(() => decodeText(bytes('1'), '/3/0'), 'invalid-path');
    expectCodecError(() => decodeText(bytes('1'), '/3/0/6'), 'model-mismatch'); // multiple resource
    expectCodecError(() => decodeText(bytes('1'), '/3/0/9/0'), 'model-mismatch'); // single resource has no instances
    expectCodecError(() => decodeText(bytes(''), '/3/0/4'), 'model-mismatch'); // Reboot
    expectCodecError(() => encodeText([at(0, 'String', 'a'), at(1, 'Integer', 1)]), 'bad-argument');
    expectCodecError(() => encodeText([]), 'bad-argument');
  });
});

describe('application/octet-stream (42)', () => {
  const cert = Uint8Array.of(0x30, 0x82, 0x01, 0x0a);

  it('carries the bytes of one Opaque resource', () => {
    const value: ResourceValue = { path: '/18830/0/7', type: 'Opaque', value: cert };
    expect(encodeOpaque([value])).toEqual(cert);
    expect(decodeOpaque(cert, '/18830/0/7')).toEqual([value]);
    expect(decodeOpaque(cert, '/3/0/99')).toEqual([{ path: '/3/0/99', type: 'Opaque', value: cert }]);
  });

  it('refuses resources of other types and values that are not Opaque', () => {
    expect(expectCodecError(() => decodeOpaque(cert, '/3/0/0'), 'model-mismatch').message).toContain('String');
    expectCodecError(() => encodeOpaque([{ path: '/3/0/0', type: 'String', value: 'x' }]), 'bad-argument');
    expectCodecError(() => decodeOpaque(cert, '/18830/0'), 'invalid-path');
  });

  it('hands back a copy, so the caller may reuse its buffer', () => {
    const buffer = Uint8Array.of(1, 2, 3);
    const [decoded] = decodeOpaque(buffer, '/18830/0/9');
    buffer[0] = 9;
    expect(decoded!.value).toEqual(Uint8Array.of(1, 2, 3));
  });
});
