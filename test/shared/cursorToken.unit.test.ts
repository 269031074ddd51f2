import { describe, expect, it } from 'vitest';
import { fromCursorToken, toCursorToken } from '../../functions/shared/cursorToken.ts';

describe('cursor tokens', () => {
  it('carry a JSON object as one URL-safe token and give it back exactly', () => {
    const payload = { v: 1, f: 'Ab-_9', k: 'meter/0042 ÅÄÖ 🚰', d: 1234.5678901234567, n: null, list: [1, 'two'] };
    const token = toCursorToken(payload);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(new URLSearchParams({ cursor: token }).toString()).toBe(`cursor=${token}`);
    expect(fromCursorToken(token)).toEqual(payload);
  });

  it('answer undefined, never throw, for tokens that hold no JSON', () => {
    expect(fromCursorToken('')).toBeUndefined();
    expect(fromCursorToken('bm9wZQ')).toBeUndefined(); // "nope"
    expect(fromCursorToken('%%%')).toBeUndefined();
    expect(fromCursorToken(toCursorToken({ k: 'x' }).slice(0, -2))).toBeUndefined();
  });

  it('hand any JSON value to the caller to judge, not only objects', () => {
    const of = (text: string) => Buffer.from(text).toString('base64url');
    expect(fromCursorToken(of('null'))).toBeNull();
    expect(fromCursorToken(of('"k"'))).toBe('k');
    expect(fromCursorToken(of('[1]'))).toEqual([1]);
  });
});
