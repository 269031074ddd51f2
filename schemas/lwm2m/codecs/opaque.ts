import { CodecError } from '../errors.ts';
import { limitsOf } from '../limits.ts';
import type { DecodeOptions, EncodeOptions } from '../limits.ts';
import { DEFAULT_OBJECT_MODEL } from '../objects/model.ts';
import type { ObjectModel } from '../objects/model.ts';
import { formatPath } from '../path.ts';
import type { Lwm2mPath } from '../path.ts';
import type { ResourceValue } from '../values.ts';
import { checkEncodedSize, checkPayloadBytes, guarded, requestedPath, resourceAt, singleValue } from './common.ts';

const CF = 42;

/**
 * Decodes application/octet-stream (42): the bytes of one Opaque resource or resource
 * instance. A resource of another type cannot travel as opaque (LwM2M Core 1.1 7.4.2).
 * Throws only CodecError.
 */
export const decodeOpaque = (bytes: Uint8Array, requestedPathIn: string | Lwm2mPath, model: ObjectModel = DEFAULT_OBJECT_MODEL, options?: DecodeOptions): ResourceValue[] =>
  guarded(CF, () => {
    const limits = limitsOf(options);
    checkPayloadBytes(bytes, CF, limits);
    const path = requestedPath(requestedPathIn, CF, ['resource', 'resource-instance'], 'opaque carries one value');
    const definition = resourceAt(model, path, CF);
    if (definition !== undefined && definition.type !== 'Opaque') {
      throw new CodecError('model-mismatch', `"${definition.name}" is ${definition.type}; only Opaque resources travel as application/octet-stream: use text/plain, TLV or SenML`, {
        contentFormat: CF,
        path: formatPath(path),
      });
    }
    return [{ path: formatPath(path), type: 'Opaque', value: bytes.slice() }];
  });

/** Encodes exactly one Opaque value as application/octet-stream (42). Throws only CodecError. */
export const encodeOpaque = (values: readonly ResourceValue[], options?: EncodeOptions): Uint8Array =>
  guarded(CF, () => {
    const limits = limitsOf(options);
    const { value } = singleValue(values, CF, limits, 'application/octet-stream');
    if (value.type !== 'Opaque') {
      throw new CodecError('bad-argument', `only an Opaque value travels as application/octet-stream, not a ${value.type}: use text/plain`, { contentFormat: CF, path: value.path });
    }
    return checkEncodedSize(value.value.slice(), CF, limits);
  });
