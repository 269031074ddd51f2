import { describe, expect, it } from 'vitest';
import { u16, vector16, vector8 } from '../../functions/dtls/bytes.ts';
import { offersExtendedMasterSecret, parseClientHello, pointFormats, renegotiationInfo, supportedGroups } from '../../functions/dtls/clientHello.ts';
import { DtlsAlertError } from '../../functions/dtls/errors.ts';

const ext = (type: number, data: Buffer) => Buffer.concat([u16(type), vector16(data)]);

const hello = (extensions?: Buffer[]) =>
  Buffer.concat([
    u16(0xfefd),
    Buffer.alloc(32, 0xaa),
    vector8(Buffer.alloc(0)),
    vector8(Buffer.from('cookie-bytes')),
    vector16(Buffer.from([0xc0, 0xa8, 0x00, 0xff])),
    vector8(Buffer.of(0)),
    ...(extensions === undefined ? [] : [vector16(Buffer.concat(extensions))]),
  ]);

const full = hello([
  ext(0xff01, vector8(Buffer.alloc(0))),
  ext(23, Buffer.alloc(0)),
  ext(10, vector16(Buffer.from([0x00, 0x1d, 0x00, 0x17]))),
  ext(11, vector8(Buffer.of(0))),
]);

describe('ClientHello parsing (RFC 5246 §7.4.1.2, RFC 6347 §4.2.1)', () => {
  it('reads every field and the extensions this server uses', () => {
    const h = parseClientHello(full);
    expect(h.clientVersion).toBe(0xfefd);
    expect(h.cookie.toString()).toBe('cookie-bytes');
    expect(h.cipherSuites).toEqual([0xc0a8, 0x00ff]);
    expect(offersExtendedMasterSecret(h)).toBe(true);
    expect(renegotiationInfo(h)).toHaveLength(0);
    expect(supportedGroups(h)).toEqual([29, 23]);
    expect([...pointFormats(h)!]).toEqual([0]);
  });

  it('accepts a hello without any extensions block', () => {
    const h = parseClientHello(hello());
    expect(h.extensions.size).toBe(0);
    expect(offersExtendedMasterSecret(h)).toBe(false);
    expect(supportedGroups(h)).toBeUndefined();
  });

  it('throws a DtlsAlertError (never anything else) for every truncation and for trailing bytes', () => {
    const withoutExtensions = hello().length; // a legal place to stop: the extensions block is optional
    for (let n = 0; n < full.length; n++) {
      if (n === withoutExtensions) continue;
      expect(() => parseClientHello(full.subarray(0, n)), `truncated at ${n}`).toThrow(DtlsAlertError);
    }
    expect(() => parseClientHello(Buffer.concat([full, Buffer.of(0)]))).toThrow('trailing');
  });

  it('refuses duplicate extensions (illegal_parameter) and a non-empty extended_master_secret (decode_error)', () => {
    const dup = hello([ext(23, Buffer.alloc(0)), ext(23, Buffer.alloc(0))]);
    expect(() => parseClientHello(dup)).toThrow(expect.objectContaining({ alert: 'illegal_parameter' }) as Error);
    const bad = parseClientHello(hello([ext(23, Buffer.of(1))]));
    expect(() => offersExtendedMasterSecret(bad)).toThrow(expect.objectContaining({ alert: 'decode_error' }) as Error);
  });

  it('refuses a session id longer than 32 bytes and an odd cipher_suites length', () => {
    const longId = Buffer.concat([u16(0xfefd), Buffer.alloc(32), vector8(Buffer.alloc(33)), vector8(Buffer.alloc(0)), vector16(Buffer.alloc(2)), vector8(Buffer.of(0))]);
    expect(() => parseClientHello(longId)).toThrow('session_id');
    const odd = Buffer.concat([u16(0xfefd), Buffer.alloc(32), vector8(Buffer.alloc(0)), vector8(Buffer.alloc(0)), vector16(Buffer.alloc(3)), vector8(Buffer.of(0))]);
    expect(() => parseClientHello(odd)).toThrow('odd');
  });
});
