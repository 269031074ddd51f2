/**
 * Columns aligned with spaces, for people reading a terminal; `--json` is the form for programs.
 * Cells are single lines: newlines and tabs in values (a device's attribute, an error message)
 * would break the columns, so they are shown escaped.
 */
export const formatTable = (headers: readonly string[], rows: readonly (readonly string[])[]): string => {
  const clean = (cell: string) => cell.replace(/\r?\n/g, '\\n').replace(/\t/g, '\\t');
  const all = [headers.map(clean), ...rows.map((r) => r.map(clean))];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n');
};

/** Text cut to `max` characters, with an ellipsis when cut. */
export const truncate = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`);

/** A value as compact JSON for a one-line summary. */
export const compact = (value: unknown, max = 120): string => truncate(JSON.stringify(value) ?? 'undefined', max);
