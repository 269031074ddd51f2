import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseManifest, type ManifestFormat, type RowResult } from '../../schemas/manifest/index.ts';
import { HEADER } from './support.ts';

const line = (serial: string) => JSON.stringify({ serial, tenant: 'acme', latitude: 1, longitude: 2 });

/**
 * The upload's first two parts, then (only after the test lets it go) the last: as a slow network
 * delivers it. csv-parse looks one character past a line end before it closes a record, so a CSV
 * row comes out when the next bytes arrive; that is why the first row is followed by a second part.
 */
const PARTS: Record<ManifestFormat, [string, string, string]> = {
  csv: [`${HEADER}\nSN-1,acme,1,2\n`, 'SN-2,acme,1,2\n', 'SN-3,acme,1,2\n'],
  ndjson: [`${line('SN-1')}\n`, `${line('SN-2')}\n`, `${line('SN-3')}\n`],
  json: [`[${line('SN-1')},`, `${line('SN-2')},`, `${line('SN-3')}]`],
};

describe('parseManifest streams', () => {
  it.each(['csv', 'json', 'ndjson'] as const)('%s: yields the first row before the upload has ended', async (format) => {
    const [first, second, last] = PARTS[format];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let ended = false;
    async function* upload(): AsyncGenerator<Buffer> {
      yield Buffer.from(first);
      yield Buffer.from(second);
      await gate;
      yield Buffer.from(last);
      ended = true;
    }
    const rows = parseManifest(upload(), { format })[Symbol.asyncIterator]();
    const head = await rows.next();
    expect(head.value).toMatchObject({ ok: true, row: { serial: 'SN-1' } });
    expect(ended).toBe(false);
    release();
    const tail: RowResult[] = [];
    for (let next = await rows.next(); next.done !== true; next = await rows.next()) tail.push(next.value);
    expect(tail.map((r) => r.ok && r.row.serial)).toEqual(['SN-2', 'SN-3']);
    expect(ended).toBe(true);
  });

  it('closes the upload when the reader stops early', async () => {
    let closed = false;
    function* upload(): Generator<Buffer> {
      try {
        yield Buffer.from(`${HEADER}\nSN-1,acme,1,2\n`);
        yield Buffer.from('SN-2,acme,1,2\n');
        yield Buffer.from('SN-3,acme,1,2\n');
      } finally {
        closed = true;
      }
    }
    for await (const row of parseManifest(Readable.from(upload()), { format: 'csv' })) {
      expect(row.rowNumber).toBe(2);
      break;
    }
    expect(closed).toBe(true);
  });

  it('hands the summary over only after the last row, and reads once', async () => {
    const parse = parseManifest(Readable.from([`${HEADER}\nSN-1,acme,1,2\n`]), { format: 'csv' });
    expect(() => parse.summary).toThrow(/after every row/);
    const rows: RowResult[] = [];
    for await (const row of parse) rows.push(row);
    expect(parse.summary).toEqual({ format: 'csv', rows: 1, valid: 1, invalid: 0, bytes: Buffer.byteLength(`${HEADER}\nSN-1,acme,1,2\n`) });
    expect(() => parse[Symbol.asyncIterator]()).toThrow(/only once/);
  });
});

describe('parseManifest at full size: 100,000 rows, 2% bad', () => {
  const ROWS = 100_000;
  const bad = (i: number) => i % 50 === 7; // 2,000 rows
  /** Five kinds of mistake, in turn, so each rule is exercised at scale. */
  const device = (i: number): string => {
    const serial = `SN-${String(i).padStart(6, '0')}`;
    if (!bad(i)) return `${serial},tenant-${i % 7},${(i % 170) - 85}.25,${(i % 350) - 175}.5,${i % 10}`;
    switch ((i / 50) % 5 | 0) {
      case 0:
        return `${serial},tenant-1,52,52,13.4,1`; // a decimal comma splits a cell
      case 1:
        return `${serial} X,tenant-1,52.5,13.4,1`; // a space in the serial
      case 2:
        return `${serial},tenant-1,95,13.4,1`; // latitude out of range
      case 3:
        return `SN-${String(i - 1).padStart(6, '0')},tenant-1,52.5,13.4,1`; // duplicate of the row before
      default:
        return `${serial},,52.5,13.4,1`; // tenant missing
    }
  };
  /** Generated as it is read, 2,000 rows per chunk: the 100,000 rows never exist at once. */
  function* upload(): Generator<Buffer> {
    yield Buffer.from(`${HEADER},floor\n`);
    for (let start = 0; start < ROWS; start += 2_000) {
      const lines: string[] = [];
      for (let i = start; i < start + 2_000; i += 1) lines.push(device(i));
      yield Buffer.from(`${lines.join('\r\n')}\r\n`);
    }
  }

  it('yields exactly the bad rows as problems, at their row numbers', async () => {
    const parse = parseManifest(Readable.from(upload()), { format: 'csv' });
    const invalidRows: number[] = [];
    let valid = 0;
    for await (const result of parse) {
      if (result.ok) valid += 1;
      else invalidRows.push(result.rowNumber);
    }
    const expected = Array.from({ length: ROWS }, (_, i) => i).filter(bad).map((i) => i + 2);
    expect(expected).toHaveLength(2_000);
    expect(invalidRows).toEqual(expected);
    expect(valid).toBe(98_000);
    expect(parse.summary).toMatchObject({ rows: 100_000, valid: 98_000, invalid: 2_000 });
  });
});
