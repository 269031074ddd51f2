import { describe, expect, it } from 'vitest';
import { parseClientHello, type ClientHello } from '../../functions/dtls/clientHello.ts';
import { CookieJar } from '../../functions/dtls/cookie.ts';
import { u16, vector16, vector8 } from '../../functions/dtls/bytes.ts';

const hello = (random: number, cookie: Buffer = Buffer.alloc(0)): ClientHello =>
  parseClientHello(Buffer.concat([u16(0xfefd), Buffer.alloc(32, random), vector8(Buffer.alloc(0)), vector8(cookie), vector16(Buffer.from([0xc0, 0xa8])), vector8(Buffer.of(0))]));

describe('HelloVerifyRequest cookies (RFC 6347 §4.2.1)', () => {
  it('verifies its own cookie for the same client parameters and address only', () => {
    const jar = new CookieJar(60_000);
    const cookie = jar.issue(hello(1), '192.0.2.1', 5684);
    expect(cookie).toHaveLength(16);
    expect(jar.verify(hello(1, cookie), '192.0.2.1', 5684)).toBe(true);
    expect(jar.verify(hello(1, cookie), '192.0.2.1', 5685)).toBe(false);
    expect(jar.verify(hello(1, cookie), '192.0.2.2', 5684)).toBe(false);
    expect(jar.verify(hello(2, cookie), '192.0.2.1', 5684)).toBe(false);
    const tampered = Buffer.from(cookie);
    tampered[0]! ^= 1;
    expect(jar.verify(hello(1, tampered), '192.0.2.1', 5684)).toBe(false);
    expect(jar.verify(hello(1, cookie.subarray(0, 15)), '192.0.2.1', 5684)).toBe(false);
  });

  it('keeps accepting the previous secret for one rotation period, on a clock', () => {
    let now = 0;
    const jar = new CookieJar(1000, () => now);
    const cookie = jar.issue(hello(3), '::1', 1);
    now = 1500; // one rotation
    expect(jar.verify(hello(3, cookie), '::1', 1)).toBe(true);
    now = 2600; // two rotations
    expect(jar.verify(hello(3, cookie), '::1', 1)).toBe(false);
  });
});
