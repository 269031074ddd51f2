import { ManifestError } from './errors.ts';
import { checkAttributeName, shown } from './fieldRules.ts';
import { ATTRIBUTES_KEY, REQUIRED_FIELDS, RESERVED_FIELDS, reservedFieldFor, type ReservedField, type RowProblem } from './manifestRow.ts';

/** What each CSV column holds: a reserved field, a free attribute, or nothing (no header name). */
export type CsvColumn = { readonly field: ReservedField } | { readonly attribute: string } | { readonly unnamed: true };

/** A header can have thousands of columns; messages list this many and count the rest. */
const LISTED = 10;
const listed = (items: readonly string[], separator: string): string =>
  items.length <= LISTED ? items.join(separator) : `${items.slice(0, LISTED).join(separator)}${separator}and ${items.length - LISTED} more`;

const squash = (name: string): string => name.toLowerCase().replace(/[\s_.-]+/g, '');

/** Names people write for a reserved field; a column so named is a mistake, not an attribute. */
const LOOKALIKES = new Map<string, ReservedField>([
  ...RESERVED_FIELDS.map((f) => [squash(f), f] as const),
  ['serialnumber', 'serial'],
  ['serialno', 'serial'],
  ['thingname', 'serial'],
  ['tenantid', 'tenant'],
  ['lat', 'latitude'],
  ['lon', 'longitude'],
  ['lng', 'longitude'],
  ['long', 'longitude'],
  ['thinggroupname', 'thingGroup'],
  ['thingtype', 'deviceType'],
  ['thingtypename', 'deviceType'],
]);

/**
 * Reads the header row: names are trimmed and matched case-insensitively to reserved fields;
 * every other name is an attribute and must be a valid attribute name. Anything wrong here
 * would be wrong on every row, so it is one whole-file error listing every finding.
 */
export const readCsvHeader = (cells: readonly string[]): CsvColumn[] => {
  const findings: string[] = [];
  /** Lookalikes of required fields, reported with the missing columns instead. */
  const insteadOf = new Map<ReservedField, string[]>();
  const seen = new Map<string, number>();
  const columns = cells.map((cell, index): CsvColumn => {
    const name = cell.trim();
    const at = `column ${index + 1} ${shown(name)}`;
    if (name.length === 0) return { unnamed: true };
    const earlier = seen.get(name.toLowerCase());
    if (earlier !== undefined) findings.push(`${at} repeats column ${earlier} (names are compared ignoring case)`);
    else seen.set(name.toLowerCase(), index + 1);
    const field = reservedFieldFor(name);
    if (field) return { field };
    if (name.toLowerCase() === ATTRIBUTES_KEY) {
      findings.push(`${at} is a reserved name (JSON manifests use it for the attribute object); name the attribute something else`);
      return { unnamed: true };
    }
    const lookalike = LOOKALIKES.get(squash(name));
    const ofRequired = lookalike !== undefined && (REQUIRED_FIELDS as readonly string[]).includes(lookalike);
    if (ofRequired) insteadOf.set(lookalike, [...(insteadOf.get(lookalike) ?? []), name]);
    else if (lookalike) findings.push(`${at} looks like the reserved column ${lookalike}: rename it to ${lookalike}, or, if it is a free attribute, to a name that does not look like one`);
    const bad = checkAttributeName(name);
    if (bad && (lookalike === undefined || ofRequired)) findings.push(`${at} is not a valid attribute name (${bad.message.replace(/\.$/, '')}): ${bad.hint.replace(/\.$/, '')}`);
    return { attribute: name };
  });
  const present = new Set(columns.flatMap((c) => ('field' in c ? [c.field] : [])));
  const missing = REQUIRED_FIELDS.filter((f) => !present.has(f));
  if (missing.length > 0) {
    const renames = missing.flatMap((f) => (insteadOf.get(f) ?? []).map((n) => `${shown(n)} to ${f}`));
    throw new ManifestError(
      'missing-columns',
      `the header row lacks the required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}. The header was: ${listed(cells.map((c) => shown(c.trim())), ', ')}.`,
      `${renames.length ? `Rename ${renames.join(', ')}. ` : ''}The first row names the columns: required are ${REQUIRED_FIELDS.join(', ')} (any letter case), optional ${RESERVED_FIELDS.filter((f) => !(REQUIRED_FIELDS as readonly string[]).includes(f)).join(', ')}, and every other column is an attribute.${findings.length ? ` Also: ${listed(findings, '; ')}.` : ''}`,
      { rowNumber: 1 },
    );
  }
  if (findings.length > 0) {
    throw new ManifestError('bad-header', `the header row has ${findings.length === 1 ? 'a problem' : `${findings.length} problems`}: ${listed(findings, '; ')}.`, 'Fix the column names in row 1 and upload again.', {
      rowNumber: 1,
    });
  }
  return columns;
};

export interface CsvRowInput {
  /** The schema's input, or undefined when the cells do not line up with the header. */
  readonly input: Record<string, unknown> | undefined;
  /** Problems the schema cannot see (cells without a column). */
  readonly problems: RowProblem[];
}

/** One record's cells to the schema's input: empty cells are left out (an empty cell means "not set"). */
export const csvRowInput = (columns: readonly CsvColumn[], cells: readonly string[]): CsvRowInput => {
  if (cells.length !== columns.length) {
    const more = cells.length > columns.length;
    return {
      input: undefined,
      problems: [
        {
          field: '',
          message: `this row has ${cells.length} cells but the header has ${columns.length} columns.`,
          hint: more ? 'Quote cells that contain a comma, e.g. "Main St, 5".' : 'Add the missing cells (leave them empty if there is no value).',
        },
      ],
    };
  }
  const input: Record<string, unknown> = {};
  const attributes: Record<string, string> = {};
  const problems: RowProblem[] = [];
  columns.forEach((column, index) => {
    const value = (cells[index] ?? '').trim();
    if (value.length === 0) return;
    if ('field' in column) input[column.field] = value;
    else if ('attribute' in column) attributes[column.attribute] = value;
    else problems.push({ field: `column ${index + 1}`, message: `column ${index + 1} has a value but no name in the header.`, hint: 'Name the column in row 1, or clear the cell.' });
  });
  input[ATTRIBUTES_KEY] = attributes;
  return { input, problems };
};

/** A record whose every cell is empty: a blank line, or a row of separators a spreadsheet left. */
export const isBlankRecord = (cells: readonly string[]): boolean => cells.every((c) => c.trim().length === 0);
