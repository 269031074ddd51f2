import { limitsOf } from '../../limits.ts';
import type { DecodeOptions, EncodeOptions } from '../../limits.ts';
import { DEFAULT_OBJECT_MODEL } from '../../objects/model.ts';
import type { ObjectModel } from '../../objects/model.ts';
import type { ValueType } from '../../objects/types.ts';
import { formatPath } from '../../path.ts';
import type { Lwm2mPath } from '../../path.ts';
import type { ResourceValue } from '../../values.ts';
import { checkEncodedSize, checkPayloadBytes, guarded, requestedPath, resourceAt, singleValue } from '../common.ts';
import { readCbor } from './read.ts';
import { itemToValue, valueToItem } from './values.ts';
import { writeCbor } from './write.ts';

const CF = 60;

/**
 * Decodes application/cbor (60, LwM2M 1.1): one CBOR item, the value of a single resource or
 * resource instance. Throws only CodecError.
 */
export const decodeCborValue = (bytes: Uint8Array, requestedPathIn: string | Lwm2mPath, model: ObjectModel = DEFAULT_OBJECT_MODEL, options?: DecodeOptions): ResourceValue[] =>
  guarded(CF, () => {
    const limits = limitsOf(options);
    checkPayloadBytes(bytes, CF, limits);
    const path = requestedPath(requestedPathIn, CF, ['resource', 'resource-instance'], 'application/cbor carries one value');
    const definition = resourceAt(model, path, CF);
    const item = readCbor(bytes, limits, CF);
    const text = formatPath(path);
    return [{ path: text, ...itemToValue(definition?.type as ValueType | undefined, item, text, CF) }];
  });

/** Encodes exactly one value as application/cbor (60). Throws only CodecError. */
export const encodeCborValue = (values: readonly ResourceValue[], options?: EncodeOptions): Uint8Array =>
  guarded(CF, () => {
    const limits = limitsOf(options);
    const { value } = singleValue(values, CF, limits, 'application/cbor');
    return checkEncodedSize(writeCbor(valueToItem(value)), CF, limits);
  });
