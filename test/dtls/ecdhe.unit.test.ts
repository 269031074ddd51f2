import { describe, expect, it } from 'vitest';
import { chooseGroup, generateEphemeralKey } from '../../functions/dtls/ecdhe.ts';
import { DtlsAlertError } from '../../functions/dtls/errors.ts';

describe('ECDHE key shares (RFC 8422, RFC 7748)', () => {
  for (const group of ['x25519', 'secp256r1'] as const) {
    it(`${group}: both sides agree on the secret`, () => {
      const a = generateEphemeralKey(group);
      const b = generateEphemeralKey(group);
      expect(a.deriveSecret(b.publicKey).equals(b.deriveSecret(a.publicKey))).toBe(true);
      expect(a.deriveSecret(b.publicKey)).toHaveLength(32);
    });
  }

  it('refuses malformed or hostile key shares with illegal_parameter', () => {
    const p256 = generateEphemeralKey('secp256r1');
    const x = generateEphemeralKey('x25519');
    const notOnCurve = Buffer.concat([Buffer.of(4), Buffer.alloc(64, 1)]);
    for (const [key, share] of [
      [p256, Buffer.alloc(0)],
      [p256, p256.publicKey.subarray(0, 33)], // compressed form: we only offer uncompressed
      [p256, notOnCurve],
      [x, Buffer.alloc(31)],
      [x, Buffer.alloc(32)], // the zero point gives an all-zero secret (RFC 7748 §6.1)
    ] as const) {
      expect(() => key.deriveSecret(share)).toThrow(DtlsAlertError);
    }
  });

  it("takes the client's preferred group among the allowed ones, P-256 when the client names none", () => {
    expect(chooseGroup([23, 29], ['x25519', 'secp256r1'])).toBe('secp256r1');
    expect(chooseGroup([24, 29], ['x25519', 'secp256r1'])).toBe('x25519');
    expect(chooseGroup([24], ['x25519', 'secp256r1'])).toBeUndefined();
    expect(chooseGroup(undefined, ['x25519', 'secp256r1'])).toBe('secp256r1');
  });
});
