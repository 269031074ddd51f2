import { describe, expect, it } from 'vitest';
import { fileNameFrom, filterProblems, filtersFromQuery, searchOf } from '../../../functions/dashboard/app/pages/audit/auditQuery.ts';

describe('the audit filters in the URL and in API requests', () => {
  it('keeps the four filters the audit routes take, and nothing else', () => {
    const filters = filtersFromQuery(new URLSearchParams('thingName=lamp-1&operator=%20ada%20&from=2026-01-01T00:00:00.000Z&to=&cursor=x&format=csv'));
    expect(filters).toEqual({ thingName: 'lamp-1', operator: 'ada', from: '2026-01-01T00:00:00.000Z' });
  });

  it('writes a query string with the filters and extra parameters, leaving empty ones out', () => {
    expect(searchOf({})).toBe('');
    expect(searchOf({ thingName: 'lamp-1', operator: 'ada@example.com' }, { format: 'ndjson', cursor: undefined })).toBe('?thingName=lamp-1&operator=ada%40example.com&format=ndjson');
    expect(searchOf({ from: '2026-01-01T00:00:00.000Z' }, { limit: '25' })).toBe('?from=2026-01-01T00%3A00%3A00.000Z&limit=25');
  });

  it("checks the filters with the export route's schema and refuses a range that ends before it starts", () => {
    expect(filterProblems({ thingName: 'lamp-1', from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' })).toEqual([]);
    expect(filterProblems({ thingName: 'no spaces allowed' }).map((p) => p.field)).toEqual(['thingName']);
    expect(filterProblems({ from: 'yesterday' }).map((p) => p.field)).toEqual(['from']);
    expect(filterProblems({ from: '2026-01-02T00:00:00.000Z', to: '2026-01-01T00:00:00.000Z' })).toEqual([{ field: 'to', message: 'The end of the range is not after its start.' }]);
  });

  it('takes the download name from Content-Disposition, without directories, else the fallback', () => {
    expect(fileNameFrom('attachment; filename="command-audit.csv"', 'x.csv')).toBe('command-audit.csv');
    expect(fileNameFrom('attachment; filename=audit.ndjson', 'x')).toBe('audit.ndjson');
    expect(fileNameFrom("attachment; filename=\"a.csv\"; filename*=UTF-8''r%C3%A9sum%C3%A9.csv", 'x')).toBe('résumé.csv');
    expect(fileNameFrom('attachment; filename="../../etc/passwd"', 'x')).toBe('passwd');
    expect(fileNameFrom('attachment; filename=".."', 'fallback.csv')).toBe('fallback.csv');
    expect(fileNameFrom('attachment', 'fallback.csv')).toBe('fallback.csv');
    expect(fileNameFrom(null, 'fallback.csv')).toBe('fallback.csv');
  });
});
