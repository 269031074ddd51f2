import { describe, expect, it } from 'vitest';
import { isTerminal, outcomeSummary, rowProgress, statusSentence, type BatchProgress } from '../../../functions/dashboard/app/pages/provisioning/batchStatus.ts';

const base: BatchProgress = { batchId: 'b-1', status: 'RUNNING', startedAt: '2025-01-01T00:00:00.000Z', rowsDone: 0, provisioned: 0, updated: 0, unchanged: 0, failed: 0 };

describe('a batch as the page shows it', () => {
  it('polls only while running', () => {
    expect(isTerminal('RUNNING')).toBe(false);
    for (const s of ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const) expect(isTerminal(s)).toBe(true);
  });

  it('has no total (an indeterminate bar) until validation has counted the rows', () => {
    expect(rowProgress(base)).toEqual({ done: 0, total: undefined });
    expect(statusSentence(base)).toBe('Running: checking the manifest’s rows.');
  });

  it('counts refused rows as done, since they get no other outcome', () => {
    const running = { ...base, totalRows: 20, invalidRows: 2, rowsDone: 8, provisioned: 7, failed: 1 };
    expect(rowProgress(running)).toEqual({ done: 10, total: 20 });
    expect(statusSentence(running)).toBe('Running: 10 of 20 rows done (7 provisioned, 1 failed, 2 invalid).');
  });

  it('sums up a completed batch', () => {
    const done = { ...base, status: 'SUCCEEDED' as const, totalRows: 20, invalidRows: 2, rowsDone: 18, provisioned: 16, unchanged: 2, reportKey: 'reports/b-1.csv' };
    expect(rowProgress(done)).toEqual({ done: 20, total: 20 });
    expect(statusSentence(done)).toBe('Completed: 20 rows, 16 provisioned, 2 unchanged, 2 invalid.');
    expect(outcomeSummary({ ...base, status: 'SUCCEEDED' })).toBe('no rows');
  });

  it('says why a batch stopped and what to do', () => {
    const failed = { ...base, status: 'FAILED' as const, totalRows: 10, rowsDone: 4, provisioned: 4, error: { name: 'BatchIncomplete', cause: 'outcomes missing' } };
    expect(statusSentence(failed)).toBe(
      'Failed after 4 of 10 rows. BatchIncomplete: outcomes missing. Upload the manifest again: rows already provisioned come out unchanged.',
    );
    expect(statusSentence({ ...base, status: 'TIMED_OUT' })).toMatch(/^Timed out after 0 of an unknown number of rows\. Upload/);
  });
});
