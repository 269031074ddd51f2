import { CodecError } from '../../errors.ts';
import type { ValueType } from '../../objects/types.ts';
import { normalizeInteger } from '../../values.ts';
import type { TypedValue } from '../../values.ts';
import { fromUtf8, readInt, toUtf8, writeFloat, writeInt } from '../bytes.ts';

const CF = 11542;

/**
 * The bytes of a TLV value as a value of `type` (LwM2M Core 1.1 Appendix C, binary column):
 * integers and Time are 1/2/4/8-byte big-endian (two's complement unless Unsigned), floats 4 or
 * 8 bytes IEEE 754, Boolean one byte 0 or 1, Objlnk two 16-bit ids, String UTF-8.
 */
export const decodeTlvValue = (type: ValueType, bytes: Uint8Array, path: string, offset: number): TypedValue => {
  const at = { contentFormat: CF, path, offset };
  const sizes = (allowed: readonly number[], what: string): void => {
    if (!allowed.includes(bytes.length)) throw new CodecError('invalid-value', `${what} is ${allowed.join(', ')} bytes long, not ${bytes.length}`, at);
  };
  switch (type) {
    case 'String':
    case 'Corelnk': {
      const text = fromUtf8(bytes);
      if (text === undefined) throw new CodecError('invalid-value', `a ${type} must be UTF-8; these ${bytes.length} bytes are not`, at);
      return { type, value: text };
    }
    case 'Integer':
    case 'Time':
      sizes([1, 2, 4, 8], `a TLV ${type}`);
      return { type, value: normalizeInteger(readInt(bytes, true)) };
    case 'Unsigned Integer':
      sizes([1, 2, 4, 8], 'a TLV Unsigned Integer');
      return { type, value: normalizeInteger(readInt(bytes, false)) };
    case 'Float': {
      sizes([4, 8], 'a TLV Float');
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const value = bytes.length === 4 ? view.getFloat32(0) : view.getFloat64(0);
      if (!Number.isFinite(value)) throw new CodecError('invalid-value', `the Float is ${value}; only finite numbers are accepted (events carry JSON)`, at);
      return { type, value };
    }
    case 'Boolean':
      sizes([1], 'a TLV Boolean');
      if (bytes[0] !== 0 && bytes[0] !== 1) throw new CodecError('invalid-value', `a Boolean is 0 or 1, not ${bytes[0]}`, at);
      return { type, value: bytes[0] === 1 };
    case 'Opaque':
      return { type, value: bytes.slice() };
    case 'Objlnk': {
      sizes([4], 'a TLV Objlnk');
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return { type, value: { objectId: view.getUint16(0), instanceId: view.getUint16(2) } };
    }
  }
};

/** The TLV value bytes of a typed value (already checked against its type). */
export const encodeTlvValue = (typed: TypedValue): Uint8Array => {
  switch (typed.type) {
    case 'String':
    case 'Corelnk':
      return toUtf8(typed.value);
    case 'Integer':
    case 'Time':
      return writeInt(BigInt(typed.value), true);
    case 'Unsigned Integer':
      return writeInt(BigInt(typed.value), false);
    case 'Float':
      return writeFloat(typed.value);
    case 'Boolean':
      return Uint8Array.of(typed.value ? 1 : 0);
    case 'Opaque':
      return typed.value;
    case 'Objlnk':
      return Uint8Array.of(typed.value.objectId >>> 8, typed.value.objectId & 0xff, typed.value.instanceId >>> 8, typed.value.instanceId & 0xff);
  }
};
