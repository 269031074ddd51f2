import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cipherSuiteByName } from '../../functions/dtls/cipherSuites.ts';
import { ContentType, DTLS_1_2 } from '../../functions/dtls/protocol.ts';
import { additionalData } from '../../functions/dtls/record.ts';
import { createProtection, type DirectionKeys } from '../../functions/dtls/recordProtection.ts';

const ccmKeys: DirectionKeys = { macKey: Buffer.alloc(0), encKey: Buffer.alloc(16, 0x11), fixedIv: Buffer.from('a1b2c3d4', 'hex') };
const cbcKeys: DirectionKeys = { macKey: Buffer.alloc(32, 0x22), encKey: Buffer.alloc(16, 0x33), fixedIv: Buffer.alloc(0) };
const ccm = createProtection(cipherSuiteByName('TLS_PSK_WITH_AES_128_CCM_8'), ccmKeys);
const cbc = createProtection(cipherSuiteByName('TLS_PSK_WITH_AES_128_CBC_SHA256'), cbcKeys);
const APP = ContentType.applicationData;

describe('record additional data (RFC 5246 §6.2.3.3 with DTLS seq_num, RFC 6347 §4.1.2.1)', () => {
  it('puts epoch and sequence first, then type, version and length', () => {
    expect(additionalData(23, 0xfefd, 1, 0x0102030405, 300).toString('hex')).toBe('0001' + '000102030405' + '17' + 'fefd' + '012c');
  });
});

describe('AES-128-CCM-8 records (RFC 6655)', () => {
  it('round-trips and carries epoch || sequence as the explicit nonce', () => {
    const plain = Buffer.from('coap message');
    const sealed = ccm.seal(APP, DTLS_1_2, 1, 42, plain);
    expect(sealed).toHaveLength(8 + plain.length + 8);
    expect(sealed.subarray(0, 8).toString('hex')).toBe('0001' + '00000000002a');
    expect(ccm.open(APP, DTLS_1_2, 1, 42, sealed)?.toString()).toBe('coap message');
  });

  it('refuses any flipped bit, and any change to type, version, epoch or sequence', () => {
    const sealed = ccm.seal(APP, DTLS_1_2, 1, 7, Buffer.from('integrity'));
    for (let i = 0; i < sealed.length; i++) {
      const forged = Buffer.from(sealed);
      forged[i]! ^= 0x01;
      expect(ccm.open(APP, DTLS_1_2, 1, 7, forged)).toBeUndefined();
    }
    expect(ccm.open(ContentType.alert, DTLS_1_2, 1, 7, sealed)).toBeUndefined();
    expect(ccm.open(APP, 0xfeff, 1, 7, sealed)).toBeUndefined();
    expect(ccm.open(APP, DTLS_1_2, 2, 7, sealed)).toBeUndefined();
    expect(ccm.open(APP, DTLS_1_2, 1, 8, sealed)).toBeUndefined();
    expect(ccm.open(APP, DTLS_1_2, 1, 7, sealed.subarray(0, 15))).toBeUndefined();
  });

  it('does not fall into the CCM trap: Node decrypts a forged tag in update() and only final() notices', () => {
    const sealed = ccm.seal(APP, DTLS_1_2, 1, 9, Buffer.from('secret payload'));
    const forged = Buffer.from(sealed);
    forged[forged.length - 1]! ^= 0xff;
    // The trap, shown with Node directly: update() hands back plaintext for the forged record.
    const body = forged.subarray(8, forged.length - 8);
    const d = createDecipheriv('aes-128-ccm', ccmKeys.encKey, Buffer.concat([ccmKeys.fixedIv, forged.subarray(0, 8)]), { authTagLength: 8 });
    d.setAuthTag(forged.subarray(forged.length - 8));
    d.setAAD(additionalData(APP, DTLS_1_2, 1, 9, body.length), { plaintextLength: body.length });
    expect(() => d.update(body)).not.toThrow();
    expect(() => d.final()).toThrow();
    // Our open() refuses it.
    expect(ccm.open(APP, DTLS_1_2, 1, 9, forged)).toBeUndefined();
  });
});

/** A CBC record built by hand (MAC-then-pad-then-encrypt) with any padding, to test what open() accepts. */
const handmade = (content: Buffer, padLength: number, padByte = padLength, sequence = 5, macOverride?: Buffer) => {
  const mac = macOverride ?? createHmac('sha256', cbcKeys.macKey).update(additionalData(APP, DTLS_1_2, 1, sequence, content.length)).update(content).digest();
  const iv = Buffer.alloc(16, 0x44);
  const c = createCipheriv('aes-128-cbc', cbcKeys.encKey, iv).setAutoPadding(false);
  const plain = Buffer.concat([content, mac, Buffer.alloc(padLength, padByte), Buffer.of(padLength)]);
  return Buffer.concat([iv, c.update(plain), c.final()]);
};

describe('AES-128-CBC + HMAC-SHA256 records (RFC 5246 §6.2.3.2)', () => {
  it('round-trips every length around the block boundaries, with a fresh IV per record', () => {
    for (let n = 0; n <= 70; n++) {
      const plain = Buffer.alloc(n, n);
      const sealed = cbc.seal(APP, DTLS_1_2, 1, n, plain);
      expect((sealed.length - 16) % 16).toBe(0);
      expect(cbc.open(APP, DTLS_1_2, 1, n, sealed)?.equals(plain)).toBe(true);
    }
    const a = cbc.seal(APP, DTLS_1_2, 1, 1, Buffer.from('same'));
    const b = cbc.seal(APP, DTLS_1_2, 1, 1, Buffer.from('same'));
    expect(a.subarray(0, 16).equals(b.subarray(0, 16))).toBe(false);
  });

  it('refuses any flipped bit and any change to the authenticated header fields', () => {
    const sealed = cbc.seal(APP, DTLS_1_2, 1, 3, Buffer.from('integrity matters'));
    for (let i = 0; i < sealed.length; i++) {
      const forged = Buffer.from(sealed);
      forged[i]! ^= 0x80;
      expect(cbc.open(APP, DTLS_1_2, 1, 3, forged)).toBeUndefined();
    }
    expect(cbc.open(APP, DTLS_1_2, 1, 4, sealed)).toBeUndefined();
    expect(cbc.open(ContentType.handshake, DTLS_1_2, 1, 3, sealed)).toBeUndefined();
  });

  it('accepts any valid padding length up to 255, as the RFC allows, built independently', () => {
    const content = Buffer.from('sixteen bytes!!!');
    for (const pad of [15, 31, 127, 255]) {
      expect(cbc.open(APP, DTLS_1_2, 1, 5, handmade(content, pad))?.toString()).toBe('sixteen bytes!!!');
    }
  });

  it('refuses bad padding whether or not the MAC would match', () => {
    const content = Buffer.from('sixteen bytes!!!');
    // Padding bytes that disagree with the padding length.
    expect(cbc.open(APP, DTLS_1_2, 1, 5, handmade(content, 15, 14))).toBeUndefined();
    // A padding length that claims more bytes than the record has (record of 1 + 32 + 15 + 16 bytes).
    const tooLong = handmade(content, 15);
    const iv = tooLong.subarray(0, 16);
    const d = createDecipheriv('aes-128-cbc', cbcKeys.encKey, iv).setAutoPadding(false);
    const plain = Buffer.concat([d.update(tooLong.subarray(16)), d.final()]);
    plain.fill(200, plain.length - 16);
    const c = createCipheriv('aes-128-cbc', cbcKeys.encKey, iv).setAutoPadding(false);
    expect(cbc.open(APP, DTLS_1_2, 1, 5, Buffer.concat([iv, c.update(plain), c.final()]))).toBeUndefined();
    // Good padding, wrong MAC.
    expect(cbc.open(APP, DTLS_1_2, 1, 5, handmade(content, 15, 15, 5, Buffer.alloc(32)))).toBeUndefined();
  });

  it('refuses records too short or not a whole number of blocks, without throwing', () => {
    expect(cbc.open(APP, DTLS_1_2, 1, 1, Buffer.alloc(0))).toBeUndefined();
    expect(cbc.open(APP, DTLS_1_2, 1, 1, Buffer.alloc(16 + 32))).toBeUndefined();
    expect(cbc.open(APP, DTLS_1_2, 1, 1, Buffer.alloc(16 + 48 + 1))).toBeUndefined();
  });
});
