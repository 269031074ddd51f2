import { describe, expect, it } from 'vitest';
import { applyChanges, AttributeStore, parseAttributeQuery } from '../../functions/simulator/notificationAttributes.ts';

describe('notification attributes', () => {
  it('parses a Write-Attributes query: numbers set, a bare name removes', () => {
    const parsed = parseAttributeQuery(['pmin=10', 'pmax=60', 'gt=30.5', 'st'], true);
    expect(parsed).toEqual({ ok: true, value: new Map<string, number | undefined>([['pmin', 10], ['pmax', 60], ['gt', 30.5], ['st', undefined]]) });
  });

  it.each([
    [[], true, /at least one attribute/],
    [['foo=1'], true, /unknown attribute 'foo'/],
    [['pmin=1', 'pmin=2'], true, /given twice/],
    [['gt=5'], false, /only to a numeric resource/],
    [['pmin=-1'], true, /whole seconds/],
    [['pmax=1.5'], true, /whole seconds/],
    [['st=0'], true, /above 0/],
    [['con=2'], true, /0 \(non-confirmable\) or 1/],
    [['lt=abc'], true, /not a number/],
  ])('refuses %j (numeric resource: %s)', (query, numeric, reason) => {
    const parsed = parseAttributeQuery(query, numeric);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  it('keeps lt below gt and lt + 2*st below gt over what is already set', () => {
    expect(applyChanges({ gt: 30 }, new Map([['lt', 10]]))).toEqual({ ok: true, value: { gt: 30, lt: 10 } });
    expect(applyChanges({ gt: 30 }, new Map([['lt', 30]]))).toMatchObject({ ok: false });
    const tooWide = applyChanges({ gt: 30, lt: 10 }, new Map([['st', 10]]));
    expect(!tooWide.ok && tooWide.reason).toMatch(/lt \+ 2\*st/);
    expect(applyChanges({ gt: 30, lt: 10 }, new Map([['gt', undefined]]))).toEqual({ ok: true, value: { lt: 10 } });
  });

  it('applies object, then instance, then resource attributes over the server defaults', () => {
    const store = new AttributeStore();
    store.set([3303], { pmin: 5, pmax: 100 });
    store.set([3303, 0], { pmax: 50 });
    store.set([3303, 0, 5700], { gt: 30 });
    expect(store.effective([3303, 0, 5700], { pmin: 1, pmax: 1000 })).toEqual({ pmin: 5, pmax: 50, gt: 30 });
    expect(store.effective([3303, 0, 5601], { pmin: 1, pmax: undefined })).toEqual({ pmin: 5, pmax: 50 });
    expect(store.effective([3, 0, 13], { pmin: 1, pmax: undefined })).toEqual({ pmin: 1 });
    expect(store.linkParams([3303, 0, 5700])).toBe(';gt=30');
    store.set([3303, 0, 5700], {});
    expect(store.linkParams([3303, 0, 5700])).toBe('');
  });
});
