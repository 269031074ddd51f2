import { describe, expect, it } from 'vitest';
import { ReplayWindow } from '../../functions/dtls/replayWindow.ts';

describe('anti-replay window (RFC 6347 §4.1.2.6)', () => {
  const seen = (w: ReplayWindow, seq: number) => {
    const ok = w.accepts(seq);
    if (ok) w.mark(seq);
    return ok;
  };

  it('accepts each sequence number once, in any order inside the window', () => {
    const w = new ReplayWindow(64);
    expect([0, 2, 1, 2, 0, 5, 3, 4, 5].map((s) => seen(w, s))).toEqual([true, true, true, false, false, true, true, true, false]);
  });

  it('refuses numbers that fell out of the window, and frees the slots it slides over', () => {
    const w = new ReplayWindow(64);
    seen(w, 10);
    expect(seen(w, 100)).toBe(true);
    expect(w.accepts(36)).toBe(false); // 100 - 36 = 64: just outside
    expect(seen(w, 37)).toBe(true); // just inside, never seen
    expect(seen(w, 37)).toBe(false);
    // 10 + 64k lands in the same slot as 10: sliding past must have cleared it.
    expect(seen(w, 74)).toBe(true);
  });

  it('only moves on marked (authenticated) numbers: a forged high number does not shift it', () => {
    const w = new ReplayWindow(64);
    seen(w, 5);
    expect(w.accepts(1_000_000)).toBe(true); // checked, but not marked: the record did not authenticate
    expect(seen(w, 6)).toBe(true);
    expect(w.accepts(5)).toBe(false);
  });

  it('handles 48-bit sequence numbers exactly', () => {
    const w = new ReplayWindow(64);
    const top = 2 ** 48 - 1;
    expect(seen(w, top - 1)).toBe(true);
    expect(seen(w, top)).toBe(true);
    expect(seen(w, top - 1)).toBe(false);
    expect(seen(w, top - 63)).toBe(true);
  });

  it('refuses a window below the RFC 4303 minimum of 32', () => {
    expect(() => new ReplayWindow(16)).toThrow('>= 32');
  });
});
