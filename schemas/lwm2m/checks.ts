import { PathError } from './errors.ts';
import { DEFAULT_OBJECT_MODEL } from './objects/model.ts';
import type { ObjectModel } from './objects/model.ts';
import type { ObjectDefinition, ResourceDefinition, ValueType } from './objects/types.ts';
import { formatPath, levelOf, toPath } from './path.ts';
import type { Lwm2mPath, PathLevel } from './path.ts';
import { describeValue, parseObjectLinkText, typeMismatch } from './values.ts';
import type { ResourceValue, TypedValue } from './values.ts';

/** Device Management operations (LwM2M Core 6.3) and Bootstrap operations (6.1). */
export type Operation =
  | 'read'
  | 'observe'
  | 'write'
  | 'execute'
  | 'discover'
  | 'write-attributes'
  | 'create'
  | 'delete'
  | 'bootstrap-read'
  | 'bootstrap-write'
  | 'bootstrap-delete'
  | 'bootstrap-discover';

export type ModelProblemCode =
  | 'invalid-path'
  | 'unknown-operation'
  | 'wrong-level'
  | 'unknown-object'
  | 'unknown-resource'
  | 'not-multiple'
  | 'not-readable'
  | 'not-writable'
  | 'not-executable'
  | 'wrong-type'
  | 'out-of-range';

/** What is wrong, for a person: the control API turns it into problem+json. */
export interface ModelProblem {
  code: ModelProblemCode;
  /** The path as given. */
  path: string;
  message: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: ModelProblem };

export interface Target {
  path: string;
  level: PathLevel;
  object?: ObjectDefinition;
  resource?: ResourceDefinition;
}

const LEVELS: Record<Operation, readonly PathLevel[]> = {
  read: ['object', 'instance', 'resource', 'resource-instance'],
  observe: ['object', 'instance', 'resource', 'resource-instance'],
  write: ['instance', 'resource', 'resource-instance'],
  execute: ['resource'],
  discover: ['object', 'instance', 'resource'],
  'write-attributes': ['object', 'instance', 'resource', 'resource-instance'],
  create: ['object'],
  delete: ['instance'],
  'bootstrap-read': ['object', 'instance'],
  'bootstrap-write': ['object', 'instance', 'resource', 'resource-instance'],
  'bootstrap-delete': ['root', 'object', 'instance'],
  'bootstrap-discover': ['root', 'object'],
};

/** LwM2M Core 1.1, Bootstrap-Read: only the LwM2M Server and Access Control objects can be read. */
const BOOTSTRAP_READABLE_OBJECTS = [1, 2];

const label = (path: Lwm2mPath): string => formatPath(path);
const fail = <T>(code: ModelProblemCode, path: string, message: string): Checked<T> => ({ ok: false, problem: { code, path, message } });

const resourceName = (object: ObjectDefinition, r: ResourceDefinition): string => `${object.name} / ${r.name} (${object.id}/${r.id})`;

/** Why a resource cannot be read, in words that say what to do instead. */
const unreadable = (object: ObjectDefinition, r: ResourceDefinition): string => {
  if (r.credential === true && r.operations === '') return `${resourceName(object, r)} is a credential only the Bootstrap-Server writes; no server reads it back`;
  if (r.credential === true) return `${resourceName(object, r)} is a credential: it is write-only and is never read back`;
  if (r.operations === 'E') return `${resourceName(object, r)} is an Execute resource: execute it, it has no value to read`;
  if (r.operations === '') return `${resourceName(object, r)} is not accessible to an LwM2M Server; only the Bootstrap-Server writes it`;
  return `${resourceName(object, r)} is write-only`;
};

const unwritable = (object: ObjectDefinition, r: ResourceDefinition): string => {
  if (r.operations === 'E') return `${resourceName(object, r)} is an Execute resource: execute it instead of writing it`;
  if (r.operations === '') return `${resourceName(object, r)} is written only by the Bootstrap-Server (bootstrap-write)`;
  return `${resourceName(object, r)} is read-only`;
};

/** Resolves a path against the model: the object and resource it names, or what is unknown. */
const locate = (given: string, path: number[], model: ObjectModel): Checked<Target> => {
  const [objectId, , resourceId] = path;
  const target: Target = { path: label(path), level: levelOf(path) };
  if (objectId === undefined) return { ok: true, value: target };
  const object = model.object(objectId);
  if (object === undefined) return fail('unknown-object', given, `object ${objectId} is not in the object model; known objects: ${model.objects.map((o) => `${o.id} (${o.name})`).join(', ')}`);
  if (resourceId === undefined) return { ok: true, value: { ...target, object } };
  const resource = model.resource(objectId, resourceId);
  if (resource === undefined) return fail('unknown-resource', given, `${object.name} (object ${objectId}) has no resource ${resourceId}`);
  if (path.length === 4 && !resource.multiple) {
    return fail('not-multiple', given, `${resourceName(object, resource)} is a single resource: address it as ${label(path.slice(0, 3))}, without a resource instance`);
  }
  return { ok: true, value: { ...target, object, resource } };
};

/** The path as the caller gave it, for the problem report. */
const givenText = (path: string | Lwm2mPath): string => (typeof path === 'string' ? path : Array.isArray(path) ? `[${path.join(', ')}]` : String(path));

const parse = (path: string | Lwm2mPath, levels: readonly PathLevel[], what: string): Checked<number[]> => {
  const given = givenText(path);
  try {
    return { ok: true, value: toPath(path, { levels }) };
  } catch (e) {
    if (!(e instanceof PathError)) throw e;
    return fail(e.code === 'wrong-level' ? 'wrong-level' : 'invalid-path', given, `${e.message}${e.code === 'wrong-level' ? ` (${what})` : ''}`);
  }
};

/**
 * Whether the LwM2M Server may perform `operation` on `path` according to the object model:
 * the path's level suits the operation, the object and resource exist, and the resource allows
 * it (R for read and observe, W for write, E for execute; credentials are never read; the
 * Security object only through bootstrap operations). Returns what it resolved, or a problem.
 */
export const checkOperation = (path: string | Lwm2mPath, operation: Operation, model: ObjectModel = DEFAULT_OBJECT_MODEL): Checked<Target> => {
  const given = givenText(path);
  const levels = Object.hasOwn(LEVELS, operation) ? LEVELS[operation] : undefined;
  if (levels === undefined) return fail('unknown-operation', given, `"${String(operation)}" is not an operation; use one of ${Object.keys(LEVELS).join(', ')}`);
  const parsed = parse(path, levels, `${operation} applies to ${levels.join(' or ')} paths`);
  if (!parsed.ok) return parsed;
  const located = locate(given, parsed.value, model);
  if (!located.ok) return located;
  const { object, resource } = located.value;
  if (object === undefined) return located; // the root, for bootstrap-delete and bootstrap-discover
  const readable = object.resources.filter((r) => r.operations.includes('R'));
  const writable = object.resources.filter((r) => r.operations.includes('W'));
  switch (operation) {
    case 'read':
    case 'observe':
      if (resource !== undefined && !resource.operations.includes('R')) return fail('not-readable', given, unreadable(object, resource));
      if (readable.length === 0) return fail('not-readable', given, `${object.name} (object ${object.id}) has no readable resource; only the Bootstrap-Server writes it`);
      return located;
    case 'write':
      if (resource !== undefined && !resource.operations.includes('W')) return fail('not-writable', given, unwritable(object, resource));
      if (writable.length === 0) return fail('not-writable', given, `${object.name} (object ${object.id}) has no writable resource${object.resources.every((r) => r.operations === '') ? '; use bootstrap-write' : ''}`);
      return located;
    case 'create':
    case 'delete':
      if (writable.length === 0) return fail('not-writable', given, `${object.name} (object ${object.id}) instances are managed by the client${object.resources.every((r) => r.operations === '') ? ' and the Bootstrap-Server' : ''}, not created or deleted by the server`);
      return located;
    case 'execute':
      return resource!.operations === 'E' ? located : fail('not-executable', given, `${resourceName(object, resource!)} is not an Execute resource (operations: ${resource!.operations || 'none'})`);
    case 'bootstrap-write':
      return resource?.operations === 'E' ? fail('not-writable', given, unwritable(object, resource)) : located;
    case 'bootstrap-read':
      return BOOTSTRAP_READABLE_OBJECTS.includes(object.id)
        ? located
        : fail('not-readable', given, `Bootstrap-Read applies to the LwM2M Server (1) and Access Control (2) objects only, not ${object.name} (${object.id})`);
    default:
      return located;
  }
};

// TextEncoder, not Buffer: the console runs these same checks in the browser.
const utf8 = new TextEncoder();
const utf8Length = (text: string): number => utf8.encode(text).length;

/** The value as the resource's type, accepting "o:i" text for an Object Link; or why it is not one. */
const typedFor = (r: ResourceDefinition, value: unknown): { typed: TypedValue } | { problem: string } => {
  const type = r.type as ValueType;
  const candidate = type === 'Objlnk' && typeof value === 'string' ? (parseObjectLinkText(value) ?? value) : value;
  const mismatch = typeMismatch(type, candidate);
  if (mismatch !== undefined) return { problem: mismatch };
  return { typed: { type, value: candidate } as TypedValue };
};

const outOfRange = (r: ResourceDefinition, typed: TypedValue): string | undefined => {
  if (r.range !== undefined && (typed.type === 'Integer' || typed.type === 'Unsigned Integer' || typed.type === 'Time' || typed.type === 'Float')) {
    const v = typed.value;
    if (v < r.range.min || v > r.range.max) return `${describeValue(v)} is outside ${r.range.min}..${r.range.max}`;
  }
  if (r.length !== undefined && (typed.type === 'String' || typed.type === 'Opaque')) {
    const length = typed.type === 'String' ? utf8Length(typed.value) : typed.value.length;
    const { min, max, oneOf } = r.length;
    if (oneOf !== undefined ? !oneOf.includes(length) : length < min || length > max) {
      return `is ${length} bytes long; ${r.name} must be ${oneOf !== undefined ? oneOf.join(', ') : `${min}..${max}`} bytes`;
    }
  }
  return undefined;
};

/** Instance values of a multiple resource: an array (instance ids 0..n-1) or an object keyed by instance id. */
const instancesOf = (value: unknown): [number, unknown][] | undefined => {
  if (Array.isArray(value)) return value.map((v, i): [number, unknown] => [i, v]);
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return undefined;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0 || !entries.every(([k]) => /^(0|[1-9]\d{0,4})$/.test(k) && Number(k) < 65535)) return undefined;
  return entries.map(([k, v]): [number, unknown] => [Number(k), v]);
};

/**
 * Whether `value` is a valid value for the resource at `path` (a resource or resource
 * instance): the object and resource exist and take a value, and the value has the resource's
 * type and lies in its range (numbers) or length (String, Opaque). A multiple resource at its
 * resource path takes an array or an object keyed by instance id. Returns the typed values to
 * encode, or what is wrong. Writability is checkOperation's question.
 */
export const checkValue = (path: string | Lwm2mPath, value: unknown, model: ObjectModel = DEFAULT_OBJECT_MODEL): Checked<ResourceValue[]> => {
  const given = givenText(path);
  const parsed = parse(path, ['resource', 'resource-instance'], 'a value belongs to a resource or resource instance');
  if (!parsed.ok) return parsed;
  const located = locate(given, parsed.value, model);
  if (!located.ok) return located;
  const object = located.value.object!;
  const r = located.value.resource!;
  if (r.type === 'none') return fail('not-writable', given, unwritable(object, r));
  const ids = parsed.value;
  let entries: [string, unknown][];
  if (r.multiple && ids.length === 3) {
    const instances = instancesOf(value);
    if (instances === undefined) {
      return fail('wrong-type', given, `${resourceName(object, r)} is a multiple resource: give an array, or an object keyed by instance id, of ${r.type} values (or write one instance at ${label(ids)}/<instance>)`);
    }
    entries = instances.map(([id, v]) => [label([...ids, id]), v]);
  } else {
    if (Array.isArray(value)) return fail('wrong-type', given, `${resourceName(object, r)} takes one ${r.type}, not an array`);
    entries = [[label(ids), value]];
  }
  const out: ResourceValue[] = [];
  for (const [at, v] of entries) {
    const result = typedFor(r, v);
    if ('problem' in result) return fail('wrong-type', at, `${resourceName(object, r)}: ${result.problem}`);
    const range = outOfRange(r, result.typed);
    if (range !== undefined) return fail('out-of-range', at, `${resourceName(object, r)}: ${range}`);
    out.push({ path: at, ...result.typed });
  }
  return { ok: true, value: out };
};
