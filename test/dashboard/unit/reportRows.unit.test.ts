import { describe, expect, it } from 'vitest';
import { BatchReportSchema } from '../../../functions/api/openapi/apiSchemas.ts';
import { problemRowCount, reportLines, type BatchReport } from '../../../functions/dashboard/app/pages/provisioning/reportRows.ts';

const report: BatchReport = BatchReportSchema.parse({
  rows: [
    { rowNumber: 2, serial: 'SN-1', outcome: 'provisioned', problems: [] },
    {
      rowNumber: 3,
      serial: 'SN-2',
      outcome: 'invalid',
      problems: [
        { field: 'latitude', message: 'latitude 91 is out of range', hint: 'Use -90 to 90.' },
        { field: 'tenant', message: 'tenant "Acme" has capitals', hint: 'Write acme.' },
      ],
    },
    { rowNumber: 4, outcome: 'failed', problems: [{ field: '', message: 'the registry refused', hint: 'Upload again.' }] },
    { rowNumber: 5, serial: 'SN-4', outcome: 'unchanged', problems: [] },
  ],
  summary: { rows: 4, outcomes: { provisioned: 1, updated: 0, unchanged: 1, failed: 1, invalid: 1 } },
});

describe('the report table', () => {
  it('has one line per problem and one for a row without problems, in row order', () => {
    const lines = reportLines(report, 'all');
    expect(lines.map((l) => [l.rowNumber, l.outcome, l.field])).toEqual([
      [2, 'provisioned', ''],
      [3, 'invalid', 'latitude'],
      [3, 'invalid', 'tenant'],
      [4, 'failed', ''],
      [5, 'unchanged', ''],
    ]);
    expect(new Set(lines.map((l) => l.key)).size).toBe(lines.length);
    expect(lines[1]).toMatchObject({ serial: 'SN-2', message: 'latitude 91 is out of range', hint: 'Use -90 to 90.' });
    expect(lines[3]?.serial).toBe('');
  });

  it('filters to the rows that did not become devices', () => {
    expect(reportLines(report, 'problems').map((l) => l.rowNumber)).toEqual([3, 3, 4]);
    expect(problemRowCount(report)).toBe(2);
  });
});
