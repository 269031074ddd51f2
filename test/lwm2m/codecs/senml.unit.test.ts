import { describe, expect, it } from 'vitest';
import { decodeSenmlCborValues, decodeSenmlJsonValues, encodeSenmlCborValues, encodeSenmlJsonValues } from '../../../schemas/lwm2m/index.ts';
import type { ResourceValue } from '../../../schemas/lwm2m/index.ts';
import { decodeSenmlCbor } from '../../../schemas/senml/index.ts';
import { expectCodecError, TEST_MODEL } from './helpers.ts';

const json = (text: string) => new TextEncoder().encode(text);
const asText = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('SenML JSON (110) with LwM2M names', () => {
  it('resolves base names to paths and types values by the model (LwM2M Core 1.1 7.4.4 style)', () => {
    const payload = `[
      {"bn":"/3/0/","n":"0","vs":"Open Mobile Alliance"},
      {"n":"9","v":95},
      {"n":"6/0","v":1},{"n":"6/1","v":5},
      {"n":"13","v":1367491215},
      {"bn":"/1/0/","n":"6","vb":true},
      {"n":"10","vlo":"11:0"},
      {"bn":"/3303/0/","n":"5700","v":21.5}
    ]`;
    expect(decodeSenmlJsonValues(json(payload), '/')).toEqual([
      { path: '/3/0/0', type: 'String', value: 'Open Mobile Alliance' },
      { path: '/3/0/9', type: 'Integer', value: 95 },
      { path: '/3/0/6/0', type: 'Integer', value: 1 },
      { path: '/3/0/6/1', type: 'Integer', value: 5 },
      { path: '/3/0/13', type: 'Time', value: 1367491215 },
      { path: '/1/0/6', type: 'Boolean', value: true },
      { path: '/1/0/10', type: 'Objlnk', value: { objectId: 11, instanceId: 0 } },
      { path: '/3303/0/5700', type: 'Float', value: 21.5 },
    ]);
  });

  it('reads vd as bytes and types resources the model does not know by their value field', () => {
    expect(decodeSenmlJsonValues(json('[{"n":"/18830/0/7","vd":"AQID"}]'), '/18830/0')).toEqual([{ path: '/18830/0/7', type: 'Opaque', value: Uint8Array.of(1, 2, 3) }]);
    expect(decodeSenmlJsonValues(json('[{"bn":"/3/0/","n":"99","v":2},{"n":"98","vs":"x"},{"n":"97","vb":false},{"n":"96","vd":"AA"}]'), '/3/0')).toEqual([
      { path: '/3/0/99', type: 'Float', value: 2 },
      { path: '/3/0/98', type: 'String', value: 'x' },
      { path: '/3/0/97', type: 'Boolean', value: false },
      { path: '/3/0/96', type: 'Opaque', value: Uint8Array.of(0) },
    ]);
  });

  it('keeps times: absolute as given, relative against nowSeconds, none when "now"', () => {
    const now = 1_700_000_000;
    const payload = '[{"bn":"/3303/0/5700","bt":1699999990,"v":20},{"t":5,"v":21},{"bt":0,"t":-10,"v":22},{"bt":0,"v":23}]';
    expect(decodeSenmlJsonValues(json(payload), '/3303', undefined, { nowSeconds: now })).toEqual([
      { path: '/3303/0/5700', type: 'Float', value: 20, time: 1699999990 },
      { path: '/3303/0/5700', type: 'Float', value: 21, time: 1699999995 },
      { path: '/3303/0/5700', type: 'Float', value: 22, time: now - 10 },
      { path: '/3303/0/5700', type: 'Float', value: 23 },
    ]);
    const error = expectCodecError(() => decodeSenmlJsonValues(json(payload), '/3303'), 'bad-argument');
    expect(error.message).toContain('nowSeconds');
  });

  it('refuses names that are not LwM2M value paths, or lie outside the request', () => {
    expectCodecError(() => decodeSenmlJsonValues(json('[{"n":"temperature","v":1}]'), '/'), 'invalid-path');
    expectCodecError(() => decodeSenmlJsonValues(json('[{"n":"3/0/9","v":1}]'), '/'), 'invalid-path'); // no leading "/"
    expectCodecError(() => decodeSenmlJsonValues(json('[{"n":"/3/65535/9","v":1}]'), '/'), 'invalid-path'); // reserved id
    expectCodecError(() => decodeSenmlJsonValues(json('[{"n":"/3/0","v":1}]'), '/'), 'invalid-path'); // an instance has no value
    expectCodecError(() => decodeSenmlJsonValues(json('[{"n":"/3/0/9","v":1}]'), '/3/1'), 'outside-requested-path');
  });

  it('refuses values that contradict the model', () => {
    expect(expectCodecError(() => decodeSenmlJsonValues(json('[{"n":"/3/0/9","vs":"95"}]'), '/'), 'model-mismatch').path).toBe('/3/0/9');
    expectCodecError(() => decodeSenmlJsonValues(json('[{"n":"/3/0/9","v":9.5}]'), '/'), 'invalid-value');
    expectCodecError(() => decodeSenmlJsonValues(json('[{"n":"/1/0/1","v":-1}]'), '/'), 'invalid-value'); // unsigned
    expectCodecError(() => decodeSenmlJsonValues(json('[{"n":"/3/0/9","s":3}]'), '/'), 'model-mismatch'); // a sum is no value
    expectCodecError(() => decodeSenmlJsonValues(json('[{"n":"/3/0/99","s":3}]'), '/'), 'invalid-value');
    expectCodecError(() => decodeSenmlJsonValues(json('[{"n":"/3/0/6","v":1}]'), '/'), 'model-mismatch'); // multiple resource
    expectCodecError(() => decodeSenmlJsonValues(json('[{"n":"/32769/0/7","vs":"3:0"}]'), '/', TEST_MODEL), 'model-mismatch'); // Objlnk is vlo
  });

  it('passes on what schemas/senml refuses, with its message', () => {
    expect(expectCodecError(() => decodeSenmlJsonValues(json('{"n":"/3/0/9"}'), '/'), 'malformed').message).toContain('SenML JSON');
    expectCodecError(() => decodeSenmlJsonValues(json('[{"n":"/3/0/9","v":1,"vs":"1"}]'), '/'), 'malformed');
    expectCodecError(() => decodeSenmlJsonValues(json('not json'), '/'), 'malformed');
    expectCodecError(() => decodeSenmlJsonValues(Uint8Array.of(0x5b, 0xff, 0x5d), '/'), 'malformed');
  });

  it('encodes one base name for the shared path, one record per value, times as "t"', () => {
    const values: ResourceValue[] = [
      { path: '/3303/0/5700', type: 'Float', value: 21.5, time: 1_700_000_000 },
      { path: '/3303/0/5701', type: 'String', value: 'Cel' },
      { path: '/3303/1/5700', type: 'Float', value: 19 },
    ];
    const bytes = encodeSenmlJsonValues(values);
    expect(JSON.parse(asText(bytes))).toEqual([
      { bn: '/3303/', n: '0/5700', v: 21.5, t: 1_700_000_000 },
      { n: '0/5701', vs: 'Cel' },
      { n: '1/5700', v: 19 },
    ]);
    expect(decodeSenmlJsonValues(bytes, '/3303')).toEqual(values);
    const one: ResourceValue = { path: '/3/0/9', type: 'Integer', value: 80 };
    expect(JSON.parse(asText(encodeSenmlJsonValues([one])))).toEqual([{ bn: '/3/0/', n: '9', v: 80 }]);
    const twoObjects: ResourceValue[] = [one, { path: '/1/0/1', type: 'Unsigned Integer', value: 300 }];
    expect(JSON.parse(asText(encodeSenmlJsonValues(twoObjects)))).toEqual([
      { n: '/3/0/9', v: 80 },
      { n: '/1/0/1', v: 300 },
    ]);
  });

  it('refuses to send what a SenML number or time cannot carry', () => {
    expectCodecError(() => encodeSenmlJsonValues([{ path: '/3/0/9', type: 'Integer', value: 2n ** 60n + 1n }]), 'bad-argument');
    expect(encodeSenmlJsonValues([{ path: '/3/0/9', type: 'Integer', value: 2n ** 60n }])).toBeInstanceOf(Uint8Array); // exact as a double
    expectCodecError(() => encodeSenmlJsonValues([{ path: '/3/0/9', type: 'Integer', value: 1, time: 5 }]), 'bad-argument');
  });
});

describe('SenML CBOR (112)', () => {
  it('round-trips every value type with integer labels', () => {
    const values: ResourceValue[] = [
      { path: '/32769/0/0', type: 'String', value: 'x' },
      { path: '/32769/0/1', type: 'Integer', value: -7 },
      { path: '/32769/0/2', type: 'Unsigned Integer', value: 7 },
      { path: '/32769/0/3', type: 'Float', value: 0.1 },
      { path: '/32769/0/4', type: 'Boolean', value: true },
      { path: '/32769/0/5', type: 'Opaque', value: Uint8Array.of(0, 1) },
      { path: '/32769/0/6', type: 'Time', value: 1_700_000_000 },
      { path: '/32769/0/7', type: 'Objlnk', value: { objectId: 3, instanceId: 0 } },
      { path: '/32769/0/8', type: 'Corelnk', value: '</3/0>' },
      { path: '/32769/0/9/4', type: 'Integer', value: 44 },
    ];
    const bytes = encodeSenmlCborValues(values);
    const pack = decodeSenmlCbor(bytes, { profile: 'lwm2m' });
    expect(pack[0]).toMatchObject({ bn: '/32769/0/', n: '0', vs: 'x' });
    expect(pack[9]).toMatchObject({ n: '9/4', v: 44 });
    expect(decodeSenmlCborValues(bytes, '/32769/0', TEST_MODEL)).toEqual(values);
  });

  it('refuses what is not SenML CBOR', () => {
    expectCodecError(() => decodeSenmlCborValues(Uint8Array.of(0xa0), '/'), 'malformed');
    expectCodecError(() => decodeSenmlCborValues(Uint8Array.of(0x81), '/'), 'malformed');
  });
});
