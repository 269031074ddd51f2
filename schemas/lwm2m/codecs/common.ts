import { CodecError, PathError } from '../errors.ts';
import type { CodecLimits } from '../limits.ts';
import type { ObjectModel } from '../objects/model.ts';
import type { ResourceDefinition } from '../objects/types.ts';
import { formatPath, isUnderPath, toPath } from '../path.ts';
import type { Lwm2mPath, PathLevel } from '../path.ts';
import { typeMismatch } from '../values.ts';
import type { ResourceValue } from '../values.ts';

/** The requested path, checked against the levels a format can answer for; a bad one is a CodecError. */
export const requestedPath = (path: string | Lwm2mPath, contentFormat: number, levels: readonly PathLevel[], what: string): number[] => {
  try {
    return toPath(path, { levels });
  } catch (e) {
    if (!(e instanceof PathError)) throw e;
    const hint = e.code === 'wrong-level' ? ` (${what})` : '';
    throw new CodecError('invalid-path', `${e.message}${hint}`, { contentFormat, cause: e });
  }
};

export const checkPayloadBytes = (bytes: unknown, contentFormat: number, limits: CodecLimits): Uint8Array => {
  if (!(bytes instanceof Uint8Array)) throw new CodecError('bad-argument', 'the payload must be a Uint8Array (a Buffer is one)', { contentFormat });
  if (bytes.length > limits.maxBytes) {
    throw new CodecError('too-large', `the payload is ${bytes.length} bytes; at most ${limits.maxBytes} are accepted (limits.maxBytes)`, { contentFormat });
  }
  return bytes;
};

/**
 * The definition of the resource a value at `path` belongs to, or undefined when the model does
 * not know it (values of unknown resources are still decoded; see README). A value for an
 * Execute resource, instances of a single resource, or a single value for a multiple resource
 * contradict the model and are refused.
 */
export const resourceAt = (model: ObjectModel, path: Lwm2mPath, contentFormat: number): ResourceDefinition | undefined => {
  const [objectId, , resourceId] = path;
  if (objectId === undefined || resourceId === undefined) {
    throw new CodecError('invalid-path', 'values sit at resources (/o/i/r) or resource instances (/o/i/r/ri), not above', { contentFormat, path: formatPath(path) });
  }
  const definition = model.resource(objectId, resourceId);
  if (definition === undefined) return undefined;
  const at = { contentFormat, path: formatPath(path) };
  if (definition.type === 'none') throw new CodecError('model-mismatch', `"${definition.name}" is an Execute resource; it has no value`, at);
  if (definition.multiple && path.length === 3) {
    throw new CodecError('model-mismatch', `"${definition.name}" is a multiple resource: its values are resource instances (/o/i/r/ri)`, at);
  }
  if (!definition.multiple && path.length === 4) {
    throw new CodecError('model-mismatch', `"${definition.name}" is a single resource: it has no resource instances`, at);
  }
  return definition;
};

export const checkUnder = (path: Lwm2mPath, requested: Lwm2mPath, contentFormat: number): void => {
  if (!isUnderPath(path, requested)) {
    throw new CodecError('outside-requested-path', `a value for ${formatPath(path)} in an answer about ${formatPath(requested)}`, { contentFormat, path: formatPath(path) });
  }
};

export const checkRecordCount = (count: number, contentFormat: number, limits: CodecLimits): void => {
  if (count > limits.maxRecords) {
    throw new CodecError('too-many-records', `more than ${limits.maxRecords} values (limits.maxRecords): split the request`, { contentFormat });
  }
};

/** A value to encode, checked: its path (a resource or resource instance) and that the value is of its own type. */
export interface CheckedValue {
  ids: number[];
  value: ResourceValue;
}

/** Checks values handed to an encoder: paths, types, count, and no path twice. Throws CodecError('bad-argument'). */
export const checkValuesToEncode = (values: readonly ResourceValue[], contentFormat: number, limits: CodecLimits): CheckedValue[] => {
  if (!Array.isArray(values)) throw new CodecError('bad-argument', 'values must be an array of ResourceValue', { contentFormat });
  checkRecordCount(values.length, contentFormat, limits);
  const seen = new Set<string>();
  return values.map((value: ResourceValue, i) => {
    if (typeof value !== 'object' || value === null) throw new CodecError('bad-argument', `values[${i}] is not a ResourceValue`, { contentFormat });
    let ids: number[];
    try {
      ids = toPath(value.path, { levels: ['resource', 'resource-instance'] });
    } catch (e) {
      throw new CodecError('bad-argument', `values[${i}]: ${e instanceof Error ? e.message : String(e)}`, { contentFormat, cause: e });
    }
    const path = formatPath(ids);
    const mismatch = typeMismatch(value.type, value.value);
    if (mismatch !== undefined) throw new CodecError('bad-argument', `values[${i}] (type ${String(value.type)}): ${mismatch}`, { contentFormat, path });
    if (seen.has(path)) throw new CodecError('bad-argument', `values[${i}] repeats a path; give each path once`, { contentFormat, path });
    seen.add(path);
    return { ids, value };
  });
};

/** Refuses a finished payload above the byte limit. */
export const checkEncodedSize = (bytes: Uint8Array, contentFormat: number, limits: CodecLimits): Uint8Array => {
  if (bytes.length > limits.maxBytes) {
    throw new CodecError('too-large', `the encoded payload is ${bytes.length} bytes; at most ${limits.maxBytes} are allowed (limits.maxBytes): split the values`, { contentFormat });
  }
  return bytes;
};

/** Runs a codec so that only CodecError leaves it, whatever a library or a bug throws on odd input. */
export const guarded = <T>(contentFormat: number, step: () => T): T => {
  try {
    return step();
  } catch (e) {
    if (e instanceof CodecError) throw e;
    const reason = e instanceof Error ? e.message : String(e);
    throw new CodecError('malformed', `the payload could not be processed: ${reason}`, { contentFormat, cause: e });
  }
};

/** The one value a single-value format (text/plain, opaque, CBOR) carries; more or none is a bad-argument. */
export const singleValue = (values: readonly ResourceValue[], contentFormat: number, limits: CodecLimits, name: string): CheckedValue => {
  const checked = checkValuesToEncode(values, contentFormat, limits);
  const [first] = checked;
  if (first === undefined || checked.length > 1) {
    throw new CodecError('bad-argument', `${name} carries exactly one value, not ${checked.length}: use SenML or TLV for several`, { contentFormat });
  }
  return first;
};

