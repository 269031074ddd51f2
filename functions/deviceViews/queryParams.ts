import { IsoTime, ThingName } from '../../events/catalog/common.ts';
import type { FieldError } from '../../schemas/directory/fieldError.ts';

/**
 * Reads a URL query string against a list of known parameters. Every problem is reported at once
 * (up to MAX_ERRORS), each naming the parameter as written and the rule it broke. Unknown and
 * repeated parameters are refused: a mistyped filter that was silently ignored would widen the
 * answer, and `?limit=5&limit=500` has no single meaning.
 */

export type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: FieldError };

/** Turns one parameter's text into a value, or the rule it broke. */
export type ParamReader<T> = (text: string, name: string) => Read<T>;

export type QuerySpec = Readonly<Record<string, ParamReader<unknown>>>;

export type QueryValues<S extends QuerySpec> = { -readonly [K in keyof S]?: S[K] extends ParamReader<infer T> ? T : never };

export type QueryResult<T> = { readonly ok: true; readonly query: T } | { readonly ok: false; readonly errors: readonly FieldError[] };

const MAX_ERRORS = 20;
/** Longer parameter text is refused before any reader sees it: nothing here needs more. */
const MAX_TEXT = 1024;

export const shown = (value: string): string => JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);

export const fail = (field: string, rule: string, message: string, hint: string): { ok: false; error: FieldError } => ({ ok: false, error: { field, rule, message, hint } });

/** Levenshtein distance, capped: enough to suggest `limit` for `limt`. */
const distance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? Number.POSITIVE_INFINITY;
};

const closest = (name: string, known: readonly string[]): string | undefined => {
  const lower = name.toLowerCase();
  return known.find((k) => k.toLowerCase() === lower) ?? known.find((k) => distance(lower, k.toLowerCase()) <= 2);
};

/** The query string of a request URL, as decoded pairs in order. */
export const queryPairs = (url: string): [string, string][] => {
  const q = url.indexOf('?');
  return q === -1 ? [] : [...new URLSearchParams(url.slice(q + 1))];
};

export const readQuery = <S extends QuerySpec>(url: string, spec: S): QueryResult<QueryValues<S>> => {
  const known = Object.keys(spec);
  const errors: FieldError[] = [];
  const values: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const [name, text] of queryPairs(url)) {
    const reader = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (!reader) {
      const guess = closest(name, known);
      errors.push({
        field: name.slice(0, 64),
        rule: 'unknown-parameter',
        message: `${shown(name)} is not a parameter of this request.`,
        hint: guess ? `Did you mean ${guess}?` : known.length === 0 ? 'This request takes no query parameters: remove them.' : `Use only ${known.join(', ')}.`,
      });
    } else if (seen.has(name)) {
      errors.push({ field: name, rule: 'repeated', message: `${name} is given more than once.`, hint: `Give ${name} once.` });
    } else {
      seen.add(name);
      if (text.length > MAX_TEXT) {
        errors.push({ field: name, rule: 'max-length', message: `${name} is ${text.length} characters long; the limit is ${MAX_TEXT}.`, hint: `Shorten ${name}.` });
        continue;
      }
      const read = reader(text, name);
      if (read.ok) values[name] = read.value;
      else errors.push(read.error);
    }
    if (errors.length >= MAX_ERRORS) break;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, query: values as QueryValues<S> };
};

// ---- readers ------------------------------------------------------------------------------------

const INTEGER = /^\d+$/;

/** A whole number in [min, max]. */
export const integerIn =
  (min: number, max: number): ParamReader<number> =>
  (text, name) => {
    if (!INTEGER.test(text)) return fail(name, 'integer', `${name} ${shown(text)} is not a whole number.`, `Write ${name} as a whole number from ${min} to ${max}, e.g. ${name}=${Math.min(max, Math.max(min, 20))}.`);
    const value = Number(text);
    if (value < min || value > max) return fail(name, 'range', `${name} ${value} is outside ${min}..${max}.`, `Write ${name} as a whole number from ${min} to ${max}.`);
    return { ok: true, value };
  };

/** A point in time: its ISO text as given and its epoch milliseconds. */
export interface TimePoint {
  readonly iso: string;
  readonly ms: number;
}

/** An RFC 3339 date-time with an offset (Z or ±hh:mm): a time without one means nothing certain. */
export const isoTime: ParamReader<TimePoint> = (text, name) => {
  const ms = Date.parse(text);
  if (!IsoTime.safeParse(text).success || Number.isNaN(ms)) {
    return fail(name, 'iso-time', `${name} ${shown(text)} is not an ISO 8601 date-time with a time zone.`, `Write ${name} like 2026-03-01T12:00:00Z or 2026-03-01T13:00:00+01:00 (URL-encode "+" as %2B).`);
  }
  return { ok: true, value: { iso: new Date(ms).toISOString(), ms } };
};

/** One of a fixed set of words. */
export const oneOf =
  <T extends string>(allowed: readonly T[]): ParamReader<T> =>
  (text, name) =>
    (allowed as readonly string[]).includes(text)
      ? { ok: true, value: text as T }
      : fail(name, 'one-of', `${name} ${shown(text)} is not one of ${allowed.join(', ')}.`, `Write ${name}=${allowed[0] ?? ''}, or another of ${allowed.join(', ')}.`);

/** A comma-separated list of distinct words from a fixed set, at most `max` of them. */
export const listOf =
  <T extends string>(allowed: readonly T[], max: number): ParamReader<readonly T[]> =>
  (text, name) => {
    const items = text.split(',');
    if (items.length > max) return fail(name, 'max-items', `${name} lists ${items.length} values; at most ${max} are allowed.`, `List at most ${max} values, or leave ${name} out for all.`);
    const unknown = items.filter((i) => !(allowed as readonly string[]).includes(i));
    if (unknown.length > 0) {
      return fail(name, 'one-of', `${name} has ${unknown.map(shown).join(', ')}, which ${unknown.length === 1 ? 'is' : 'are'} not one of the allowed values.`, `Write ${name} as a comma-separated list of ${allowed.join(', ')}.`);
    }
    return { ok: true, value: [...new Set(items as T[])].sort() };
  };

/** A thing name, as AWS IoT allows them. */
export const thingNameParam: ParamReader<string> = (text, name) =>
  ThingName.safeParse(text).success
    ? { ok: true, value: text }
    : fail(name, 'thing-name', `${name} ${shown(text)} is not a thing name.`, 'A thing name is 1-128 letters, digits, ":", "_" and "-", e.g. meter-0001.');

/** Opaque text such as a cursor: only its length is checked here. */
export const opaque =
  (maxLength: number): ParamReader<string> =>
  (text, name) =>
    text.length >= 1 && text.length <= maxLength
      ? { ok: true, value: text }
      : fail(name, 'length', `${name} must be 1-${maxLength} characters long.`, `Pass the ${name} a previous page returned, unchanged, or leave it out.`);
