import { describe, expect, it } from 'vitest';
import { decodeTlv, encodeTlv, MAX_INT64, MAX_UINT64, MIN_INT64 } from '../../../schemas/lwm2m/index.ts';
import type { ResourceValue } from '../../../schemas/lwm2m/index.ts';
import { expectCodecError, hex, TEST_MODEL, toHex } from './helpers.ts';

/**
 * LwM2M Core 1.0 6.4.3.1 (1.1 7.4.3): the Device object instance as a client answers Read on
 * /3/0, one TLV per resource. Retyped from the specification text.
 */
const DEVICE_RESOURCES = `
  C8 00 14 4F 70 65 6E 20 4D 6F 62 69 6C 65 20 41 6C 6C 69 61 6E 63 65
  C8 01 16 4C 69 67 68 74 77 65 69 67 68 74 20 4D 32 4D 20 43 6C 69 65 6E 74
  C8 02 09 33 34 35 30 30 30 31 32 33
  C3 03 31 2E 30
  86 06 41 00 01 41 01 05
  88 07 08 42 00 0E D8 42 01 13 88
  87 08 41 00 7D 42 01 03 84
  C1 09 64
  C1 0A 0F
  83 0B 41 00 00
  C4 0D 51 82 42 8F
  C6 0E 2B 30 32 3A 30 30
  C1 10 55`;

const DEVICE_VALUES: ResourceValue[] = [
  { path: '/3/0/0', type: 'String', value: 'Open Mobile Alliance' },
  { path: '/3/0/1', type: 'String', value: 'Lightweight M2M Client' },
  { path: '/3/0/2', type: 'String', value: '345000123' },
  { path: '/3/0/3', type: 'String', value: '1.0' },
  { path: '/3/0/6/0', type: 'Integer', value: 1 },
  { path: '/3/0/6/1', type: 'Integer', value: 5 },
  { path: '/3/0/7/0', type: 'Integer', value: 3800 },
  { path: '/3/0/7/1', type: 'Integer', value: 5000 },
  { path: '/3/0/8/0', type: 'Integer', value: 125 },
  { path: '/3/0/8/1', type: 'Integer', value: 900 },
  { path: '/3/0/9', type: 'Integer', value: 100 },
  { path: '/3/0/10', type: 'Integer', value: 15 },
  { path: '/3/0/11/0', type: 'Integer', value: 0 },
  { path: '/3/0/13', type: 'Time', value: 1367491215 },
  { path: '/3/0/14', type: 'String', value: '+02:00' },
  { path: '/3/0/16', type: 'String', value: 'U' },
];

/** Read on /3: the same resources inside one Object Instance TLV (121 = 0x79 bytes). */
const DEVICE_OBJECT = `08 00 79 ${DEVICE_RESOURCES}`;

/**
 * LwM2M Core 1.0 6.4.3.2: Read on /2, two Access Control instances; the second ACL entry has
 * the 16-bit resource instance id 310 (0x0136, type byte 0x61).
 */
const ACCESS_CONTROL_OBJECT = `
  08 00 0E  C1 00 01  C1 01 00  83 02 41 7F 07  C1 03 7F
  08 02 12  C1 00 03  C1 01 00  87 02 41 7F 07 61 01 36 01  C1 03 7F`;

describe('TLV examples from the specification', () => {
  it('decodes the Device object instance (Read /3/0) and encodes it back byte for byte', () => {
    expect(decodeTlv(hex(DEVICE_RESOURCES), '/3/0')).toEqual(DEVICE_VALUES);
    expect(toHex(encodeTlv(DEVICE_VALUES, { path: '/3/0' }))).toBe(toHex(hex(DEVICE_RESOURCES)));
    // Without a path the deepest shared path, /3/0, gives the same shape.
    expect(toHex(encodeTlv(DEVICE_VALUES))).toBe(toHex(hex(DEVICE_RESOURCES)));
  });

  it('decodes Read /3 (one Object Instance TLV, 8-bit length 0x79) and encodes it back', () => {
    expect(hex(DEVICE_OBJECT).length).toBe(3 + 0x79);
    expect(decodeTlv(hex(DEVICE_OBJECT), '/3')).toEqual(DEVICE_VALUES);
    expect(toHex(encodeTlv(DEVICE_VALUES, { path: '/3' }))).toBe(toHex(hex(DEVICE_OBJECT)));
  });

  it('tolerates the Object Instance wrapper in an answer about /3/0, as clients send it', () => {
    expect(decodeTlv(hex(DEVICE_OBJECT), '/3/0')).toEqual(DEVICE_VALUES);
    expectCodecError(() => decodeTlv(hex(DEVICE_OBJECT.replace('08 00 79', '08 01 79')), '/3/0'), 'outside-requested-path');
  });

  it('reads single resources, a multiple resource and a resource instance', () => {
    expect(decodeTlv(hex('C8 00 14 4F 70 65 6E 20 4D 6F 62 69 6C 65 20 41 6C 6C 69 61 6E 63 65'), '/3/0/0')).toEqual([DEVICE_VALUES[0]]);
    const powerSources = DEVICE_VALUES.slice(4, 6);
    expect(decodeTlv(hex('86 06 41 00 01 41 01 05'), '/3/0/6')).toEqual(powerSources);
    expect(toHex(encodeTlv(powerSources, { path: '/3/0/6' }))).toBe('8606410001410105');
    // Bare resource instances for a multiple resource, as some clients answer.
    expect(decodeTlv(hex('41 00 01 41 01 05'), '/3/0/6')).toEqual(powerSources);
    expect(decodeTlv(hex('41 01 05'), '/3/0/6/1')).toEqual([powerSources[1]]);
    expect(toHex(encodeTlv([powerSources[1]!]))).toBe('410105');
  });

  it('decodes two Access Control instances with a 16-bit resource instance id, and encodes them back', () => {
    const values = decodeTlv(hex(ACCESS_CONTROL_OBJECT), '/2', TEST_MODEL);
    expect(values).toEqual([
      { path: '/2/0/0', type: 'Integer', value: 1 },
      { path: '/2/0/1', type: 'Integer', value: 0 },
      { path: '/2/0/2/127', type: 'Integer', value: 7 },
      { path: '/2/0/3', type: 'Integer', value: 127 },
      { path: '/2/2/0', type: 'Integer', value: 3 },
      { path: '/2/2/1', type: 'Integer', value: 0 },
      { path: '/2/2/2/127', type: 'Integer', value: 7 },
      { path: '/2/2/2/310', type: 'Integer', value: 1 },
      { path: '/2/2/3', type: 'Integer', value: 127 },
    ]);
    expect(toHex(encodeTlv(values))).toBe(toHex(hex(ACCESS_CONTROL_OBJECT)));
  });
});

describe('TLV header fields', () => {
  const text = (n: number) => 'x'.repeat(n);
  const at = (id: number, value: string): ResourceValue => ({ path: `/32769/0/${id}`, type: 'String', value });

  it.each([
    [0, 'c0 00', 'length 0 in the type byte'],
    [7, 'c7 00', 'length 7 in the type byte'],
    [8, 'c8 00 08', '8-bit length'],
    [255, 'c8 00 ff', '8-bit length, largest'],
    [256, 'd0 00 01 00', '16-bit length'],
    [65535, 'd0 00 ff ff', '16-bit length, largest'],
    [65536, 'd8 00 01 00 00', '24-bit length'],
  ])('a %i-byte value uses %s (%s)', (length, header) => {
    const limits = { maxBytes: 70_000 };
    const bytes = encodeTlv([at(0, text(length))], { path: '/32769/0', limits });
    expect(toHex(bytes.subarray(0, hex(header).length))).toBe(toHex(hex(header)));
    expect(bytes.length).toBe(hex(header).length + length);
    expect(decodeTlv(bytes, '/32769/0', TEST_MODEL, { limits })).toEqual([at(0, text(length))]);
  });

  it('writes ids above 255 with 16 bits (bit 5) and reads them back', () => {
    const values: ResourceValue[] = [
      { path: '/3303/0/5700', type: 'Float', value: 31 },
      { path: '/3303/0/5701', type: 'String', value: 'Cel' },
    ];
    const bytes = encodeTlv(values, { path: '/3303' });
    // Object instance 0 (7 + 6 bytes) holding 5700 = 0x1644 as a 4-byte float and 5701 = 0x1645.
    expect(toHex(bytes)).toBe('08000d' + 'e4164441f80000' + 'e3164543656c');
    expect(decodeTlv(bytes, '/3303')).toEqual(values);
  });

  it('reads lengths written in a longer field than needed', () => {
    expect(decodeTlv(hex('C8 03 03 31 2E 30'), '/3/0/3')).toEqual([{ path: '/3/0/3', type: 'String', value: '1.0' }]);
    expect(decodeTlv(hex('D0 03 00 03 31 2E 30'), '/3/0/3')).toEqual([{ path: '/3/0/3', type: 'String', value: '1.0' }]);
    expect(decodeTlv(hex('E8 00 03 03 31 2E 30'), '/3/0/3')).toEqual([{ path: '/3/0/3', type: 'String', value: '1.0' }]);
  });
});

describe('TLV values of every type', () => {
  const one = (id: number, type: ResourceValue['type'], value: unknown) => ({ path: `/32769/0/${id}`, type, value }) as ResourceValue;
  const roundTrip = (value: ResourceValue, valueHex: string) => {
    const bytes = encodeTlv([value]);
    expect(toHex(bytes.subarray(bytes.length - hex(valueHex).length))).toBe(toHex(hex(valueHex)));
    expect(decodeTlv(bytes, value.path, TEST_MODEL)).toEqual([value]);
  };

  it.each([
    [0, '00'],
    [127, '7f'],
    [-128, '80'],
    [128, '0080'],
    [-129, 'ff7f'],
    [32767, '7fff'],
    [32768, '00008000'],
    [-2147483648, '80000000'],
    [2147483648, '0000000080000000'],
    [Number.MAX_SAFE_INTEGER, '001fffffffffffff'],
    [MAX_INT64, '7fffffffffffffff'],
    [MIN_INT64, '8000000000000000'],
  ])('Integer %s in the fewest of 1/2/4/8 bytes (%s)', (value, bytes) => roundTrip(one(1, 'Integer', value), bytes));

  it.each([
    [255, 'ff'],
    [256, '0100'],
    [65536, '00010000'],
    [4294967296, '0000000100000000'],
    [MAX_UINT64, 'ffffffffffffffff'],
  ])('Unsigned Integer %s (%s)', (value, bytes) => roundTrip(one(2, 'Unsigned Integer', value), bytes));

  it.each([
    [1.5, '3fc00000'],
    [-0.25, 'be800000'],
    [0.1, '3fb999999999999a'],
    [1e300, '7e37e43c8800759c'],
  ])('Float %s in 4 bytes when exact, else 8 (%s)', (value, bytes) => roundTrip(one(3, 'Float', value), bytes));

  it('Boolean, Opaque, Time, Objlnk and Corelnk', () => {
    roundTrip(one(4, 'Boolean', true), '01');
    roundTrip(one(4, 'Boolean', false), '00');
    roundTrip(one(5, 'Opaque', Uint8Array.of(0, 255, 16)), '00ff10');
    roundTrip(one(6, 'Time', 1367491215), '5182428f');
    roundTrip(one(6, 'Time', -1), 'ff');
    roundTrip(one(7, 'Objlnk', { objectId: 3, instanceId: 0 }), '00030000');
    roundTrip(one(7, 'Objlnk', { objectId: 65535, instanceId: 65535 }), 'ffffffff');
    roundTrip(one(8, 'Corelnk', '</3/0>;ver=1.2'), Buffer.from('</3/0>;ver=1.2').toString('hex'));
    roundTrip(one(0, 'String', 'grüße'), Buffer.from('grüße').toString('hex'));
  });

  it('reads a Float sent in 4 bytes as the double it is', () => {
    expect(decodeTlv(hex('C4 03 3D CC CC CD'), '/32769/0/3', TEST_MODEL)).toEqual([one(3, 'Float', Math.fround(0.1))]);
  });

  it('refuses value bytes that are not a value of the type', () => {
    expectCodecError(() => decodeTlv(hex('C3 01 00 00 01'), '/32769/0/1', TEST_MODEL), 'invalid-value'); // 3-byte integer
    expectCodecError(() => decodeTlv(hex('C0 01'), '/32769/0/1', TEST_MODEL), 'invalid-value'); // empty integer
    expectCodecError(() => decodeTlv(hex('C2 03 00 00'), '/32769/0/3', TEST_MODEL), 'invalid-value'); // 2-byte float
    expectCodecError(() => decodeTlv(hex('C4 03 7F C0 00 00'), '/32769/0/3', TEST_MODEL), 'invalid-value'); // NaN
    expectCodecError(() => decodeTlv(hex('C4 03 7F 80 00 00'), '/32769/0/3', TEST_MODEL), 'invalid-value'); // Infinity
    expectCodecError(() => decodeTlv(hex('C1 04 02'), '/32769/0/4', TEST_MODEL), 'invalid-value'); // Boolean 2
    expectCodecError(() => decodeTlv(hex('C2 04 00 01'), '/32769/0/4', TEST_MODEL), 'invalid-value'); // 2-byte Boolean
    expectCodecError(() => decodeTlv(hex('C3 07 00 03 00'), '/32769/0/7', TEST_MODEL), 'invalid-value'); // 3-byte Objlnk
    const utf8 = expectCodecError(() => decodeTlv(hex('C2 00 C3 28'), '/32769/0/0', TEST_MODEL), 'invalid-value');
    expect(utf8.message).toContain('UTF-8');
    expect(utf8.path).toBe('/32769/0/0');
  });
});

describe('TLV structure errors', () => {
  it('names truncation and where it happens', () => {
    expectCodecError(() => decodeTlv(hex('C8'), '/3/0'), 'truncated');
    expectCodecError(() => decodeTlv(hex('C8 00'), '/3/0'), 'truncated');
    const error = expectCodecError(() => decodeTlv(hex('C1 09 64 C8 00 14 4F 70'), '/3/0'), 'truncated');
    expect(error.offset).toBe(3);
    expectCodecError(() => decodeTlv(hex('E8 00'), '/3/0'), 'truncated'); // 16-bit id cut short
  });

  it('refuses a child that runs past its parent, impossible nesting and repeated ids', () => {
    expectCodecError(() => decodeTlv(hex('86 06 41 00 01 42 01 05 C1 09 64'), '/3/0'), 'malformed');
    expectCodecError(() => decodeTlv(hex('81 06 08 00 00'), '/3/0'), 'malformed'); // object instance in a multiple resource
    expectCodecError(() => decodeTlv(hex('08 00 03 08 01 00'), '/3'), 'malformed'); // object instance in an object instance
    expectCodecError(() => decodeTlv(hex('08 00 03 41 00 01'), '/3'), 'malformed'); // resource instance in an object instance
    expectCodecError(() => decodeTlv(hex('C1 09 64 C1 09 63'), '/3/0'), 'malformed'); // resource 9 twice
    expectCodecError(() => decodeTlv(hex('C1 09 64'), '/3'), 'malformed'); // Read /3 answers object instances
    expectCodecError(() => decodeTlv(hex('C1 09 64 C1 0A 0F'), '/3/0/9'), 'malformed'); // one resource asked, two given
  });

  it('refuses values outside the requested path and requests TLV cannot answer', () => {
    expectCodecError(() => decodeTlv(hex('C1 0A 0F'), '/3/0/9'), 'outside-requested-path');
    expectCodecError(() => decodeTlv(hex('41 02 05'), '/3/0/6/1'), 'outside-requested-path');
    expectCodecError(() => decodeTlv(hex('C1 09 64'), '/'), 'invalid-path');
    expectCodecError(() => decodeTlv(hex('C1 09 64'), '/3/0/'), 'invalid-path');
  });

  it('refuses payloads that contradict the object model', () => {
    expectCodecError(() => decodeTlv(hex('C1 06 01'), '/3/0'), 'model-mismatch'); // multiple resource as a single TLV
    expectCodecError(() => decodeTlv(hex('83 09 41 00 64'), '/3/0'), 'model-mismatch'); // single resource with instances
    expectCodecError(() => decodeTlv(hex('C0 04'), '/3/0'), 'model-mismatch'); // Reboot is executable
  });

  it('decodes resources the model does not know as Opaque', () => {
    expect(decodeTlv(hex('C2 63 01 02 83 64 41 00 07'), '/3/0')).toEqual([
      { path: '/3/0/99', type: 'Opaque', value: Uint8Array.of(1, 2) },
      { path: '/3/0/100/0', type: 'Opaque', value: Uint8Array.of(7) },
    ]);
    expect(decodeTlv(new Uint8Array(0), '/3/0')).toEqual([]);
  });

  it('refuses values the encoder cannot place', () => {
    const a: ResourceValue = { path: '/3/0/9', type: 'Integer', value: 100 };
    const b: ResourceValue = { path: '/4/0/2', type: 'Integer', value: -70 };
    expectCodecError(() => encodeTlv([a, b]), 'bad-argument'); // two objects
    expectCodecError(() => encodeTlv([a], { path: '/3/1' }), 'bad-argument'); // not under the path
    expectCodecError(() => encodeTlv([a, { ...a, path: '/3/0/9/0' }]), 'bad-argument'); // single and instances
    expectCodecError(() => encodeTlv([a, a]), 'bad-argument'); // the same path twice
    expectCodecError(() => encodeTlv([{ path: '/3/0', type: 'Integer', value: 1 }]), 'bad-argument'); // not a resource
    expectCodecError(() => encodeTlv([{ path: '/3/0/9', type: 'Integer', value: 1.5 }]), 'bad-argument'); // not its own type
    expectCodecError(() => encodeTlv([{ path: '/3/0/9', type: 'Integer', value: MAX_INT64 + 1n }]), 'bad-argument');
    expect(encodeTlv([])).toEqual(new Uint8Array(0));
  });

  it('refuses a value longer than the 24-bit length field holds', () => {
    const big: ResourceValue = { path: '/32769/0/5', type: 'Opaque', value: new Uint8Array(0x1000000) };
    expectCodecError(() => encodeTlv([big], { limits: { maxBytes: 0x2000000 } }), 'too-large');
  });
});
