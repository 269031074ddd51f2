/**
 * The JSON batch report (GET /provisioning/batches/:batchId/report?format=json,
 * schemas/manifest/report.ts) as the lines of the page's table: one line per problem, one line for
 * a row without problems, as the CSV report has them. Pure.
 */

export type Outcome = 'provisioned' | 'updated' | 'unchanged' | 'failed' | 'invalid';

export interface ReportRow {
  readonly rowNumber: number;
  readonly serial?: string | undefined;
  readonly outcome: Outcome;
  readonly problems: readonly { readonly field: string; readonly message: string; readonly hint: string }[];
}

export interface BatchReport {
  readonly rows: readonly ReportRow[];
  readonly summary: { readonly rows: number; readonly outcomes: Readonly<Partial<Record<Outcome, number>>> };
}

export interface ReportLine {
  readonly key: string;
  readonly rowNumber: number;
  readonly serial: string;
  readonly outcome: Outcome;
  readonly field: string;
  readonly message: string;
  readonly hint: string;
}

export type ReportFilter = 'all' | 'problems';

/** Rows that did not become devices: refused by validation, or failed while provisioning. */
export const hasProblem = (row: ReportRow): boolean => row.outcome === 'failed' || row.outcome === 'invalid';

export const reportLines = (report: BatchReport, filter: ReportFilter): ReportLine[] =>
  report.rows
    .filter((row) => filter === 'all' || hasProblem(row))
    .flatMap((row) => {
      const base = { rowNumber: row.rowNumber, serial: row.serial ?? '', outcome: row.outcome };
      if (row.problems.length === 0) return [{ ...base, key: `${row.rowNumber}`, field: '', message: '', hint: '' }];
      return row.problems.map((p, i) => ({ ...base, key: `${row.rowNumber}.${i}`, field: p.field, message: p.message, hint: p.hint }));
    });

export const problemRowCount = (report: BatchReport): number => report.rows.filter(hasProblem).length;
