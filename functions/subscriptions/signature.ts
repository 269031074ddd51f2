import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header that carries the body's signature: `sha256=<hex HMAC-SHA256 of the body bytes>`. */
export const SIGNATURE_HEADER = 'x-fleet-signature';

/** Signs the exact bytes sent; receivers must verify the raw body before parsing it. */
export const signBody = (body: string | Buffer, secret: string): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/**
 * What a receiver runs: true when the header is the signature of these body bytes under the
 * subscription's secret. Compares in constant time so the signature cannot be guessed byte by byte.
 */
export const verifySignature = (body: string | Buffer, header: string | undefined, secret: string): boolean => {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(signBody(body, secret));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
};
