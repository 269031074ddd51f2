import { z } from 'zod';
import type { RowResult } from './parseManifest.ts';

/**
 * The per-row report of a manifest upload, as CSV or JSON, built one row at a time so that a
 * 100,000-row report streams like the manifest did. Validation writes `invalid` rows; the
 * provisioning workflow writes the other outcomes later.
 */
export const OUTCOMES = ['provisioned', 'updated', 'unchanged', 'failed', 'invalid'] as const;
export type Outcome = (typeof OUTCOMES)[number];

const NEEDS_PROBLEMS: ReadonlySet<Outcome> = new Set(['failed', 'invalid']);

export const ReportProblem = z.object({ field: z.string(), message: z.string().min(1), hint: z.string() });

export const ReportEntry = z
  .object({
    rowNumber: z.number().int().positive(),
    serial: z.string().optional(),
    outcome: z.enum(OUTCOMES),
    problems: z.array(ReportProblem).default([]),
  })
  .superRefine((entry, ctx) => {
    const needs = NEEDS_PROBLEMS.has(entry.outcome);
    if (needs && entry.problems.length === 0) ctx.addIssue({ code: 'custom', path: ['problems'], message: `a ${entry.outcome} row says what went wrong: give at least one problem.` });
    if (!needs && entry.problems.length > 0) ctx.addIssue({ code: 'custom', path: ['problems'], message: `a ${entry.outcome} row has no problems.` });
  });
export type ReportEntryInput = z.input<typeof ReportEntry>;
export type ReportEntry = z.output<typeof ReportEntry>;

export type ReportFormat = 'csv' | 'json';

export interface ReportSummary {
  readonly rows: number;
  readonly outcomes: Readonly<Record<Outcome, number>>;
}

/** The report line for a row validation refused; valid rows get their outcome from the workflow. */
export const invalidEntry = (result: RowResult): ReportEntryInput | undefined =>
  result.ok
    ? undefined
    : { rowNumber: result.rowNumber, outcome: 'invalid', problems: [...result.problems], ...(result.serial === undefined ? {} : { serial: result.serial }) };

export const CSV_REPORT_COLUMNS = ['row', 'serial', 'outcome', 'field', 'message', 'hint'] as const;

/**
 * RFC 4180 quoting, plus a guard against spreadsheet formula injection: a cell that starts with
 * = + - @ or a control character is prefixed with "'" so Excel shows it instead of running it.
 */
export const csvCell = (value: string): string => {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
};

const csvLine = (cells: readonly string[]): string => `${cells.map(csvCell).join(',')}\r\n`;

export class ReportWriter {
  readonly contentType: string;
  readonly fileExtension: string;
  private started = false;
  private finished = false;
  private rows = 0;
  private readonly outcomes: Record<Outcome, number> = { provisioned: 0, updated: 0, unchanged: 0, failed: 0, invalid: 0 };

  constructor(readonly format: ReportFormat) {
    if (format !== 'csv' && format !== 'json') throw new Error(`report format ${JSON.stringify(format)} is not csv or json.`);
    this.contentType = format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json';
    this.fileExtension = format;
  }

  /** The text to write next for one row; the first call also returns the report's opening. */
  append(entry: ReportEntryInput): string {
    if (this.finished) throw new Error('the report is finished: append rows before finish().');
    const row = ReportEntry.parse(entry);
    const opening = this.opening();
    this.rows += 1;
    this.outcomes[row.outcome] += 1;
    if (this.format === 'json') return `${opening}${this.rows > 1 ? ',\n' : ''}${JSON.stringify(row)}`;
    const base = [String(row.rowNumber), row.serial ?? '', row.outcome];
    if (row.problems.length === 0) return opening + csvLine([...base, '', '', '']);
    return opening + row.problems.map((p) => csvLine([...base, p.field, p.message, p.hint])).join('');
  }

  /** The text that closes the report. */
  finish(): string {
    if (this.finished) throw new Error('the report is already finished.');
    this.finished = true;
    const opening = this.opening();
    if (this.format === 'csv') return opening;
    return `${opening}${this.rows > 0 ? '\n' : ''}],\n"summary":${JSON.stringify(this.summary)}}\n`;
  }

  get summary(): ReportSummary {
    return { rows: this.rows, outcomes: { ...this.outcomes } };
  }

  private opening(): string {
    if (this.started) return '';
    this.started = true;
    // The BOM makes spreadsheets read the CSV as UTF-8; our own parser drops it.
    return this.format === 'csv' ? `\uFEFF${csvLine(CSV_REPORT_COLUMNS)}` : '{"rows":[\n';
  }
}

/** A whole report as a stream of text chunks, for piping into an object store upload. */
export async function* streamReport(entries: AsyncIterable<ReportEntryInput> | Iterable<ReportEntryInput>, format: ReportFormat): AsyncGenerator<string> {
  const writer = new ReportWriter(format);
  for await (const entry of entries) yield writer.append(entry);
  yield writer.finish();
}
