import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ClientHello } from './clientHello.ts';

const COOKIE_LENGTH = 16;

/**
 * Stateless HelloVerifyRequest cookies (RFC 6347 §4.2.1): Cookie = HMAC(Secret, Client-IP,
 * Client-Parameters). The parameters are the ones §4.2.1 says a client must repeat unchanged:
 * version, random, session_id, cipher_suites, compression_methods. The secret rotates; a cookie
 * made with the previous secret is still accepted, so a handshake that straddles a rotation works.
 */
export class CookieJar {
  private current = randomBytes(32);
  private previous = randomBytes(32);
  private rotatedAt: number;

  constructor(
    private readonly rotationMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.rotatedAt = now();
  }

  private rotateIfDue() {
    if (this.now() - this.rotatedAt < this.rotationMs) return;
    this.previous = this.current;
    this.current = randomBytes(32);
    this.rotatedAt = this.now();
  }

  private mac(secret: Buffer, hello: ClientHello, address: string, port: number): Buffer {
    const where = Buffer.from(`${address}|${port}`, 'latin1');
    const h = createHmac('sha256', secret);
    for (const part of [where, hello.random, hello.sessionId, hello.cipherSuitesRaw, hello.compressionMethods]) {
      // Length-prefix each field so that no two different inputs hash the same bytes.
      const len = Buffer.allocUnsafe(2);
      len.writeUInt16BE(part.length);
      h.update(len).update(part);
    }
    const version = Buffer.allocUnsafe(2);
    version.writeUInt16BE(hello.clientVersion);
    return h.update(version).digest().subarray(0, COOKIE_LENGTH);
  }

  issue(hello: ClientHello, address: string, port: number): Buffer {
    this.rotateIfDue();
    return this.mac(this.current, hello, address, port);
  }

  verify(hello: ClientHello, address: string, port: number): boolean {
    this.rotateIfDue();
    if (hello.cookie.length !== COOKIE_LENGTH) return false;
    // Check both secrets every time, so the answer's timing does not say which one matched.
    const a = timingSafeEqual(this.mac(this.current, hello, address, port), hello.cookie);
    const b = timingSafeEqual(this.mac(this.previous, hello, address, port), hello.cookie);
    return a || b;
  }

  /** Rotates now; for tests and for operators who suspect the secret leaked. */
  rotate() {
    this.rotatedAt = -Infinity;
    this.rotateIfDue();
  }
}
