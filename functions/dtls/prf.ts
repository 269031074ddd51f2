import { createHash, createHmac } from 'node:crypto';
import { u16 } from './bytes.ts';

/**
 * The TLS 1.2 PRF with SHA-256 (RFC 5246 §5): P_SHA256(secret, label + seed) cut to `length`.
 * Every suite this server speaks uses SHA-256 for the PRF (RFC 6655 §3, RFC 5487 §3.2, RFC 5489 §3).
 */
export const prf = (secret: Buffer, label: string, seed: Buffer, length: number): Buffer => {
  const labelSeed = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  const out: Buffer[] = [];
  let produced = 0;
  let a = labelSeed; // A(0)
  while (produced < length) {
    a = createHmac('sha256', secret).update(a).digest();
    const block = createHmac('sha256', secret).update(a).update(labelSeed).digest();
    out.push(block);
    produced += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
};

export const sha256 = (parts: readonly Buffer[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

/**
 * PSK premaster secret (RFC 4279 §2, RFC 5489 §2): uint16 length + other_secret, uint16 length + psk.
 * For plain PSK other_secret is as many zero bytes as the key has; for ECDHE_PSK it is the ECDH output.
 */
export const pskPremasterSecret = (psk: Buffer, otherSecret?: Buffer): Buffer => {
  const other = otherSecret ?? Buffer.alloc(psk.length);
  return Buffer.concat([u16(other.length), other, u16(psk.length), psk]);
};

/** RFC 5246 §8.1 */
export const masterSecret = (premaster: Buffer, clientRandom: Buffer, serverRandom: Buffer): Buffer =>
  prf(premaster, 'master secret', Buffer.concat([clientRandom, serverRandom]), 48);

/** RFC 7627 §4: session_hash is the hash of the handshake messages up to and including ClientKeyExchange. */
export const extendedMasterSecret = (premaster: Buffer, sessionHash: Buffer): Buffer =>
  prf(premaster, 'extended master secret', sessionHash, 48);

/** RFC 5246 §6.3: note the randoms swap order compared with the master secret. */
export const keyBlock = (master: Buffer, clientRandom: Buffer, serverRandom: Buffer, length: number): Buffer =>
  prf(master, 'key expansion', Buffer.concat([serverRandom, clientRandom]), length);

/** RFC 5246 §7.4.9: 12 bytes of PRF over the hash of the handshake messages so far. */
export const finishedVerifyData = (master: Buffer, sender: 'client' | 'server', transcriptHash: Buffer): Buffer =>
  prf(master, `${sender} finished`, transcriptHash, 12);
