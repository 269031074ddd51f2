import { CodecError } from '../errors.ts';
import { limitsOf } from '../limits.ts';
import type { DecodeOptions, EncodeOptions } from '../limits.ts';
import { DEFAULT_OBJECT_MODEL } from '../objects/model.ts';
import type { ObjectModel } from '../objects/model.ts';
import type { ValueType } from '../objects/types.ts';
import { formatPath } from '../path.ts';
import type { Lwm2mPath } from '../path.ts';
import { formatObjectLink, MAX_INT64, MAX_UINT64, MIN_INT64, normalizeInteger, parseObjectLinkText } from '../values.ts';
import type { ResourceValue, TypedValue } from '../values.ts';
import { fromBase64, fromUtf8, toBase64, toUtf8 } from './bytes.ts';
import { checkEncodedSize, checkPayloadBytes, guarded, requestedPath, resourceAt, singleValue } from './common.ts';

const CF = 0;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

const parseText = (type: ValueType, text: string, path: string): TypedValue => {
  const invalid = (what: string): never => {
    throw new CodecError('invalid-value', `"${text.length > 40 ? `${text.slice(0, 40)}...` : text}" is not ${what}`, { contentFormat: CF, path });
  };
  switch (type) {
    case 'String':
    case 'Corelnk':
      return { type, value: text };
    case 'Integer':
    case 'Time': {
      if (!/^-?\d{1,20}$/.test(text)) return invalid(`a decimal ${type}`);
      const v = BigInt(text);
      if (v < MIN_INT64 || v > MAX_INT64) return invalid('a signed 64-bit integer');
      return { type, value: normalizeInteger(v) };
    }
    case 'Unsigned Integer': {
      if (!/^\d{1,20}$/.test(text)) return invalid('a decimal Unsigned Integer');
      const v = BigInt(text);
      if (v > MAX_UINT64) return invalid('an unsigned 64-bit integer');
      return { type, value: normalizeInteger(v) };
    }
    case 'Float': {
      const v = FLOAT.test(text) ? Number(text) : Number.NaN;
      if (!Number.isFinite(v)) return invalid('a finite decimal Float');
      return { type, value: v };
    }
    case 'Boolean':
      // LwM2M Core 1.1 Appendix C: a text Boolean is "0" or "1".
      if (text !== '0' && text !== '1') return invalid('a Boolean ("0" or "1")');
      return { type, value: text === '1' };
    case 'Opaque': {
      // LwM2M 1.1 added Opaque to plain text as base64 (RFC 4648 section 4).
      const bytes = fromBase64(text);
      return bytes === undefined ? invalid('base64 (RFC 4648, padded), which is how plain text carries Opaque') : { type, value: bytes };
    }
    case 'Objlnk': {
      const link = parseObjectLinkText(text);
      return link === undefined ? invalid('an Object Link "objectId:instanceId"') : { type, value: link };
    }
  }
};

/** The text a value travels as in text/plain. */
export const valueText = (typed: TypedValue): string => {
  switch (typed.type) {
    case 'Boolean':
      return typed.value ? '1' : '0';
    case 'Opaque':
      return toBase64(typed.value);
    case 'Objlnk':
      return formatObjectLink(typed.value);
    case 'Float':
      return Object.is(typed.value, -0) ? '0' : String(typed.value);
    default:
      return String(typed.value);
  }
};

/**
 * Decodes text/plain (0): one value of a single resource or resource instance, typed by the
 * model (a resource the model does not know is a String). Throws only CodecError.
 */
export const decodeText = (bytes: Uint8Array, requestedPathIn: string | Lwm2mPath, model: ObjectModel = DEFAULT_OBJECT_MODEL, options?: DecodeOptions): ResourceValue[] =>
  guarded(CF, () => {
    const limits = limitsOf(options);
    checkPayloadBytes(bytes, CF, limits);
    const path = requestedPath(requestedPathIn, CF, ['resource', 'resource-instance'], 'text/plain carries one value');
    const definition = resourceAt(model, path, CF);
    const text = fromUtf8(bytes);
    if (text === undefined) throw new CodecError('invalid-value', 'text/plain must be UTF-8; the payload is not', { contentFormat: CF, path: formatPath(path) });
    const type = definition === undefined ? 'String' : (definition.type as ValueType);
    return [{ path: formatPath(path), ...parseText(type, text, formatPath(path)) }];
  });

/** Encodes exactly one value as text/plain (0). Throws only CodecError. */
export const encodeText = (values: readonly ResourceValue[], options?: EncodeOptions): Uint8Array =>
  guarded(CF, () => {
    const limits = limitsOf(options);
    const { value } = singleValue(values, CF, limits, 'text/plain');
    return checkEncodedSize(toUtf8(valueText(value)), CF, limits);
  });
