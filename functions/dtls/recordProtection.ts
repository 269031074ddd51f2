import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CipherSuite } from './cipherSuites.ts';
import { keyBlock } from './prf.ts';
import { additionalData } from './record.ts';

/** Protects and unprotects the records of one direction of one epoch. */
export interface RecordProtection {
  /** The record fragment for this plaintext. */
  seal(type: number, version: number, epoch: number, sequence: number, plaintext: Buffer): Buffer;
  /** The plaintext, or undefined when the record does not authenticate. Never throws on peer input. */
  open(type: number, version: number, epoch: number, sequence: number, fragment: Buffer): Buffer | undefined;
}

export interface DirectionKeys {
  readonly macKey: Buffer;
  readonly encKey: Buffer;
  readonly fixedIv: Buffer;
}

/** Cuts the key block in RFC 5246 §6.3 order: MAC keys, then encryption keys, then IVs, client first. */
export const deriveKeys = (suite: CipherSuite, master: Buffer, clientRandom: Buffer, serverRandom: Buffer) => {
  const { macKeyLength: m, encKeyLength: k, fixedIvLength: iv } = suite;
  const block = keyBlock(master, clientRandom, serverRandom, 2 * (m + k + iv));
  let at = 0;
  const take = (n: number) => block.subarray(at, (at += n));
  const clientMac = take(m);
  const serverMac = take(m);
  const clientEnc = take(k);
  const serverEnc = take(k);
  const clientIv = take(iv);
  const serverIv = take(iv);
  return {
    client: { macKey: clientMac, encKey: clientEnc, fixedIv: clientIv } satisfies DirectionKeys,
    server: { macKey: serverMac, encKey: serverEnc, fixedIv: serverIv } satisfies DirectionKeys,
  };
};

export const createProtection = (suite: CipherSuite, keys: DirectionKeys): RecordProtection =>
  suite.cipher === 'aes_128_ccm_8' ? ccm8(keys) : cbcSha256(keys);

const CCM_TAG = 8;
const EXPLICIT_NONCE = 8;

/**
 * AES-128-CCM with 8-byte tags (RFC 6655 §3): nonce = 4-byte salt from the key block || 8-byte
 * explicit nonce carried in the record, which is epoch || sequence (unique per key by construction).
 * The AAD is RFC 5246's seq_num || type || version || plaintext length.
 */
const ccm8 = (keys: DirectionKeys): RecordProtection => ({
  seal(type, version, epoch, sequence, plaintext) {
    const explicit = Buffer.allocUnsafe(EXPLICIT_NONCE);
    explicit.writeUInt16BE(epoch, 0);
    explicit.writeUIntBE(sequence, 2, 6);
    const cipher = createCipheriv('aes-128-ccm', keys.encKey, Buffer.concat([keys.fixedIv, explicit]), { authTagLength: CCM_TAG });
    cipher.setAAD(additionalData(type, version, epoch, sequence, plaintext.length), { plaintextLength: plaintext.length });
    const body = cipher.update(plaintext);
    cipher.final();
    return Buffer.concat([explicit, body, cipher.getAuthTag()]);
  },
  open(type, version, epoch, sequence, fragment) {
    if (fragment.length < EXPLICIT_NONCE + CCM_TAG) return undefined;
    const explicit = fragment.subarray(0, EXPLICIT_NONCE);
    const body = fragment.subarray(EXPLICIT_NONCE, fragment.length - CCM_TAG);
    const tag = fragment.subarray(fragment.length - CCM_TAG);
    const decipher = createDecipheriv('aes-128-ccm', keys.encKey, Buffer.concat([keys.fixedIv, explicit]), { authTagLength: CCM_TAG });
    decipher.setAuthTag(tag);
    decipher.setAAD(additionalData(type, version, epoch, sequence, body.length), { plaintextLength: body.length });
    // update() hands back the decrypted bytes whether or not the tag matches: only final() checks it.
    const plaintext = decipher.update(body);
    try {
      decipher.final();
    } catch {
      return undefined;
    }
    return plaintext;
  },
});

const BLOCK = 16;
const MAC = 32;
const SHA256_BLOCK = 64;

/** SHA-256 compression calls for the inner HMAC hash over n message bytes (key block included). */
const hmacBlocks = (n: number) => Math.floor((SHA256_BLOCK + n + 8) / SHA256_BLOCK) + 1;
const filler = Buffer.alloc(SHA256_BLOCK * 8);

/**
 * AES-128-CBC with HMAC-SHA256, MAC-then-encrypt with an explicit IV (RFC 5246 §6.2.3.2).
 *
 * Opening avoids the padding oracle: the padding check touches every candidate byte whatever the
 * padding length says, the MAC is always computed (over the record as if the padding were empty when
 * the padding is bad, as §6.2.3.2 advises), the MAC comparison is constant time, and extra hash
 * blocks are fed to a throwaway hash so that the number of SHA-256 compressions does not depend on
 * the padding length (the Lucky Thirteen remedy). JavaScript gives no hard timing guarantees; this
 * removes the data-dependent branches and work, which is what the attacks measure.
 */
const cbcSha256 = (keys: DirectionKeys): RecordProtection => {
  const mac = (type: number, version: number, epoch: number, sequence: number, content: Buffer) =>
    createHmac('sha256', keys.macKey).update(additionalData(type, version, epoch, sequence, content.length)).update(content).digest();
  return {
    seal(type, version, epoch, sequence, plaintext) {
      const tag = mac(type, version, epoch, sequence, plaintext);
      const unpadded = plaintext.length + MAC + 1;
      const padLength = (BLOCK - (unpadded % BLOCK)) % BLOCK;
      const iv = randomBytes(BLOCK);
      const cipher = createCipheriv('aes-128-cbc', keys.encKey, iv).setAutoPadding(false);
      const body = Buffer.concat([cipher.update(Buffer.concat([plaintext, tag, Buffer.alloc(padLength + 1, padLength)])), cipher.final()]);
      return Buffer.concat([iv, body]);
    },
    open(type, version, epoch, sequence, fragment) {
      // Length checks use only public values: the record length.
      const bodyLength = fragment.length - BLOCK;
      if (bodyLength < BLOCK * Math.ceil((MAC + 1) / BLOCK) || bodyLength % BLOCK !== 0) return undefined;
      const decipher = createDecipheriv('aes-128-cbc', keys.encKey, fragment.subarray(0, BLOCK)).setAutoPadding(false);
      const p = Buffer.concat([decipher.update(fragment.subarray(BLOCK)), decipher.final()]);
      const last = p.length - 1;
      const pad = p[last]!;
      // bad = 1 when pad + 1 + MAC exceeds the record (the sign bit of the difference).
      let bad = ((p.length - (pad + 1 + MAC)) >>> 31) & 1;
      const window = Math.min(256, p.length);
      for (let i = 0; i < window; i++) {
        const inPadding = ((i - pad - 1) >>> 31) & 1; // 1 when i <= pad
        const differs = (((p[last - i]! ^ pad) + 0xff) >> 8) & 1; // 1 when the byte is not pad
        bad |= inPadding & differs;
      }
      const padUsed = pad & (bad - 1); // bad ? 0 : pad, without a branch
      const contentLength = p.length - MAC - 1 - padUsed;
      const content = p.subarray(0, contentLength);
      const expected = mac(type, version, epoch, sequence, content);
      const macOk = timingSafeEqual(expected, p.subarray(contentLength, contentLength + MAC)) ? 1 : 0;
      const extra = hmacBlocks(13 + p.length - MAC - 1) - hmacBlocks(13 + contentLength);
      createHash('sha256').update(filler.subarray(0, Math.min(filler.length, extra * SHA256_BLOCK))).digest();
      return (macOk & (bad ^ 1)) === 1 ? content : undefined;
    },
  };
};
