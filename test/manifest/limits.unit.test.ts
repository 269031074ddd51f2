import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, ManifestError, detectFormat, parseManifest, resolveLimits } from '../../schemas/manifest/index.ts';
import { HEADER, chunks, expectManifestError, parseAll } from './support.ts';

const csvRows = (count: number) => Array.from({ length: count }, (_, i) => `SN-${i},acme,1,2\n`);

describe('manifest limits', () => {
  it('defaults to 50 MiB, 100,000 rows, 64 KiB lines and 4 KiB fields', () => {
    expect(DEFAULT_LIMITS).toEqual({ maxBytes: 52_428_800, maxRows: 100_000, maxLineLength: 65_536, maxFieldLength: 4_096 });
    expect(resolveLimits({ maxRows: 10 })).toEqual({ ...DEFAULT_LIMITS, maxRows: 10 });
  });

  it.each([{ maxRows: 0 }, { maxBytes: -1 }, { maxLineLength: 1.5 }, { maxFieldLength: Number.NaN }, { maxFieldLength: 100, maxLineLength: 50 }])(
    'refuses nonsense limits %j before reading a byte',
    (limits) => {
      expect(() => parseManifest(chunks(''), { format: 'csv', limits })).toThrow(ManifestError);
      try {
        resolveLimits(limits);
      } catch (e) {
        expect((e as ManifestError).code).toBe('bad-limits');
      }
    },
  );

  it('maxBytes: stops once the upload grows past it; rows yielded before stay; the error says to split', async () => {
    const parsed = await parseAll(chunks(`${HEADER}\n`, ...csvRows(100)), 'csv', { maxBytes: 500 });
    expect(parsed.results.length).toBeGreaterThan(10);
    expect(parsed.results.every((r) => r.ok)).toBe(true);
    const e = expectManifestError(parsed.error, 'too-large');
    expect(e.limit).toEqual({ name: 'maxBytes', value: 500 });
    expect(e.message).toContain('maxBytes = 500');
    expect(e.hint).toContain('Split the manifest');
  });

  it('maxRows: yields exactly that many rows, then names the row where it stopped', async () => {
    const parsed = await parseAll(chunks(`${HEADER}\n`, ...csvRows(7)), 'csv', { maxRows: 5 });
    expect(parsed.results.map((r) => r.rowNumber)).toEqual([2, 3, 4, 5, 6]);
    const e = expectManifestError(parsed.error, 'too-many-rows');
    expect(e).toMatchObject({ rowNumber: 7, limit: { name: 'maxRows', value: 5 } });
    expect(e.hint).toContain('at most 5 rows');
  });

  it('maxRows counts device rows only: blank lines and the header are free', async () => {
    const parsed = await parseAll(chunks(`${HEADER}\n\n\n`, ...csvRows(3), '\n\n'), 'csv', { maxRows: 3 });
    expect(parsed.error).toBeUndefined();
    expect(parsed.summary?.rows).toBe(3);
  });

  it('maxRows applies to JSON and NDJSON too', async () => {
    const row = '{"serial":"SN-1","tenant":"acme","latitude":1,"longitude":2}';
    expectManifestError((await parseAll(chunks(`[${row},${row},${row}]`), 'json', { maxRows: 2 })).error, 'too-many-rows');
    expectManifestError((await parseAll(chunks(`${row}\n${row}\n${row}\n`), 'ndjson', { maxRows: 2 })).error, 'too-many-rows');
  });

  it('maxLineLength and maxFieldLength stop parsing with the limit named, in every format', async () => {
    const limits = { maxLineLength: 120, maxFieldLength: 20 };
    const long = 'x'.repeat(30);
    const cases = [
      [`${HEADER}\nSN-1,acme,1,2,${'yyyyy,'.repeat(30)}\n`, 'csv', 'line-too-long'],
      [`${HEADER}\n${long},acme,1,2\n`, 'csv', 'field-too-long'],
      [`{"serial":"SN-1","tenant":"acme","latitude":1,"longitude":2,"attributes":{${'"a":1,'.repeat(20)}"b":2}}\n`, 'ndjson', 'line-too-long'],
      [`{"serial":"${long}"}\n`, 'ndjson', 'field-too-long'],
      [`[{"serial":"SN-1","tenant":"acme","latitude":1,"longitude":2,"attributes":{${'"a":1,'.repeat(20)}"b":2}}]`, 'json', 'line-too-long'],
      [`[{"serial":"${long}"}]`, 'json', 'field-too-long'],
    ] as const;
    for (const [text, format, code] of cases) {
      const e = expectManifestError((await parseAll(chunks(text), format, limits)).error, code);
      expect(e.limit?.name).toBe(code === 'line-too-long' ? 'maxLineLength' : 'maxFieldLength');
      expect(e.rowNumber).toBeGreaterThan(0);
    }
  });
});

describe('detectFormat', () => {
  it.each([
    ['devices.csv', undefined, 'csv'],
    ['DEVICES.CSV', 'application/vnd.ms-excel', 'csv'],
    ['devices.json', 'text/plain', 'json'],
    ['devices.ndjson', undefined, 'ndjson'],
    ['devices.jsonl', undefined, 'ndjson'],
    ['upload', 'text/csv; charset=utf-8', 'csv'],
    [undefined, 'application/json', 'json'],
    [undefined, 'application/x-ndjson', 'ndjson'],
    ['devices.csv', 'application/json', 'csv'],
  ] as const)('%s with %s is %s', (name, type, format) => {
    expect(detectFormat(name, type)).toBe(format);
  });

  it('sends spreadsheet workbooks back to be exported as CSV', () => {
    for (const [name, type] of [
      ['devices.xlsx', undefined],
      ['upload', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
    ] as const) {
      try {
        detectFormat(name, type);
        expect.unreachable();
      } catch (e) {
        expect((e as ManifestError).code).toBe('unknown-format');
        expect((e as ManifestError).hint).toContain('CSV UTF-8');
      }
    }
  });

  it('refuses what it cannot tell, naming the accepted extensions', () => {
    expect(() => detectFormat('devices.txt', 'text/plain')).toThrow(/\.csv, \.json or \.ndjson/);
    expect(() => detectFormat()).toThrow(ManifestError);
  });
});
