import type { CommandValue, PathValue } from '../../schemas/bridge/commandMessages.ts';
import {
  DEFAULT_OBJECT_MODEL,
  formatObjectLink,
  isUnderPath,
  parseObjectLinkText,
  parsePath,
  typeMismatch,
  type ObjectModel,
  type ResourceValue,
  type TypedValue,
  type ValueType,
} from '../../schemas/lwm2m/index.ts';
import { InvalidCommand } from './failureCode.ts';

/**
 * Typed JSON values (the command contract's `CommandValue`) to and from the codecs'
 * `ResourceValue`s. The object model says which LwM2M type a known resource has; for a resource it
 * does not know, the JSON kind decides (a whole number is an Integer, any other number a Float).
 */

const BASE64URL = /^[A-Za-z0-9_-]*$/;

const typeFromKind = (value: CommandValue): ValueType => {
  switch (value.kind) {
    case 'number':
      return Number.isInteger(value.v) ? 'Integer' : 'Float';
    case 'string':
      return 'String';
    case 'boolean':
      return 'Boolean';
    case 'data':
      return 'Opaque';
    case 'objlnk':
      return 'Objlnk';
    case 'time':
      return 'Time';
  }
};

const asTyped = (type: ValueType, value: CommandValue, path: string): TypedValue => {
  const wrong = (): never => {
    throw new InvalidCommand(`${path} holds a ${type}; a "${value.kind}" value cannot be written to it`);
  };
  switch (type) {
    case 'String':
    case 'Corelnk':
      return value.kind === 'string' ? { type, value: value.v } : wrong();
    case 'Integer':
    case 'Unsigned Integer':
    case 'Time':
      return value.kind === 'number' || value.kind === 'time' ? { type, value: value.v } : wrong();
    case 'Float':
      return value.kind === 'number' ? { type, value: value.v } : wrong();
    case 'Boolean':
      return value.kind === 'boolean' ? { type, value: value.v } : wrong();
    case 'Opaque':
      if (value.kind !== 'data') return wrong();
      if (!BASE64URL.test(value.v)) throw new InvalidCommand(`${path}: a "data" value is base64url (A-Z a-z 0-9 - _, no padding)`);
      return { type, value: new Uint8Array(Buffer.from(value.v, 'base64url')) };
    case 'Objlnk': {
      if (value.kind !== 'objlnk') return wrong();
      const link = parseObjectLinkText(value.v);
      if (link === undefined) throw new InvalidCommand(`${path}: "${value.v}" is not an object link "objectId:instanceId"`);
      return { type, value: link };
    }
  }
};

/** The values of a Write, checked to lie under the command's path and typed for the codecs. */
export const toResourceValues = (commandPath: string, values: readonly PathValue[], model: ObjectModel = DEFAULT_OBJECT_MODEL): ResourceValue[] => {
  const under = parsePath(commandPath);
  return values.map(({ path, value }) => {
    const ids = parsePath(path);
    if (ids.length < 3) throw new InvalidCommand(`a value belongs to a resource or resource instance, not to ${path}`);
    if (!isUnderPath(ids, under)) throw new InvalidCommand(`the value for ${path} lies outside the command's path ${commandPath}`);
    const [objectId, , resourceId] = ids as [number, number, number];
    const known = model.resource(objectId, resourceId);
    const type = known === undefined || known.type === 'none' ? typeFromKind(value) : known.type;
    const typed = asTyped(type, value, path);
    const mismatch = typeMismatch(typed.type, typed.value);
    if (mismatch !== undefined) throw new InvalidCommand(`${path}: ${mismatch}`);
    return { path, ...typed };
  });
};

const integerValue = (v: number | bigint, kind: 'number' | 'time'): CommandValue =>
  // The contract has no 64-bit integer: beyond 2^53 the exact digits travel as text rather than a rounded number.
  typeof v === 'bigint' ? { kind: 'string', v: v.toString() } : { kind, v };

/** What the device returned, as the command contract's typed JSON. */
export const toPathValue = (value: ResourceValue): PathValue => {
  const path = value.path;
  switch (value.type) {
    case 'String':
    case 'Corelnk':
      return { path, value: { kind: 'string', v: value.value } };
    case 'Integer':
    case 'Unsigned Integer':
      return { path, value: integerValue(value.value, 'number') };
    case 'Time':
      return { path, value: integerValue(value.value, 'time') };
    case 'Float':
      return { path, value: { kind: 'number', v: value.value } };
    case 'Boolean':
      return { path, value: { kind: 'boolean', v: value.value } };
    case 'Opaque':
      return { path, value: { kind: 'data', v: Buffer.from(value.value).toString('base64url') } };
    case 'Objlnk':
      return { path, value: { kind: 'objlnk', v: formatObjectLink(value.value) } };
  }
};
