import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ManifestError, parseManifest, type ManifestFormat } from '../../schemas/manifest/index.ts';
import { HEADER, chunks, expectManifestError, parseAll, parseText, problemsOf } from './support.ts';

const FORMATS: ManifestFormat[] = ['csv', 'json', 'ndjson'];

/** Deterministic noise (xorshift32), so a failure can be replayed. */
const garbage = (length: number, seed: number): Buffer => {
  const out = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
};

describe('parseManifest refuses what is not a text manifest', () => {
  it.each(FORMATS)('%s: binary garbage is a ManifestError, not a crash', async (format) => {
    for (const seed of [1, 7, 42, 1234, 99_999]) {
      const parsed = await parseAll(chunks(garbage(4096, seed), garbage(4096, seed + 1)), format);
      expect(parsed.results).toEqual([]);
      expectManifestError(parsed.error, 'not-text');
    }
  });

  it.each([
    [Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]), 'ZIP archive'],
    [Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(HEADER, 'utf16le')]), 'UTF-16'],
    [Buffer.from('%PDF-1.7\n'), 'PDF'],
  ])('names a known non-text upload (%#: %s) and says to save as CSV UTF-8', async (bytes, what) => {
    const e = expectManifestError((await parseAll(chunks(bytes), 'csv')).error, 'not-text');
    expect(e.message).toContain(what);
    expect(e.hint).toContain('CSV UTF-8');
  });

  it('refuses valid UTF-8 that carries a NUL character', async () => {
    expectManifestError((await parseText(`${HEADER}\nSN-1\u0000,acme,1,2\n`, 'csv')).error, 'not-text');
  });

  it('refuses an upload that ends in the middle of a UTF-8 character', async () => {
    const bytes = Buffer.from(`${HEADER}\nSN-1,acme,1,2,é`, 'utf8');
    expectManifestError((await parseAll(chunks(bytes.subarray(0, bytes.length - 1)), 'csv')).error, 'not-text');
  });

  it('decodes a UTF-8 character split between chunks', async () => {
    const bytes = Buffer.from(`${HEADER},deviceType,note\nSN-1,acme,1,2,t,é\n`, 'utf8');
    const split = bytes.indexOf(0xc3) + 1;
    const parsed = await parseAll(chunks(bytes.subarray(0, split), bytes.subarray(split)), 'csv');
    expect(problemsOf(parsed, 2)[0]?.message).toContain('"é"');
  });

  it('refuses chunks that are neither bytes nor text', async () => {
    const parsed = await parseAll(Readable.from([{ not: 'bytes' }]), 'csv');
    expectManifestError(parsed.error, 'bad-input');
  });

  it('refuses an input that is not a stream, before reading', () => {
    expect(() => parseManifest({} as AsyncIterable<Buffer>, { format: 'csv' })).toThrow(ManifestError);
    expect(() => parseManifest(chunks(''), { format: 'xml' as ManifestFormat })).toThrow(/not a manifest format/);
  });

  it('passes on an error of the upload stream itself', async () => {
    const failing = new Readable({ read() {} });
    failing.push(Buffer.from(`${HEADER}\nSN-1,acme,1,2\nSN-2,acme,1,2\n`));
    const parse = parseManifest(failing, { format: 'csv' });
    const seen: number[] = [];
    const reading = (async () => {
      for await (const row of parse) {
        seen.push(row.rowNumber);
        failing.destroy(new Error('connection reset'));
      }
    })();
    await expect(reading).rejects.toThrow('connection reset');
    expect(seen[0]).toBe(2);
  });
});

describe('parseManifest survives hostile sizes and shapes', () => {
  const TEN_MB = 10 * 1024 * 1024;

  it('csv: a 10 MB single line stops at maxLineLength', async () => {
    const parsed = await parseAll(chunks(`${HEADER}\nSN-1,acme,1,2\n`, 'x'.repeat(TEN_MB)), 'csv');
    expect(parsed.results.map((r) => r.rowNumber)).toEqual([2]);
    const e = expectManifestError(parsed.error, 'line-too-long');
    expect(e).toMatchObject({ rowNumber: 3, limit: { name: 'maxLineLength', value: 65_536 } });
  });

  it('ndjson: a 10 MB single line stops at maxLineLength', async () => {
    const parsed = await parseAll(chunks(`{"serial":"${'x'.repeat(TEN_MB)}"}\n`), 'ndjson');
    expect(expectManifestError(parsed.error, 'line-too-long').rowNumber).toBe(1);
  });

  it('json: a 10 MB string stops at maxFieldLength, a 10 MB number at maxLineLength', async () => {
    expectManifestError((await parseAll(chunks(`[{"serial":"${'x'.repeat(TEN_MB)}"}]`), 'json')).error, 'field-too-long');
    expectManifestError((await parseAll(chunks(`[${'1'.repeat(TEN_MB)}]`), 'json')).error, 'line-too-long');
  });

  it('json: a million nested brackets stop at maxLineLength without recursion', async () => {
    const deep = '['.repeat(1_000_000);
    expectManifestError((await parseAll(chunks(`[${deep}`), 'json')).error, 'line-too-long');
    expectManifestError((await parseAll(chunks(`${deep}\n`), 'ndjson')).error, 'line-too-long');
  });

  it('json: nesting deeper than 16 levels within the size limit is a row problem, and parsing goes on', async () => {
    const nested = `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`;
    const ok = '{"serial":"SN-1","tenant":"acme","latitude":1,"longitude":2}';
    const parsed = await parseText(`[${nested},${ok}]`, 'json');
    expect(problemsOf(parsed, 1)[0]?.message).toBe('this row nests deeper than 16 levels.');
    expect(parsed.results[1]).toMatchObject({ rowNumber: 2, ok: true });
    const lines = await parseText(`${nested}\n${ok}\n`, 'ndjson');
    expect(problemsOf(lines, 1)[0]?.message).toBe('this row nests deeper than 16 levels.');
    expect(lines.results[1]).toMatchObject({ rowNumber: 2, ok: true });
  });

  it('a JSON object instead of an array is refused, in any chunking', async () => {
    const text = '{"serial":"SN-1","tenant":"acme","latitude":1,"longitude":2}';
    expectManifestError((await parseAll(chunks(...[...text]), 'json')).error, 'not-an-array');
  });

  it('csv: a header of 10,000 bad column names gives one short error that counts the rest', async () => {
    const names = Array.from({ length: 10_000 }, (_, i) => `c ${i}`);
    const e = expectManifestError((await parseText(`${HEADER},${names.join(',')}\n`, 'csv')).error, 'bad-header');
    expect(e.message).toContain('10000 problems');
    expect(e.message).toContain('and 9990 more');
    expect(e.message.length).toBeLessThan(3_000);
  });

  it.each(FORMATS)('%s: a row of 5,000 columns or attributes is judged, not choked on', async (format) => {
    const names = Array.from({ length: 5_000 }, (_, i) => `a${i}`);
    const text =
      format === 'csv'
        ? `${HEADER},deviceType,${names.join(',')}\nSN-1,acme,1,2,t,${names.map(() => '1').join(',')}\n`
        : (() => {
            const row = JSON.stringify({ serial: 'SN-1', tenant: 'acme', latitude: 1, longitude: 2, deviceType: 't', attributes: Object.fromEntries(names.map((n) => [n, '1'])) });
            return format === 'json' ? `[${row}]` : `${row}\n`;
          })();
    const parsed = await parseText(text, format);
    const rowNumber = format === 'csv' ? 2 : 1;
    expect(problemsOf(parsed, rowNumber).map((p) => p.message)).toEqual(['this row has 5000 attributes; AWS IoT holds at most 50 on a thing.']);
  });
});
