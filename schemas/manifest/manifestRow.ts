import { z } from 'zod';
import { ThingName } from '../../events/catalog/common.ts';
import {
  MAX_ATTRIBUTES,
  MAX_ATTRIBUTES_WITHOUT_TYPE,
  checkAttributeName,
  checkAttributeValue,
  checkAwsName,
  checkPskIdentity,
  checkPskKey,
  checkTenant,
  readCoordinate,
  shown,
  type Finding,
} from './fieldRules.ts';

/**
 * One manifest row after normalisation: what a device becomes (DeviceProvisioned). The schema
 * takes what CSV cells and JSON values carry (coordinates as decimal text or numbers, attribute
 * values as text, numbers or booleans) and outputs typed values; every issue carries a hint.
 */

/** Reserved names, compared case-insensitively. Every other CSV column is an attribute. */
export const RESERVED_FIELDS = ['serial', 'tenant', 'latitude', 'longitude', 'thingGroup', 'deviceType', 'pskIdentity', 'pskKey'] as const;
export type ReservedField = (typeof RESERVED_FIELDS)[number];
export const REQUIRED_FIELDS = ['serial', 'tenant', 'latitude', 'longitude'] as const satisfies readonly ReservedField[];
/** JSON rows carry free attributes under this key; in CSV the name is refused as a column. */
export const ATTRIBUTES_KEY = 'attributes';

const byLowerName = new Map<string, ReservedField>(RESERVED_FIELDS.map((f) => [f.toLowerCase(), f]));
export const reservedFieldFor = (name: string): ReservedField | undefined => byLowerName.get(name.trim().toLowerCase());

const withHint = (ctx: z.RefinementCtx, finding: Finding | undefined, path?: (string | number)[]): void => {
  if (finding) ctx.addIssue({ code: 'custom', message: finding.message, params: { hint: finding.hint }, ...(path ? { path } : {}) });
};

const kindOf = (input: unknown): string =>
  input === null ? 'null' : Array.isArray(input) ? 'a list' : typeof input === 'object' ? 'an object' : `a ${typeof input}`;

const text = (label: string) =>
  z.string({ error: (iss) => (iss.input === undefined ? `${label} is missing.` : `${label} must be text, not ${kindOf(iss.input)}.`) }).trim();

const awsName = (label: string, purpose: string) =>
  text(label).superRefine((v, ctx) => withHint(ctx, checkAwsName(label, v, purpose)));

/** The serial becomes the thing name, so the domain's ThingName has the last word. */
export const Serial = awsName('serial', 'an AWS IoT thing name').pipe(ThingName);
export const Tenant = text('tenant').superRefine((v, ctx) => withHint(ctx, checkTenant(v)));
export const ThingGroupName = awsName('thingGroup', 'an AWS IoT thing group name');
export const DeviceTypeName = awsName('deviceType', 'an AWS IoT thing type name');
export const PskIdentity = text('pskIdentity').superRefine((v, ctx) => withHint(ctx, checkPskIdentity(v)));
export const PskKey = text('pskKey').superRefine((v, ctx) => withHint(ctx, checkPskKey(v)));

const coordinate = (label: 'latitude' | 'longitude', bound: number) =>
  z
    .union([z.number(), z.string()], {
      error: (iss) =>
        iss.input === undefined
          ? `${label} is missing.`
          : typeof iss.input === 'number'
            ? `${label} is not a finite number.`
            : `${label} must be a number, not ${kindOf(iss.input)}.`,
    })
    .transform((input, ctx) => {
      const read = readCoordinate(label, input, bound);
      if ('value' in read) return read.value;
      ctx.issues.push({ code: 'custom', message: read.message, input, params: { hint: read.hint } });
      return z.NEVER;
    });
export const Latitude = coordinate('latitude', 90);
export const Longitude = coordinate('longitude', 180);

/** Numbers and booleans are accepted from JSON and stored as AWS stores attributes: as text. */
const AttributeValue = z.union([z.string(), z.number(), z.boolean()], {
  error: (iss) =>
    typeof iss.input === 'number' ? 'the attribute value is not a finite number.' : `an attribute value must be text, a number or true/false, not ${kindOf(iss.input)}.`,
});

/**
 * An own "__proto__" key (JSON.parse makes one) would vanish when zod copies the record into a
 * plain object; it is named here, before that copy.
 */
const noProtoKey = (input: unknown, ctx: z.RefinementCtx): unknown => {
  if (input !== null && typeof input === 'object' && Object.hasOwn(input, '__proto__')) {
    withHint(ctx, { message: 'attribute name "__proto__" is not allowed.', hint: 'Name the attribute something else.' }, ['__proto__']);
  }
  return input;
};

export const Attributes = z.preprocess(
  noProtoKey,
  z
    .record(z.string(), AttributeValue, { error: (iss) => `attributes must be an object of name-value pairs, not ${kindOf(iss.input)}.` })
    .transform((given, ctx) => {
      const out: Record<string, string> = {};
      let failed = false;
      const seen = new Map<string, string>();
      for (const [name, raw] of Object.entries(given)) {
        const value = String(raw).trim();
        const problem = checkAttributeName(name) ?? checkAttributeValue(name, value);
        if (problem) {
          withHint(ctx, problem, [name]);
          failed = true;
          continue;
        }
        const clash = seen.get(name.toLowerCase());
        if (clash !== undefined) {
          withHint(ctx, { message: `attributes ${clash} and ${name} differ only in letter case.`, hint: 'Merge them into one attribute.' }, [name]);
          failed = true;
          continue;
        }
        seen.set(name.toLowerCase(), name);
        out[name] = value;
      }
      const count = Object.keys(given).length;
      if (count > MAX_ATTRIBUTES) {
        withHint(ctx, {
          message: `this row has ${count} attributes; AWS IoT holds at most ${MAX_ATTRIBUTES} on a thing.`,
          hint: `Keep at most ${MAX_ATTRIBUTES} attributes per device.`,
        });
      }
      // On failure the parse fails anyway; hand every given name on so the row-level count rule
      // (no deviceType, more than 3 attributes) is reported in the same pass.
      return failed ? (given as Record<string, string>) : out;
    }),
);

const RowShape = z.strictObject({
  serial: Serial,
  tenant: Tenant,
  latitude: Latitude,
  longitude: Longitude,
  attributes: Attributes.default({}),
  thingGroup: ThingGroupName.optional(),
  deviceType: DeviceTypeName.optional(),
  pskIdentity: PskIdentity.optional(),
  pskKey: PskKey.optional(),
});

/**
 * Rules across fields. They run even when a field failed (`when`), so a row lists all its
 * problems at once; they read the input defensively for that reason.
 */
export const ManifestRow = RowShape.check(
  z.superRefine(
    (row, ctx) => {
      const r = row as Partial<Record<string, unknown>>;
      const attributes = r.attributes !== null && typeof r.attributes === 'object' ? Object.keys(r.attributes) : [];
      if (r.deviceType === undefined && attributes.length > MAX_ATTRIBUTES_WITHOUT_TYPE) {
        withHint(
          ctx,
          {
            message: `this row has ${attributes.length} attributes (${attributes.slice(0, 5).join(', ')}${attributes.length > 5 ? ', ...' : ''}) but no deviceType; AWS IoT holds at most ${MAX_ATTRIBUTES_WITHOUT_TYPE} attributes on a thing without a thing type.`,
            hint: `Add a deviceType (an AWS IoT thing type allows up to ${MAX_ATTRIBUTES}), or fill at most ${MAX_ATTRIBUTES_WITHOUT_TYPE} attribute cells.`,
          },
          ['attributes'],
        );
      }
      for (const [given, missing] of [['pskIdentity', 'pskKey'], ['pskKey', 'pskIdentity']] as const) {
        if (r[given] !== undefined && r[missing] === undefined) {
          withHint(ctx, { message: `${given} is set but ${missing} is not.`, hint: 'A pre-shared key needs both pskIdentity and pskKey: fill in both or neither.' }, [missing]);
        }
      }
    },
    { when: () => true },
  ),
);

export type ManifestRowInput = z.input<typeof ManifestRow>;
export type ManifestRow = z.output<typeof ManifestRow>;

export interface RowProblem {
  /** The field or attribute column the problem is in; empty when it is about the whole row. */
  readonly field: string;
  readonly message: string;
  readonly hint: string;
}

const MISSING_HINTS: Partial<Record<string, string>> = {
  serial: 'Fill in the device serial: it becomes the AWS IoT thing name.',
  tenant: 'Fill in the tenant id the device belongs to, e.g. "acme-city".',
  latitude: 'Fill in the location in decimal degrees, e.g. 52.5200.',
  longitude: 'Fill in the location in decimal degrees, e.g. 13.4050.',
};

const TYPE_HINTS: Partial<Record<string, string>> = {
  latitude: 'Write latitude as a number in decimal degrees, e.g. 52.5200.',
  longitude: 'Write longitude as a number in decimal degrees, e.g. 13.4050.',
  attributes: 'Write attributes as an object, e.g. "attributes": {"floor": "3"}.',
};

const fieldOf = (path: readonly PropertyKey[]): string =>
  path[0] === ATTRIBUTES_KEY && path.length > 1 ? String(path[1]) : path.map(String).join('.');

/** zod issues to row problems: the custom rules carry their hint; the rest get one here. */
export const toProblems = (issues: readonly z.core.$ZodIssue[]): RowProblem[] =>
  issues.flatMap((issue): RowProblem[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: key,
        message: `${shown(key)} is not a manifest field.`,
        hint: `Free attributes go under "${ATTRIBUTES_KEY}", e.g. "${ATTRIBUTES_KEY}": {"${key}": "..."}; fields are ${RESERVED_FIELDS.join(', ')}.`,
      }));
    }
    const field = fieldOf(issue.path);
    const given = issue.code === 'custom' ? (issue.params as { hint?: unknown } | undefined)?.hint : undefined;
    const missing = issue.input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_union');
    const hint =
      (typeof given === 'string' ? given : undefined) ??
      (missing ? MISSING_HINTS[field] : undefined) ??
      TYPE_HINTS[field] ??
      (issue.path[0] === ATTRIBUTES_KEY ? 'Write the attribute value as text, e.g. "3".' : `Write ${field || 'the row'} as text, e.g. "${field}": "...".`);
    return [{ field, message: issue.message, hint }];
  });

export type RowCheck = { readonly ok: true; readonly row: ManifestRow } | { readonly ok: false; readonly problems: RowProblem[] };

/** Checks one row given in the normalised field names (see rowFromObject/csvHeader for mapping). */
export const checkRow = (input: unknown): RowCheck => {
  const parsed = ManifestRow.safeParse(input, { reportInput: true });
  return parsed.success ? { ok: true, row: parsed.data } : { ok: false, problems: toProblems(parsed.error.issues) };
};
