import { describe, expect, it } from 'vitest';
import { batchIdSource, INVERTED_TIME_LIMIT, invertedTime } from '../../functions/provisioning/batchListOrder.ts';

describe('batch ids in newest-first key order', () => {
  it('puts a later upload before an earlier one in S3’s byte order, across digit-count changes', () => {
    const times = [0, 9, 10, 999, 1_000, Date.parse('2026-03-01T10:00:00Z'), Date.parse('2026-03-01T10:00:00.001Z'), INVERTED_TIME_LIMIT];
    const parts = times.map(invertedTime);
    for (const p of parts) expect(p).toMatch(/^\d{13}$/);
    // Oldest has the largest part; sorting the parts ascending gives the times newest first.
    expect([...parts].sort()).toEqual([...parts].reverse());
    expect(invertedTime(INVERTED_TIME_LIMIT)).toBe('0000000000000');
  });

  it('refuses a time it cannot order (before 1970, after 2286, not whole milliseconds)', () => {
    for (const ms of [-1, INVERTED_TIME_LIMIT + 1, 1.5, Number.NaN]) expect(() => invertedTime(ms), String(ms)).toThrow(/check the clock/);
  });

  it('never makes an id older than the one before it, even in one millisecond or when the clock steps back', () => {
    let now = Date.parse('2026-03-01T10:00:00Z');
    let n = 0;
    const next = batchIdSource(
      () => new Date(now),
      () => `r${n++}`,
    );
    const a = next();
    const b = next(); // same millisecond
    now -= 5_000; // the clock steps back
    const c = next();
    now += 60_000;
    const d = next();
    expect(a).toBe(`b-${invertedTime(Date.parse('2026-03-01T10:00:00Z'))}-r0`);
    expect([a, b, c, d].sort()).toEqual([d, c, b, a]);
    for (const id of [a, b, c, d]) expect(id).toMatch(/^b-\d{13}-r\d$/);
  });

  it('gives ids the upload and the workflow trigger accept: b-, then letters, digits, - and _, at most 62 characters', () => {
    const id = batchIdSource(() => new Date())();
    expect(id).toMatch(/^b-\d{13}-[0-9a-f]{16}$/);
    expect(`manifests/${id}.csv`).toMatch(/^manifests\/(b-[A-Za-z0-9_-]{1,60})\.(csv|json|ndjson)$/);
  });
});
