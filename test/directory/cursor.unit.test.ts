import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, searchFingerprint } from '../../functions/directory/cursor.ts';
import { DirectoryQueryError } from '../../functions/directory/deviceDirectory.ts';
import { SearchQuery } from '../../schemas/directory/searchQuery.ts';

const rulesOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof DirectoryQueryError) return err.errors.map((e) => `${e.field}:${e.rule}`);
    throw err;
  }
  throw new Error('expected a DirectoryQueryError');
};

describe('search cursors', () => {
  const base = SearchQuery.parse({ tenant: 'city-of-lund', attributes: { kind: 'water-meter', 'zone-id': 'z1' }, limit: 10 });

  it('fingerprint a search by its filters only: not its page size, cursor, or key order', () => {
    const f = searchFingerprint(base);
    expect(searchFingerprint({ ...base, limit: 500, cursor: 'abc' })).toBe(f);
    expect(searchFingerprint(SearchQuery.parse({ attributes: { 'zone-id': 'z1', kind: 'water-meter' }, tenant: 'city-of-lund' }))).toBe(f);
    expect(searchFingerprint(SearchQuery.parse({ tenant: 'city-of-lund', attributes: { kind: 'water-meter', 'zone-id': 'z1' }, status: ['bootstrapped', 'provisioned'] }))).toBe(f);
    expect(searchFingerprint({ ...base, tenant: 'malmo-stad' })).not.toBe(f);
    expect(searchFingerprint({ ...base, status: ['deprovisioned'] })).not.toBe(f);
    expect(searchFingerprint({ ...base, near: { lat: 1, lon: 2, radiusMeters: 3 } })).not.toBe(f);
  });

  it('round-trip the last sort key exactly, distances included', () => {
    const f = searchFingerprint(base);
    const cursor = encodeCursor(f, { key: 'meter-0042' });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(SearchQuery.safeParse({ cursor }).success).toBe(true);
    expect(decodeCursor(cursor, f, false)).toEqual({ key: 'meter-0042' });
    const d = 1234.5678901234567;
    expect(decodeCursor(encodeCursor(f, { key: 'm', distance: d }), f, true)).toEqual({ key: 'm', distance: d });
    expect(decodeCursor(encodeCursor(f, { key: 'm', distance: 0 }), f, true)).toEqual({ key: 'm', distance: 0 });
  });

  it('refuse cursors that are garbage, forged into the wrong shape, or from another search', () => {
    const f = searchFingerprint(base);
    expect(rulesOf(() => decodeCursor('bm9wZQ', f, false))).toEqual(['cursor:malformed']);
    expect(rulesOf(() => decodeCursor('', f, false))).toEqual(['cursor:malformed']);
    const forged = Buffer.from(JSON.stringify({ v: 1, f, k: 'x', extra: 1 })).toString('base64url');
    expect(rulesOf(() => decodeCursor(forged, f, false))).toEqual(['cursor:malformed']);
    const negative = Buffer.from(JSON.stringify({ v: 1, f, k: 'x', d: -1 })).toString('base64url');
    expect(rulesOf(() => decodeCursor(negative, f, true))).toEqual(['cursor:malformed']);
    expect(rulesOf(() => decodeCursor(encodeCursor(f, { key: 'x' }), f, true))).toEqual(['cursor:malformed']);
    expect(rulesOf(() => decodeCursor(encodeCursor('other', { key: 'x' }), f, false))).toEqual(['cursor:other-search']);
  });
});
