import { AuditExportParams } from '../../../../commands/commandApiSchemas.ts';

/**
 * The audit filters as the routes take them (GET /commands and GET /audit/commands: thingName,
 * operator, from, to) and as the console's URL carries them, so a filtered audit can be linked
 * to and reloaded. They are checked with the routes' own schema before a request is made.
 */

export const AUDIT_FILTER_NAMES = ['thingName', 'operator', 'from', 'to'] as const;
export type AuditFilterName = (typeof AUDIT_FILTER_NAMES)[number];
export type AuditFilters = Partial<Record<AuditFilterName, string>>;

/** The filters in a URL query: the known names with a value; anything else is left out. */
export const filtersFromQuery = (query: URLSearchParams): AuditFilters => {
  const filters: AuditFilters = {};
  for (const name of AUDIT_FILTER_NAMES) {
    const value = query.get(name)?.trim();
    if (value) filters[name] = value;
  }
  return filters;
};

/** A query string (with its "?", or '') of the filters and any extra parameters. */
export const searchOf = (filters: AuditFilters, extra: Readonly<Record<string, string | undefined>> = {}): string => {
  const params = new URLSearchParams();
  for (const name of AUDIT_FILTER_NAMES) if (filters[name]) params.set(name, filters[name]);
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== '') params.set(k, v);
  const text = params.toString();
  return text ? `?${text}` : '';
};

export interface FilterProblem {
  readonly field: AuditFilterName;
  readonly message: string;
}

/** What is wrong with the filters by the export route's schema (the list route shares its fields), and a range that ends before it starts. */
export const filterProblems = (filters: AuditFilters): FilterProblem[] => {
  const problems: FilterProblem[] = [];
  const parsed = AuditExportParams.safeParse(filters);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path[0];
      if (typeof field === 'string' && (AUDIT_FILTER_NAMES as readonly string[]).includes(field)) problems.push({ field: field as AuditFilterName, message: issue.message });
    }
  }
  if (filters.from && filters.to && Date.parse(filters.to) <= Date.parse(filters.from)) problems.push({ field: 'to', message: 'The end of the range is not after its start.' });
  return problems;
};

/** The file name a Content-Disposition header gives (RFC 6266: filename* first, then filename), or `fallback`. */
export const fileNameFrom = (contentDisposition: string | null, fallback: string): string => {
  if (!contentDisposition) return fallback;
  const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(contentDisposition);
  if (extended?.[2]) {
    try {
      return safeName(decodeURIComponent(extended[2].trim()), fallback);
    } catch {
      // a malformed percent-encoding: try the plain filename
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(contentDisposition);
  const name = plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2];
  return name ? safeName(name, fallback) : fallback;
};

/** No directories and no control characters in a name the browser saves under. */
const safeName = (name: string, fallback: string): string => {
  // eslint-disable-next-line no-control-regex
  const base = name.split(/[\\/]/).pop()?.replace(/[\u0000-\u001f\u007f]/g, '').trim() ?? '';
  return base === '' || base === '.' || base === '..' ? fallback : base;
};
