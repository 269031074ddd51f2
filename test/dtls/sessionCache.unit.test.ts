import { describe, expect, it } from 'vitest';
import { cipherSuiteByName } from '../../functions/dtls/cipherSuites.ts';
import { SessionCache } from '../../functions/dtls/sessionCache.ts';

const entry = (id: number) => ({
  sessionId: Buffer.alloc(32, id),
  masterSecret: Buffer.alloc(48, id),
  suite: cipherSuiteByName('TLS_PSK_WITH_AES_128_CCM_8'),
  identity: Buffer.from(`dev${id}`),
  extendedMasterSecret: true,
  pskDigest: Buffer.alloc(32),
});

describe('session-id cache', () => {
  it('finds entries until their time-to-live runs out', () => {
    let now = 0;
    const cache = new SessionCache(10, 1000, () => now);
    cache.put(entry(1));
    now = 1000;
    expect(cache.get(Buffer.alloc(32, 1))?.identity.toString()).toBe('dev1');
    now = 1001;
    expect(cache.get(Buffer.alloc(32, 1))).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('evicts the oldest entry when full, and never matches an empty session id', () => {
    const cache = new SessionCache(2, 60_000);
    cache.put(entry(1));
    cache.put(entry(2));
    cache.put(entry(3));
    expect(cache.get(Buffer.alloc(32, 1))).toBeUndefined();
    expect(cache.get(Buffer.alloc(32, 3))).toBeDefined();
    expect(cache.get(Buffer.alloc(0))).toBeUndefined();
    cache.delete(Buffer.alloc(32, 3));
    expect(cache.get(Buffer.alloc(32, 3))).toBeUndefined();
  });
});
