import { CodecError } from '../../errors.ts';
import type { ValueType } from '../../objects/types.ts';
import { formatObjectLink, MAX_INT64, MAX_UINT64, MIN_INT64, normalizeInteger, parseObjectLinkText } from '../../values.ts';
import type { TypedValue } from '../../values.ts';
import { describeItem } from './item.ts';
import type { CborItem } from './item.ts';

/** RFC 8949 3.4.2: tag 1 is epoch-based date/time. */
const EPOCH_TIME_TAG = 1n;

/** The type a CBOR item has when the model does not say: what it looks like. */
const inferType = (item: CborItem): ValueType | undefined => {
  switch (item.kind) {
    case 'int':
      return item.value > MAX_INT64 ? 'Unsigned Integer' : 'Integer';
    case 'float':
      return 'Float';
    case 'text':
      return 'String';
    case 'bytes':
      return 'Opaque';
    case 'bool':
      return 'Boolean';
    case 'tag':
      return item.tag === EPOCH_TIME_TAG ? 'Time' : undefined;
    default:
      return undefined;
  }
};

/**
 * A CBOR item as a value of `type` (LwM2M Core 1.1 Appendix C, CBOR column): integers as
 * integers (a Float may come as one), Boolean as true/false, String and Corelnk as text, Opaque
 * as bytes, Objlnk as the text "o:i", Time as an integer, plain or under tag 1. `type`
 * undefined: a resource the model does not know, typed by the item itself.
 */
export const itemToValue = (modelType: ValueType | undefined, item: CborItem, path: string, contentFormat: number): TypedValue => {
  const type = modelType ?? inferType(item);
  const fail = (what: string): never => {
    throw new CodecError(modelType === undefined ? 'invalid-value' : 'model-mismatch', `${what}, not ${describeItem(item)}`, { contentFormat, path });
  };
  const integer = (inner: CborItem, min: bigint, max: bigint, what: string): number | bigint => {
    if (inner.kind !== 'int') return fail(`a ${what} is a CBOR integer`);
    if (inner.value < min || inner.value > max) throw new CodecError('invalid-value', `${inner.value} does not fit a ${what}`, { contentFormat, path });
    return normalizeInteger(inner.value);
  };
  switch (type) {
    case undefined:
      if (item.kind === 'null') throw new CodecError('invalid-value', 'null (a delete in Write-Composite) is not a value this server accepts', { contentFormat, path });
      return fail('a value is an integer, float, boolean, text, bytes or tag 1 time');
    case 'String':
    case 'Corelnk':
      return item.kind === 'text' ? { type, value: item.value } : fail(`a ${type} is a text string`);
    case 'Integer':
      return { type, value: integer(item, MIN_INT64, MAX_INT64, 'signed 64-bit Integer') };
    case 'Unsigned Integer':
      return { type, value: integer(item, 0n, MAX_UINT64, 'Unsigned Integer') };
    case 'Time':
      return { type, value: integer(item.kind === 'tag' && item.tag === EPOCH_TIME_TAG ? item.item : item, MIN_INT64, MAX_INT64, 'Time (integer seconds)') };
    case 'Float': {
      if (item.kind === 'int') return { type, value: Number(item.value) };
      if (item.kind !== 'float') return fail('a Float is a CBOR float or integer');
      if (!Number.isFinite(item.value)) throw new CodecError('invalid-value', `the Float is ${item.value}; only finite numbers are accepted`, { contentFormat, path });
      return { type, value: item.value };
    }
    case 'Boolean':
      return item.kind === 'bool' ? { type, value: item.value } : fail('a Boolean is true or false');
    case 'Opaque':
      return item.kind === 'bytes' ? { type, value: item.value } : fail('an Opaque value is a byte string');
    case 'Objlnk': {
      if (item.kind !== 'text') return fail('an Objlnk is the text "objectId:instanceId"');
      const link = parseObjectLinkText(item.value);
      if (link === undefined) throw new CodecError('invalid-value', `"${item.value}" is not an Object Link "objectId:instanceId"`, { contentFormat, path });
      return { type, value: link };
    }
  }
};

/** The CBOR item a typed value travels as. */
export const valueToItem = (typed: TypedValue): CborItem => {
  switch (typed.type) {
    case 'String':
    case 'Corelnk':
      return { kind: 'text', value: typed.value };
    case 'Integer':
    case 'Unsigned Integer':
    case 'Time':
      return { kind: 'int', value: BigInt(typed.value) };
    case 'Float':
      return { kind: 'float', value: typed.value };
    case 'Boolean':
      return { kind: 'bool', value: typed.value };
    case 'Opaque':
      return { kind: 'bytes', value: typed.value };
    case 'Objlnk':
      return { kind: 'text', value: formatObjectLink(typed.value) };
  }
};
