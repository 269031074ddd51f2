import { parse as parseCsvSync } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CSV_REPORT_COLUMNS, ReportWriter, invalidEntry, parseManifest, streamReport, type ReportEntryInput } from '../../schemas/manifest/index.ts';
import { HEADER, chunks } from './support.ts';

const ENTRIES: ReportEntryInput[] = [
  { rowNumber: 2, serial: 'SN-1', outcome: 'provisioned' },
  { rowNumber: 3, serial: 'SN-2', outcome: 'updated' },
  { rowNumber: 4, serial: 'SN-3', outcome: 'unchanged' },
  { rowNumber: 5, serial: 'SN-4', outcome: 'failed', problems: [{ field: 'createCertificate', message: 'AWS IoT said: throttled, "slow down"', hint: 'Upload again; done rows stay unchanged.' }] },
  {
    rowNumber: 6,
    outcome: 'invalid',
    problems: [
      { field: 'serial', message: 'serial is missing.', hint: 'Fill it in.' },
      { field: 'latitude', message: 'latitude "52,5" uses a comma,\r\nsee row 6', hint: 'Use a dot: "52.5".' },
    ],
  },
];

const collect = async (format: 'csv' | 'json', entries: ReportEntryInput[]) => {
  let text = '';
  for await (const chunk of streamReport(entries, format)) text += chunk;
  return text;
};

describe('ReportWriter: CSV', () => {
  it('writes a header, one line per problem (one for a row without), RFC 4180 quoting, CRLF', async () => {
    const text = await collect('csv', ENTRIES);
    expect(text.startsWith(`\uFEFF${CSV_REPORT_COLUMNS.join(',')}\r\n`)).toBe(true);
    const records = parseCsvSync(text, { bom: true });
    expect(records).toEqual([
      [...CSV_REPORT_COLUMNS],
      ['2', 'SN-1', 'provisioned', '', '', ''],
      ['3', 'SN-2', 'updated', '', '', ''],
      ['4', 'SN-3', 'unchanged', '', '', ''],
      ['5', 'SN-4', 'failed', 'createCertificate', 'AWS IoT said: throttled, "slow down"', 'Upload again; done rows stay unchanged.'],
      ['6', '', 'invalid', 'serial', 'serial is missing.', 'Fill it in.'],
      ['6', '', 'invalid', 'latitude', 'latitude "52,5" uses a comma,\r\nsee row 6', 'Use a dot: "52.5".'],
    ]);
  });

  it('defuses cells a spreadsheet would run as a formula', async () => {
    const text = await collect('csv', [{ rowNumber: 2, serial: '=HYPERLINK("x")', outcome: 'invalid', problems: [{ field: '@a', message: '+1', hint: '-x' }] }]);
    const records = parseCsvSync(text, { bom: true });
    expect(records[1]).toEqual(['2', '\'=HYPERLINK("x")', 'invalid', "'@a", "'+1", "'-x"]);
  });

  it('writes just the header when there are no rows', async () => {
    expect(await collect('csv', [])).toBe(`\uFEFF${CSV_REPORT_COLUMNS.join(',')}\r\n`);
  });
});

describe('ReportWriter: JSON', () => {
  it('writes one object per row and a summary that counts rows per outcome', async () => {
    const report = JSON.parse(await collect('json', ENTRIES)) as { rows: unknown[]; summary: unknown };
    expect(report.rows).toHaveLength(5);
    expect(report.rows[4]).toEqual({ rowNumber: 6, outcome: 'invalid', problems: ENTRIES[4]!.problems });
    expect(report.rows[0]).toEqual({ rowNumber: 2, serial: 'SN-1', outcome: 'provisioned', problems: [] });
    expect(report.summary).toEqual({ rows: 5, outcomes: { provisioned: 1, updated: 1, unchanged: 1, failed: 1, invalid: 1 } });
  });

  it('is valid JSON with no rows', async () => {
    expect(JSON.parse(await collect('json', []))).toEqual({ rows: [], summary: { rows: 0, outcomes: { provisioned: 0, updated: 0, unchanged: 0, failed: 0, invalid: 0 } } });
  });
});

describe('ReportWriter: contract', () => {
  it('refuses entries that contradict their outcome, and use after finish', () => {
    const writer = new ReportWriter('csv');
    expect(() => writer.append({ rowNumber: 2, outcome: 'invalid' })).toThrow(/at least one problem/);
    expect(() => writer.append({ rowNumber: 2, outcome: 'provisioned', problems: [{ field: 'x', message: 'y', hint: '' }] })).toThrow(/has no problems/);
    expect(() => writer.append({ rowNumber: 0, outcome: 'unchanged' })).toThrow();
    writer.finish();
    expect(() => writer.append({ rowNumber: 2, outcome: 'unchanged' })).toThrow(/finished/);
    expect(() => writer.finish()).toThrow(/already finished/);
    expect(new ReportWriter('json')).toMatchObject({ contentType: 'application/json', fileExtension: 'json' });
  });

  it('builds incrementally: each append returns only its own text', () => {
    const writer = new ReportWriter('csv');
    const first = writer.append({ rowNumber: 2, outcome: 'unchanged' });
    const second = writer.append({ rowNumber: 3, outcome: 'unchanged' });
    expect(first).toContain('row,serial');
    expect(second).toBe('3,,unchanged,,,\r\n');
    expect(writer.finish()).toBe('');
    expect(writer.summary.outcomes.unchanged).toBe(2);
  });

  it('turns parse results into invalid rows, leaving valid rows to the workflow', async () => {
    const parse = parseManifest(chunks(`${HEADER}\nSN-1,acme,1,2\nSN-2,acme,x,2\n,acme,1,2\n`), { format: 'csv' });
    const writer = new ReportWriter('csv');
    let text = '';
    for await (const result of parse) {
      const entry = invalidEntry(result);
      if (entry) text += writer.append(entry);
    }
    text += writer.finish();
    const records = parseCsvSync(text, { bom: true });
    expect(records.slice(1).map((r) => r.slice(0, 4))).toEqual([
      ['3', 'SN-2', 'invalid', 'latitude'],
      ['4', '', 'invalid', 'serial'],
    ]);
  });
});
