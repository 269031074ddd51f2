import { describe, expect, it } from 'vitest';
import { CBOR_LABELS, labelForCborKey } from '../../schemas/senml/index.ts';

describe('SenML labels (RFC 8428 Table 4)', () => {
  it('maps every JSON label to its CBOR integer and back', () => {
    expect(CBOR_LABELS).toEqual({ bver: -1, bn: -2, bt: -3, bu: -4, bv: -5, bs: -6, n: 0, u: 1, v: 2, vs: 3, vb: 4, s: 5, t: 6, ut: 7, vd: 8 });
    for (const [name, key] of Object.entries(CBOR_LABELS)) expect(labelForCborKey(key)).toBe(name);
  });

  it('knows no other integer: the RFC says later labels use text keys', () => {
    for (const key of [-7, 9, 10, 23, 24, 100, -100]) expect(labelForCborKey(key)).toBeUndefined();
  });
});
