import { fieldErrorsFromZod, type FieldError } from './fieldError.ts';
import { FIELD_HINTS, SearchQuery, type SearchCheck } from './searchQuery.ts';

/**
 * Reads a device search from a URL query string:
 *
 *   ?tenant=city-of-lund&attr.kind=water-meter&bbox=55,12,56,14&near=55.6,13.0,2000&limit=20
 *
 * Text becomes values here (numbers, lists); the SearchQuery schema then checks the values. Errors
 * name the parameter as it was written (`attr.kind`, `bbox`), so a caller can fix the URL directly.
 * Every problem is reported at once, up to MAX_ERRORS.
 */

const SINGLE = ['tenant', 'thingGroup', 'deviceType', 'status', 'bbox', 'near', 'limit', 'cursor'] as const;
const ATTR_PREFIX = 'attr.';
const MAX_ERRORS = 20;

const BBOX_PARTS = ['minLat', 'minLon', 'maxLat', 'maxLon'] as const;
const NEAR_PARTS = ['lat', 'lon', 'radiusMeters'] as const;

/** A plain decimal number: no hex, no "Infinity", no blanks that Number() would read as 0. */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

export type SearchParamsInput = URLSearchParams | string | Readonly<Record<string, string | readonly string[] | undefined>>;

const entriesOf = (input: SearchParamsInput): [string, string][] => {
  if (typeof input === 'string') return [...new URLSearchParams(input.startsWith('?') ? input.slice(1) : input)];
  if (input instanceof URLSearchParams) return [...input];
  return Object.entries(input).flatMap(([k, v]): [string, string][] => (v === undefined ? [] : typeof v === 'string' ? [[k, v]] : v.map((x) => [k, x])));
};

const shown = (value: string): string => JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);

const closest = (name: string): string | undefined => {
  const lower = name.toLowerCase();
  return SINGLE.find((k) => k.toLowerCase() === lower) ?? (lower.startsWith('attr') && !name.startsWith(ATTR_PREFIX) ? `${ATTR_PREFIX}NAME` : undefined);
};

/** A comma-separated list of decimal numbers with named parts, or the errors that stop it. */
const numberList = <P extends string>(field: string, text: string, parts: readonly P[], errors: FieldError[]): Record<P, number> | undefined => {
  const pieces = text.split(',');
  if (pieces.length !== parts.length) {
    errors.push({
      field,
      rule: 'format',
      message: `${field} has ${pieces.length} comma-separated value${pieces.length === 1 ? '' : 's'}; it needs ${parts.length} (${parts.join(', ')}).`,
      hint: FIELD_HINTS[field] ?? '',
    });
    return undefined;
  }
  const values: Partial<Record<P, number>> = {};
  let ok = true;
  pieces.forEach((piece, i) => {
    const part = parts[i] as P;
    const trimmed = piece.trim();
    if (!DECIMAL.test(trimmed)) {
      ok = false;
      errors.push({ field, rule: 'not-a-number', message: `${field} ${part} ${shown(piece)} is not a decimal number.`, hint: FIELD_HINTS[field] ?? '' });
    } else values[part] = Number(trimmed);
  });
  return ok ? (values as Record<P, number>) : undefined;
};

/** Fields named as in the URL: `attr.kind`, and `bbox` / `near` for any of their parts. */
const urlFieldOf = (path: readonly PropertyKey[]): string => {
  const [head, next] = path;
  if (head === 'attributes') return next === undefined ? 'attr' : `${ATTR_PREFIX}${String(next)}`;
  return head === undefined ? '(query)' : String(head);
};

/** `bbox maxLat`, `near radiusMeters`: which part of a list was wrong. */
const urlLabelOf = (path: readonly PropertyKey[]): string =>
  (path[0] === 'bbox' || path[0] === 'near') && path[1] !== undefined ? `${String(path[0])} ${String(path[1])}` : urlFieldOf(path);

const urlHintOf = (field: string): string => FIELD_HINTS[field.startsWith(ATTR_PREFIX) ? 'attr' : field] ?? '';

export const parseSearchParams = (input: SearchParamsInput): SearchCheck => {
  const errors: FieldError[] = [];
  const single = new Map<string, string>();
  const attributes = new Map<string, string>();

  for (const [name, value] of entriesOf(input)) {
    if (name.startsWith(ATTR_PREFIX)) {
      const attr = name.slice(ATTR_PREFIX.length);
      if (attributes.has(attr)) {
        errors.push({ field: name, rule: 'repeated', message: `${name} is given more than once.`, hint: 'Give each attribute once; a device has one value per attribute.' });
      } else attributes.set(attr, value);
    } else if ((SINGLE as readonly string[]).includes(name)) {
      if (single.has(name)) {
        errors.push({ field: name, rule: 'repeated', message: `${name} is given more than once.`, hint: `Give ${name} once. ${FIELD_HINTS[name] ?? ''}`.trim() });
      } else single.set(name, value);
    } else {
      const guess = closest(name);
      errors.push({
        field: name,
        rule: 'unknown-parameter',
        message: `${shown(name)} is not a search parameter.`,
        hint: guess
          ? `Did you mean ${guess}?`
          : `Use ${SINGLE.join(', ')}, or attr.NAME=VALUE for attributes.`,
      });
    }
  }

  const raw: Record<string, unknown> = {};
  for (const [name, value] of single) {
    switch (name) {
      case 'bbox': {
        const box = numberList('bbox', value, BBOX_PARTS, errors);
        if (box) raw.bbox = box;
        break;
      }
      case 'near': {
        const near = numberList('near', value, NEAR_PARTS, errors);
        if (near) raw.near = near;
        break;
      }
      case 'limit':
        if (INTEGER.test(value.trim())) raw.limit = Number(value.trim());
        else errors.push({ field: 'limit', rule: 'not-an-integer', message: `limit ${shown(value)} is not a whole number.`, hint: FIELD_HINTS.limit ?? '' });
        break;
      case 'status':
        raw.status = value.trim() === 'any' ? ['provisioned', 'bootstrapped', 'deprovisioned'] : value.split(',').map((s) => s.trim());
        break;
      default:
        raw[name] = value;
    }
  }
  // Object.fromEntries defines "__proto__" as a plain key, so the schema sees (and refuses) it.
  if (attributes.size > 0) raw.attributes = Object.fromEntries(attributes);

  const parsed = SearchQuery.safeParse(raw);
  if (!parsed.success) errors.push(...fieldErrorsFromZod(parsed.error, urlFieldOf, urlHintOf, urlLabelOf));
  if (errors.length > 0 || !parsed.success) return { ok: false, errors: errors.slice(0, MAX_ERRORS) };
  return { ok: true, query: parsed.data };
};
