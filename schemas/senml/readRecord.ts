import { fromBase64Url } from './base64url.ts';
import { SenmlError } from './errors.ts';
import { CBOR_LABELS, isRfcLabel, labelForCborKey, LWM2M_OBJLNK_LABEL, SENML_VERSION, VALUE_LABELS } from './labels.ts';
import type { SenmlLabel } from './labels.ts';
import { parseObjectLink } from './lwm2mName.ts';
import type { SenmlPack, SenmlProfile, SenmlRecord } from './types.ts';

/** Where the record came from: CBOR map, JSON object, or a SenmlRecord built in code (to encode). */
export type Wire = 'cbor' | 'json' | 'object';

const STRING_LABELS = new Set<SenmlLabel>(['bn', 'bu', 'n', 'u', 'vs']);
const NUMBER_LABELS = new Set<SenmlLabel>(['bt', 'bv', 'bs', 'v', 's', 't', 'ut']);

const typeName = (value: unknown): string => {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return 'a byte string';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Map) return 'a map';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return `a ${typeof value}`;
};

/** Which label a map key is, undefined for one to ignore (RFC 8428 section 4.4). */
const labelOf = (key: string | number, wire: Wire, profile: SenmlProfile, record: number): SenmlLabel | undefined => {
  if (typeof key === 'number') return wire === 'cbor' ? labelForCborKey(key) : undefined;
  // On the wire vlo is LwM2M's; in a record built in code it is a typed field, never ignored.
  if (key === LWM2M_OBJLNK_LABEL && (profile === 'lwm2m' || wire === 'object')) return LWM2M_OBJLNK_LABEL;
  if (key.endsWith('_')) {
    throw new SenmlError(
      'must-understand-label',
      `label "${key}" ends in "_", which means it must be understood, and this decoder does not know it (RFC 8428 section 4.4)`,
      record,
    );
  }
  if (isRfcLabel(key)) {
    if (wire !== 'cbor') return key;
    // A text "v" in CBOR is an encoder that forgot the integer labels; ignoring it as an unknown
    // label would silently drop the value.
    throw new SenmlError(
      'bad-type',
      `CBOR key "${key}" is a SenML label that CBOR writes as the integer ${CBOR_LABELS[key]} (RFC 8428 section 6): encode the labels as integers`,
      record,
    );
  }
  return undefined;
};

// At module level, not a closure inside `assign`: under tsx's keep-names transform a closure declared
// per call costs a property definition every time, and `assign` runs for every label of every record.
const wrongType = (label: SenmlLabel, value: unknown, record: number, expected: string): never => {
  throw new SenmlError('bad-type', `"${label}" must be ${expected}, not ${typeName(value)}`, record);
};

const assign = (out: SenmlRecord, label: SenmlLabel, value: unknown, wire: Wire, record: number): void => {
  if (STRING_LABELS.has(label)) {
    if (typeof value !== 'string') wrongType(label, value, record, 'a text string');
    (out as Record<string, unknown>)[label] = value;
  } else if (NUMBER_LABELS.has(label)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) wrongType(label, value, record, 'a finite number');
    (out as Record<string, unknown>)[label] = value;
  } else if (label === 'bver') {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) wrongType(label, value, record, 'a positive integer');
    if ((value as number) > SENML_VERSION) {
      throw new SenmlError(
        'unsupported-version',
        `pack declares SenML version ${String(value)}; this decoder understands up to ${SENML_VERSION} and must not use it (RFC 8428 section 4.4)`,
        record,
      );
    }
    out.bver = value as number;
  } else if (label === 'vb') {
    if (typeof value !== 'boolean') wrongType(label, value, record, 'a boolean');
    out.vb = value as boolean;
  } else if (label === 'vd') {
    if (wire !== 'json') {
      if (!(value instanceof Uint8Array)) wrongType(label, value, record, 'a byte string (RFC 8428 section 6)');
      out.vd = new Uint8Array(value as Uint8Array);
    } else {
      if (typeof value !== 'string') wrongType(label, value, record, 'a base64url text string');
      out.vd = fromBase64Url(value as string, record);
    }
  } else {
    if (typeof value !== 'string' || parseObjectLink(value) === undefined) {
      wrongType(label, value, record, 'an Object Link "objectId:instanceId" with both parts 0..65535 (LwM2M Core 1.1)');
    }
    out.vlo = value as string;
  }
};

/**
 * Reads one record's map entries into a typed record. Checks what one record alone can break:
 * types, must-understand labels, at most one value, a known version. Names and whether a value is
 * needed depend on the records before it: that is `resolve`'s job.
 */
export const readRecord = (
  entries: Iterable<readonly [string | number, unknown]>,
  wire: Wire,
  profile: SenmlProfile,
  record: number,
): SenmlRecord => {
  const out: SenmlRecord = {};
  for (const [key, value] of entries) {
    if (wire === 'object' && value === undefined) continue; // an optional field left unset in code
    const label = labelOf(key, wire, profile, record);
    if (label !== undefined) assign(out, label, value, wire, record);
  }
  const values = VALUE_LABELS.filter((l) => out[l] !== undefined);
  if (values.length > 1) {
    throw new SenmlError('multiple-values', `has ${values.join(' and ')}: a record carries exactly one value (RFC 8428 section 4.2)`, record);
  }
  if (out.bv !== undefined && values.length === 1 && values[0] !== 'v') {
    throw new SenmlError(
      'multiple-values',
      `has a base value (bv) and ${values[0]}: bv makes this record numeric (RFC 8428 section 4.5.4); move bv to a record with "v"`,
      record,
    );
  }
  return out;
};

/** RFC 8428 section 4.4: every record of a pack has the same version (bver carries forward; 10 if never set). */
export const checkVersions = (pack: SenmlPack): void => {
  let current = SENML_VERSION;
  let first: number | undefined;
  pack.forEach((r, i) => {
    if (r.bver !== undefined) current = r.bver;
    first ??= current;
    if (current !== first) {
      throw new SenmlError(
        'version-mismatch',
        `is SenML version ${current} but the records before it are version ${first}: all records of a pack must have the same version (RFC 8428 section 4.4); put bver in the first record only`,
        i,
      );
    }
  });
};
