// The leaf file, not the SenML index: this module is bundled for the browser (the console's
// command form), and the index reaches the codecs, which use Node's Buffer.
import type { ObjectLink } from '../senml/types.ts';
import type { ValueType } from './objects/types.ts';

export type { ObjectLink };

/**
 * A value with its LwM2M type. Integers are numbers while they are safe integers and bigints
 * beyond (a 64-bit TLV or CBOR integer may not fit a double); Time is seconds since the epoch
 * (an Integer on the wire). Opaque is bytes; an Object Link is its two ids.
 */
export type TypedValue =
  | { type: 'String' | 'Corelnk'; value: string }
  | { type: 'Integer' | 'Unsigned Integer' | 'Time'; value: number | bigint }
  | { type: 'Float'; value: number }
  | { type: 'Boolean'; value: boolean }
  | { type: 'Opaque'; value: Uint8Array }
  | { type: 'Objlnk'; value: ObjectLink };

/**
 * One resource (or resource instance) value at its path ("/3303/0/5700", "/3/0/6/1").
 * `time` (seconds since the epoch) is carried only by SenML; other formats have no timestamps.
 */
export type ResourceValue = TypedValue & { path: string; time?: number };

export const MIN_INT64 = -(2n ** 63n);
export const MAX_INT64 = 2n ** 63n - 1n;
export const MAX_UINT64 = 2n ** 64n - 1n;

/** The null Object Link (LwM2M Core Appendix C): "no instance". */
export const NULL_OBJECT_LINK: ObjectLink = Object.freeze({ objectId: 65535, instanceId: 65535 });

/** A bigint as a number when it is a safe integer, else the bigint: the one representation of integers here. */
export const normalizeInteger = (v: bigint): number | bigint =>
  v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;

const isIntegerish = (v: unknown): v is number | bigint => typeof v === 'bigint' || (typeof v === 'number' && Number.isSafeInteger(v));

const isLinkId = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535;

export const isObjectLink = (v: unknown): v is ObjectLink =>
  typeof v === 'object' && v !== null && isLinkId((v as ObjectLink).objectId) && isLinkId((v as ObjectLink).instanceId);

export const formatObjectLink = (link: ObjectLink): string => `${link.objectId}:${link.instanceId}`;

/** "3:0" to an Object Link; strict (decimal ids 0..65535, no spaces), undefined when it is not one. */
export const parseObjectLinkText = (text: string): ObjectLink | undefined => {
  const match = /^(0|[1-9]\d{0,4}):(0|[1-9]\d{0,4})$/.exec(text);
  if (match === null) return undefined;
  const link = { objectId: Number(match[1]), instanceId: Number(match[2]) };
  return isObjectLink(link) ? link : undefined;
};

const describe = (v: unknown): string => {
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'an array' : 'an object';
  return String(v);
};

/**
 * Why `value` is not a value of `type` (as JavaScript holds it), or undefined when it is. The
 * encoders and checkValue use it so every entry point refuses the same things the same way.
 */
export const typeMismatch = (type: ValueType, value: unknown): string | undefined => {
  switch (type) {
    case 'String':
    case 'Corelnk':
      return typeof value === 'string' ? undefined : `a ${type} is a string, not ${describe(value)}`;
    case 'Integer':
    case 'Time':
      if (!isIntegerish(value)) return `a${type === 'Time' ? ' Time (whole seconds since 1970)' : 'n Integer'} is a whole number (number or bigint), not ${describe(value)}`;
      return BigInt(value) < MIN_INT64 || BigInt(value) > MAX_INT64 ? `${describe(value)} does not fit a signed 64-bit integer` : undefined;
    case 'Unsigned Integer':
      if (!isIntegerish(value)) return `an Unsigned Integer is a whole number (number or bigint), not ${describe(value)}`;
      return BigInt(value) < 0n || BigInt(value) > MAX_UINT64 ? `${describe(value)} is not an unsigned 64-bit integer (0..2^64-1)` : undefined;
    case 'Float':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `a Float is a finite number, not ${describe(value)}`;
    case 'Boolean':
      return typeof value === 'boolean' ? undefined : `a Boolean is true or false, not ${describe(value)}`;
    case 'Opaque':
      return value instanceof Uint8Array ? undefined : `an Opaque value is bytes (Uint8Array), not ${describe(value)}`;
    case 'Objlnk':
      return isObjectLink(value) ? undefined : `an Objlnk is { objectId, instanceId } with ids 0..65535, not ${describe(value)}`;
    default:
      return `"${String(type)}" is not an LwM2M data type (String, Integer, Unsigned Integer, Float, Boolean, Opaque, Time, Objlnk, Corelnk)`;
  }
};

export { describe as describeValue };
