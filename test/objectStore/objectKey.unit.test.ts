import { describe, expect, it } from 'vitest';
import { blocksOf } from '../../functions/objectStore/objectBody.ts';
import { compareKeys, validateObjectKey, validatePutOptions } from '../../functions/objectStore/objectKey.ts';
import { InvalidObjectKeyError } from '../../functions/objectStore/objectStore.ts';

/** A deterministic generator, so a failure names a reproducible case. */
const seeded = (seed: number) => () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};

const alphabet = ['a', 'b', '/', '.', '-', 'é', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uff61', '\uffff', '\u{10000}', '\u{1f600}', '\u{10ffff}'];

describe('object keys', () => {
  it('compareKeys orders exactly as UTF-8 bytes do, across every encoding length', () => {
    const random = seeded(42);
    const keys = Array.from({ length: 400 }, () =>
      Array.from({ length: 1 + Math.floor(random() * 5) }, () => alphabet[Math.floor(random() * alphabet.length)]!).join(''),
    );
    for (let i = 0; i < keys.length; i++) {
      for (let j = 0; j < 40; j++) {
        const a = keys[i]!;
        const b = keys[(i * 7 + j) % keys.length]!;
        expect(Math.sign(compareKeys(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }
    }
    // Where UTF-16 order differs: an astral character sorts after U+FF61 in UTF-8.
    expect(compareKeys('\u{1f600}', '\uff61')).toBeGreaterThan(0);
    expect('\u{1f600}' < '\uff61').toBe(true);
  });

  it('names the offending rule, quoting the key safely', () => {
    const error = (() => {
      try {
        validateObjectKey('a\u001bb');
      } catch (e) {
        return e as InvalidObjectKeyError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidObjectKeyError);
    expect(error!.rule).toMatch(/control character U\+001B at position 1/);
    // The raw escape character never reaches a log line.
    expect(error!.message).not.toContain('\u001b');
    expect(error!.message).toContain('"a\\u001bb"');
    expect(() => validateObjectKey(42)).toThrow(/must be a string, not number/);
    expect(validateObjectKey('ok/key name (1).csv')).toBe('ok/key name (1).csv');
  });

  it('long keys are shortened in messages', () => {
    expect(() => validateObjectKey('k'.repeat(5000))).toThrow(/^Invalid object key "k{120}…": is 5000 bytes/);
  });

  it('put options default the content type and accept parameters on it', () => {
    expect(validatePutOptions('k')).toEqual({ contentType: 'application/octet-stream', metadata: {} });
    expect(validatePutOptions('k', { contentType: 'text/csv; charset=utf-8' }).contentType).toBe('text/csv; charset=utf-8');
  });
});

describe('blocksOf', () => {
  const sizes = async (chunks: number[], block: number) => {
    async function* source() {
      for (const n of chunks) yield await Promise.resolve(Buffer.alloc(n, 1));
    }
    const out: number[] = [];
    for await (const b of blocksOf(source(), block)) out.push(b.length);
    return out;
  };

  it('re-cuts any chunking into full blocks and one shorter last block', async () => {
    expect(await sizes([3, 3, 3], 4)).toEqual([4, 4, 1]);
    expect(await sizes([10], 4)).toEqual([4, 4, 2]);
    expect(await sizes([4, 4], 4)).toEqual([4, 4]);
    expect(await sizes([1, 0, 1, 0, 2], 4)).toEqual([4]);
    expect(await sizes([], 4)).toEqual([0]);
    expect(await sizes([0, 0], 4)).toEqual([0]);
  });
});
