import { z } from 'zod';
import {
  ATTRIBUTE_VALUE_MAX,
  checkAttributeName,
  checkAwsName,
  checkTenant,
  type Finding,
} from '../manifest/fieldRules.ts';
import { fieldErrorsFromZod, type FieldError, type RuleParams } from './fieldError.ts';

/**
 * A device directory search (functions/directory/README.md describes the language). Every filter
 * narrows: a device matches when it meets all of them. The same schema checks URL searches (after
 * parseSearchParams has turned text into values) and any JSON body a later API may accept.
 */

export const DEVICE_STATUSES = ['provisioned', 'bootstrapped', 'deprovisioned'] as const;
export type DeviceStatusName = (typeof DEVICE_STATUSES)[number];

/**
 * Without a status filter a search returns live devices only: a deprovisioned device has no
 * certificate and cannot connect, and an operator looking for "the meters in this street" does not
 * mean the ones that were taken away. `status=deprovisioned` (or `any`) finds those.
 */
export const DEFAULT_STATUSES: readonly DeviceStatusName[] = Object.freeze(['provisioned', 'bootstrapped']);

export const SEARCH_LIMITS = Object.freeze({
  defaultLimit: 50,
  maxLimit: 500,
  /** A radius search is for "near here"; wider areas are boxes. 1000 km covers a country. */
  maxRadiusMeters: 1_000_000,
  /** Attribute filters in one search; AWS IoT things hold at most 50 attributes. */
  maxAttributes: 10,
  maxCursorLength: 512,
});

const issue = (ctx: z.RefinementCtx, message: string, params: RuleParams, path: PropertyKey[] = []) =>
  ctx.addIssue({ code: 'custom', message, params, path });

const fromFinding = (ctx: z.RefinementCtx, rule: string, finding: Finding | undefined, path: PropertyKey[] = []) => {
  if (finding) issue(ctx, finding.message, { rule, hint: finding.hint }, path);
};

const awsName = (label: string, purpose: string) =>
  z.string().superRefine((value, ctx) => fromFinding(ctx, 'aws-name', checkAwsName(label, value, purpose)));

const latitude = z.number().min(-90).max(90);
const longitude = z.number().min(-180).max(180);

export const BoundingBoxQuery = z
  .strictObject({ minLat: latitude, minLon: longitude, maxLat: latitude, maxLon: longitude })
  .superRefine((box, ctx) => {
    if (box.minLat > box.maxLat) {
      issue(ctx, `bbox has minLat ${box.minLat} above maxLat ${box.maxLat}.`, {
        rule: 'min-above-max',
        hint: 'Write the box as minLat,minLon,maxLat,maxLon (south, west, north, east). Only longitudes may wrap: minLon > maxLon means the box crosses the antimeridian.',
      });
    }
  });
export type BoundingBoxQuery = z.infer<typeof BoundingBoxQuery>;

export const NearQuery = z.strictObject({
  lat: latitude,
  lon: longitude,
  radiusMeters: z
    .number()
    .positive()
    .max(SEARCH_LIMITS.maxRadiusMeters, { error: `the radius may be at most ${SEARCH_LIMITS.maxRadiusMeters} metres (1000 km).` }),
});
export type NearQuery = z.infer<typeof NearQuery>;

/**
 * Names are checked on the raw input, before zod builds the record: zod drops a "__proto__" key
 * without a word, and a filter that silently vanished would widen the search.
 */
const Attributes = z.preprocess(
  (value, ctx) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const names = Object.keys(value);
    if (names.length > SEARCH_LIMITS.maxAttributes) {
      issue(ctx, `the search filters on ${names.length} attributes; at most ${SEARCH_LIMITS.maxAttributes} are allowed.`, {
        rule: 'too-many',
        hint: 'Filter on the few attributes that narrow the search most, then refine the results.',
      });
    }
    for (const name of names) fromFinding(ctx, 'attribute-name', checkAttributeName(name), [name]);
    return value;
  },
  z.record(
    z.string(),
    z.string().max(ATTRIBUTE_VALUE_MAX, { error: `an attribute value holds at most ${ATTRIBUTE_VALUE_MAX} characters; no device can match a longer one.` }),
  ),
);

/** Statuses in their canonical order, each once, so equal searches compare (and fingerprint) equal. */
const Statuses = z
  .array(z.enum(DEVICE_STATUSES))
  .min(1)
  .transform((given) => DEVICE_STATUSES.filter((s) => given.includes(s)))
  .default(() => [...DEFAULT_STATUSES]);

export const SearchQuery = z.strictObject({
  tenant: z.string().superRefine((value, ctx) => fromFinding(ctx, 'tenant-id', checkTenant(value))).optional(),
  /** Every named attribute must equal its value exactly (case-sensitive). */
  attributes: Attributes.optional(),
  thingGroup: awsName('thingGroup', 'a thing group name').optional(),
  deviceType: awsName('deviceType', 'a thing type name').optional(),
  status: Statuses,
  bbox: BoundingBoxQuery.optional(),
  near: NearQuery.optional(),
  limit: z.number().int().min(1).max(SEARCH_LIMITS.maxLimit).default(SEARCH_LIMITS.defaultLimit),
  /** Opaque: the `nextCursor` of the previous page of the same search. */
  cursor: z
    .string()
    .min(1)
    .max(SEARCH_LIMITS.maxCursorLength)
    .regex(/^[A-Za-z0-9_-]+$/, { error: 'has characters that no cursor of this service contains.' })
    .optional(),
});

/** A checked search with defaults filled in: what a DeviceDirectory adapter receives. */
export type SearchQuery = z.output<typeof SearchQuery>;
/** A search as a caller may write it (defaults optional). */
export type SearchQueryInput = z.input<typeof SearchQuery>;

/** How to write each field, for checks that carry no hint of their own. */
export const FIELD_HINTS: Readonly<Record<string, string>> = {
  tenant: 'Give the tenant id, e.g. tenant=city-of-lund.',
  attr: 'Filter on an attribute with attr.NAME=VALUE, e.g. attr.kind=water-meter.',
  attributes: 'Give attributes as an object of name to value, e.g. {"kind": "water-meter"}.',
  thingGroup: 'Give the thing group name: letters, digits, ":", "_" and "-".',
  deviceType: 'Give the thing type name: letters, digits, ":", "_" and "-".',
  status: 'Use provisioned, bootstrapped or deprovisioned (comma-separated for several), or any.',
  bbox: 'Write bbox=minLat,minLon,maxLat,maxLon in degrees, e.g. bbox=55,12,56,14; latitudes -90..90, longitudes -180..180.',
  near: `Write near=lat,lon,radiusMeters, e.g. near=55.6,13.0,2000; the radius is 1..${SEARCH_LIMITS.maxRadiusMeters} metres.`,
  limit: `Use a whole number from 1 to ${SEARCH_LIMITS.maxLimit}; without it a page holds ${SEARCH_LIMITS.defaultLimit}.`,
  cursor: 'Pass the nextCursor of the previous page unchanged, or leave cursor out to start from the first page.',
};

const KNOWN_FIELDS = Object.keys(SearchQuery.shape).join(', ');

export type SearchCheck = { readonly ok: true; readonly query: SearchQuery } | { readonly ok: false; readonly errors: FieldError[] };

/** Checks a search given as a value (e.g. a JSON body); fields are named by their path (`bbox.minLat`). */
export const checkSearchQuery = (input: unknown): SearchCheck => {
  const parsed = SearchQuery.safeParse(input);
  if (parsed.success) return { ok: true, query: parsed.data };
  return {
    ok: false,
    errors: fieldErrorsFromZod(
      parsed.error,
      (path) => path.map(String).join('.') || '(search)',
      (_field, path) => (path.length === 0 ? `Send an object with some of: ${KNOWN_FIELDS}.` : (FIELD_HINTS[String(path[0])] ?? `Known fields: ${KNOWN_FIELDS}.`)),
    ),
  };
};
