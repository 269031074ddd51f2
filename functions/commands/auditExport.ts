import type { CommandAuditRow } from '../../events/projections/commandAudit.ts';

/** The export's columns, in order: the CSV header and the NDJSON fields. */
export const AUDIT_COLUMNS = [
  'commandId',
  'requestedAt',
  'operator',
  'role',
  'thingName',
  'operation',
  'path',
  'alarmId',
  'status',
  'lwm2mCode',
  'latencyMs',
  'endedAt',
  'bridgeId',
  'detail',
] as const satisfies readonly (keyof CommandAuditRow)[];

export type AuditFormat = 'csv' | 'ndjson';

export const AUDIT_CONTENT_TYPE: Readonly<Record<AuditFormat, string>> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

/**
 * RFC 4180 quoting, and a leading apostrophe on text a spreadsheet would run as a formula
 * (=, +, -, @, tab, CR: OWASP's CSV injection advice). Operator names and device error messages
 * come from outside, and audit exports are opened in spreadsheets.
 */
const csvCell = (value: string | number | boolean | undefined): string => {
  if (value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
};

const picked = (row: CommandAuditRow): Record<string, string | number> => {
  const out: Record<string, string | number> = {};
  for (const c of AUDIT_COLUMNS) {
    const v = row[c];
    if (v !== undefined) out[c] = v;
  }
  return out;
};

/** The export as lines, written as they are read: the whole audit is never held in memory. */
export function* auditLines(rows: Iterable<CommandAuditRow>, format: AuditFormat): Generator<string> {
  if (format === 'csv') {
    yield `${AUDIT_COLUMNS.join(',')}\r\n`;
    for (const row of rows) yield `${AUDIT_COLUMNS.map((c) => csvCell(row[c])).join(',')}\r\n`;
    return;
  }
  for (const row of rows) yield `${JSON.stringify(picked(row))}\n`;
}

/** The same lines from rows read over the network (the DynamoDB audit): each page is written as it arrives. */
export async function* auditLinesFrom(rows: Iterable<CommandAuditRow> | AsyncIterable<CommandAuditRow>, format: AuditFormat): AsyncGenerator<string> {
  let first = true;
  for await (const row of rows) {
    // auditLines writes the header before the first row; later rows skip it.
    const lines = [...auditLines([row], format)];
    yield* first ? lines : lines.slice(format === 'csv' ? 1 : 0);
    first = false;
  }
  if (first) yield* auditLines([], format);
}

