import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../functions/dtls/options.ts';

describe('DTLS server options', () => {
  it('defaults to RFC 7925 CCM_8 first and the RFC 6347 timer values', () => {
    const o = resolveOptions();
    expect(o.handshake.suites.map((s) => s.name)).toEqual(['TLS_PSK_WITH_AES_128_CCM_8', 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256', 'TLS_PSK_WITH_AES_128_CBC_SHA256']);
    expect(o.handshake.retransmitInitialMs).toBe(1000);
    expect(o.handshake.retransmitMaxMs).toBe(60_000);
    expect(o.sessionCache).toEqual({ maxEntries: 10_000, ttlMs: 86_400_000 });
  });

  it('names the option and the rule when a value cannot work', () => {
    expect(() => resolveOptions({ mtu: 100 })).toThrow('mtu must be a number >= 256');
    expect(() => resolveOptions({ retransmitInitialMs: 500, retransmitMaxMs: 100 })).toThrow('retransmitMaxMs');
    expect(() => resolveOptions({ cipherSuites: [] })).toThrow('cipherSuites is empty');
    expect(() => resolveOptions({ cipherSuites: ['TLS_RSA_WITH_NULL_MD5' as never] })).toThrow('unknown cipher suite');
    expect(() => resolveOptions({ groups: ['secp384r1' as never] })).toThrow('unknown group');
    expect(() => resolveOptions({ maxHandshakes: Number.NaN })).toThrow('maxHandshakes');
  });
});
