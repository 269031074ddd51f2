import { Code, formatCode, Method, type CoapMessage } from '../lwm2m/coap/message.ts';
import { Option, option, stringOptions, uintOption } from '../lwm2m/coap/options.ts';
import {
  CodecError,
  CONTENT_FORMAT,
  decodePayload,
  encodePayload,
  type Lwm2mVersion,
  type ResourceDefinition,
  type ResourceValue,
  type TypedValue,
} from '../../schemas/lwm2m/index.ts';
import type { DeviceResponse, ServerRequest } from './coapClient.ts';
import { answerFormat, formatsFor } from './contentFormats.ts';
import { applyChanges, parseAttributeQuery, type AttributeStore } from './notificationAttributes.ts';
import type { Observations } from './observations.ts';
import { multiple, single, type ObjectTree, type ResourceContent } from './objectTree.ts';

/**
 * The client side of Device Management and Information Reporting (LwM2M Core 1.1 §6.3, §6.4;
 * Transport §6.4 for the CoAP mapping): what the server's requests do to the object tree.
 *
 *   GET    Accept 40          Discover          PUT  with a body    Write (replace)
 *   GET    Observe 0 / 1      Observe / Cancel  PUT  query only     Write-Attributes
 *   GET                       Read              POST /o             Create
 *   DELETE /o/i               Delete            POST /o/i           Write (partial update)
 *                                               POST /o/i/r         Execute (or a partial update of a multiple resource)
 *
 * Refusals follow the spec's codes: 4.04 for what the device does not have, 4.05 for an operation
 * the resource does not allow, 4.06 for an Accept it cannot answer in, 4.15 for a body it cannot
 * read, 4.00 for a body or query that is wrong, and 4.01 for the Security object, which only a
 * Bootstrap-Server may touch.
 */

export interface OperationRecord {
  readonly operation: 'read' | 'discover' | 'observe' | 'cancel-observation' | 'write' | 'write-attributes' | 'execute' | 'create' | 'delete' | 'unknown';
  readonly path: string;
  /** '2.05', '4.04' ... */
  readonly code: string;
}

export interface ManagementContext {
  readonly tree: ObjectTree;
  readonly version: Lwm2mVersion;
  readonly attributes: AttributeStore;
  readonly observations: Observations;
  /** The device clock, for SenML relative times in writes. */
  readonly nowSeconds: () => number;
  /** The next Observe sequence number (24 bits). */
  readonly nextSequence: () => number;
  readonly onOperation?: (record: OperationRecord) => void;
}

type Refusal = { readonly ok: false; readonly response: DeviceResponse };
const refuse = (code: number, reason: string): Refusal => ({ ok: false, response: { code, payload: Buffer.from(reason, 'utf8') } });

const SECURITY_OBJECT = 0;
const ID = /^(0|[1-9]\d{0,4})$/;
const NUMERIC_TYPES = new Set(['Integer', 'Unsigned Integer', 'Float']);

const pathText = (ids: readonly number[]): string => `/${ids.join('/')}`;

/** What a path names on this device, once every level of it has been found. */
interface Located {
  readonly ids: readonly number[];
  readonly resource?: ResourceDefinition;
}

const locate = (ctx: ManagementContext, ids: readonly number[]): { ok: true; value: Located } | Refusal => {
  const [objectId, instanceId, resourceId, resourceInstanceId] = ids;
  if (objectId === undefined) return refuse(Code.METHOD_NOT_ALLOWED, 'name an object: operations on the root are for a Bootstrap-Server');
  const behaviour = ctx.tree.behaviour(objectId);
  if (behaviour === undefined) return refuse(Code.NOT_FOUND, `this device has no object ${objectId}`);
  if (instanceId === undefined) return { ok: true, value: { ids } };
  if (!ctx.tree.hasInstance(objectId, instanceId)) return refuse(Code.NOT_FOUND, `/${objectId}/${instanceId} does not exist`);
  if (resourceId === undefined) return { ok: true, value: { ids } };
  const resource = ctx.tree.definitionOf(objectId, resourceId);
  if (resource === undefined) return refuse(Code.NOT_FOUND, `${behaviour.definition.name} on this device has no resource ${resourceId}`);
  if (resourceInstanceId !== undefined && !resource.multiple) return refuse(Code.NOT_FOUND, `${pathText(ids.slice(0, 3))} is a single resource: it has no instances`);
  return { ok: true, value: { ids, resource } };
};

/** Which operation a request is, by method, path depth and options (Transport §6.4 mapping). */
const operationOf = (ctx: ManagementContext, message: CoapMessage, ids: readonly number[], hasBody: boolean): OperationRecord['operation'] => {
  switch (message.code) {
    case Method.GET: {
      if (uintOption(message, Option.ACCEPT) === CONTENT_FORMAT.LINK_FORMAT) return 'discover';
      const observe = uintOption(message, Option.OBSERVE);
      return observe === 0 ? 'observe' : observe === 1 ? 'cancel-observation' : 'read';
    }
    case Method.PUT: {
      const attributesOnly = !hasBody && uintOption(message, Option.CONTENT_FORMAT) === undefined && stringOptions(message, Option.URI_QUERY).length > 0;
      return attributesOnly ? 'write-attributes' : 'write';
    }
    case Method.POST:
      if (ids.length === 1) return 'create';
      return ids.length === 3 && ctx.tree.definitionOf(ids[0]!, ids[2]!)?.operations === 'E' ? 'execute' : 'write';
    case Method.DELETE:
      return 'delete';
    default:
      return 'unknown';
  }
};

const parseIds = (segments: readonly string[]): number[] | undefined => {
  if (segments.length > 4 || !segments.every((s) => ID.test(s) && Number(s) <= 65534)) return undefined;
  return segments.map(Number);
};

/** Answers one request from the server. Refusals are answers, never throws (a throw would be a bug, which coapClient answers 5.00). */
export const handleManagementRequest = (ctx: ManagementContext, request: ServerRequest): DeviceResponse => {
  const { message } = request;
  const segments = stringOptions(message, Option.URI_PATH);
  const ids = parseIds(segments);
  const record = (operation: OperationRecord['operation'], response: DeviceResponse): DeviceResponse => {
    ctx.onOperation?.({ operation, path: ids === undefined ? `/${segments.join('/')}` : pathText(ids), code: formatCode(response.code) });
    return response;
  };
  if (ids === undefined) return record('unknown', refuse(Code.NOT_FOUND, `/${segments.join('/')} is not an LwM2M path on this device`).response);
  const method = message.code;
  const query = stringOptions(message, Option.URI_QUERY);
  const contentFormat = uintOption(message, Option.CONTENT_FORMAT);
  const accept = uintOption(message, Option.ACCEPT);
  const operation = operationOf(ctx, message, ids, request.payload.length > 0);
  if (operation === 'unknown') return record(operation, refuse(Code.METHOD_NOT_ALLOWED, 'this device takes GET, PUT, POST and DELETE').response);
  if (ids[0] === SECURITY_OBJECT) return record(operation, refuse(Code.UNAUTHORIZED, 'the Security object is for the Bootstrap-Server only').response);
  let located = locate(ctx, ids);
  let creating = false;
  if (!located.ok && operation === 'write' && createsOnWrite(ctx, ids)) {
    // Bootstrap through the management interface: the write brings the instance into being.
    const resource = ids[2] === undefined ? undefined : ctx.tree.definitionOf(ids[0]!, ids[2]);
    if (ids[2] !== undefined && resource === undefined) return record(operation, located.response);
    creating = true;
    located = { ok: true, value: { ids, ...(resource !== undefined ? { resource } : {}) } };
  }
  if (!located.ok) return record(operation, located.response);
  const target = located.value;
  switch (operation) {
    case 'read':
      return record(operation, respondRead(ctx, target, accept));
    case 'observe':
      return record(operation, observe(ctx, target, accept, message.token));
    case 'cancel-observation':
      ctx.observations.remove(message.token);
      return record(operation, respondRead(ctx, target, accept));
    case 'discover':
      return record(operation, discover(ctx, target));
    case 'write':
      return record(operation, write(ctx, target, method === Method.PUT ? 'replace' : 'update', contentFormat, request.payload, creating));
    case 'write-attributes':
      return record(operation, writeAttributes(ctx, target, query));
    case 'execute':
      return record(operation, execute(ctx, target, request.payload));
    case 'create':
      return record(operation, create(ctx, target, contentFormat, request.payload));
    case 'delete':
      return record(operation, remove(ctx, target));
  }
};

// --- Read, Observe -----------------------------------------------------------------------------

export type ReadResult = { readonly ok: true; readonly contentFormat: number; readonly bytes: Buffer } | Refusal;

/** The current value(s) at a located path in the format asked for; also what notifications carry. */
export const readAt = (ctx: ManagementContext, target: Located, accept: number | undefined): ReadResult => {
  const { ids, resource } = target;
  if (ids.length === 1 && ctx.tree.behaviour(ids[0]!)?.definition.resources.every((r) => !r.operations.includes('R'))) {
    return refuse(Code.METHOD_NOT_ALLOWED, `object ${ids[0]} has no readable resource`);
  }
  if (resource !== undefined && !resource.operations.includes('R')) {
    return refuse(Code.METHOD_NOT_ALLOWED, resource.operations === 'E' ? `${resource.name} is executed, not read` : `${resource.name} is write-only`);
  }
  if (resource !== undefined && ctx.tree.get(ids[0]!, ids[1]!, ids[2]!) === undefined) return refuse(Code.NOT_FOUND, `${pathText(ids)} holds no value`);
  const values = ctx.tree.values(ids, true);
  if (ids.length === 4 && values.length === 0) return refuse(Code.NOT_FOUND, `${pathText(ids)} does not exist`);
  const singleValue = ids.length === 4 || (ids.length === 3 && resource?.multiple === false);
  const format = answerFormat(ctx.version, accept, singleValue, resource);
  if (!format.ok) return refuse(Code.NOT_ACCEPTABLE, format.reason);
  try {
    return { ok: true, contentFormat: format.contentFormat, bytes: Buffer.from(encodePayload(format.contentFormat, values, { path: pathText(ids) })) };
  } catch (error) {
    return refuse(Code.INTERNAL_SERVER_ERROR, `cannot encode ${pathText(ids)}: ${error instanceof Error ? error.message : String(error)}`);
  }
};

/** Locates and reads a path by its ids (notifications re-read their path each time). */
export const readPath = (ctx: ManagementContext, ids: readonly number[], accept: number | undefined): ReadResult => {
  const located = locate(ctx, ids);
  return located.ok ? readAt(ctx, located.value, accept) : located;
};

const respondRead = (ctx: ManagementContext, target: Located, accept: number | undefined): DeviceResponse => {
  const result = readAt(ctx, target, accept);
  if (!result.ok) return result.response;
  return { code: Code.CONTENT, options: [option(Option.CONTENT_FORMAT, result.contentFormat)], payload: result.bytes };
};

const observe = (ctx: ManagementContext, target: Located, accept: number | undefined, token: Buffer): DeviceResponse => {
  const result = readAt(ctx, target, accept);
  if (!result.ok) return result.response;
  ctx.observations.add(token, target.ids, result.contentFormat);
  return {
    code: Code.CONTENT,
    options: [option(Option.OBSERVE, ctx.nextSequence()), option(Option.CONTENT_FORMAT, result.contentFormat)],
    payload: result.bytes,
  };
};

// --- Discover -----------------------------------------------------------------------------------

const discover = (ctx: ManagementContext, target: Located): DeviceResponse => {
  const { ids } = target;
  if (ids.length > 3) return refuse(Code.BAD_REQUEST, 'Discover takes an object, an instance or a resource').response;
  const [objectId, instanceId, resourceId] = ids as [number, number?, number?];
  const links: string[] = [];
  const resourceLink = (i: number, r: number) => {
    const content = ctx.tree.get(objectId, i, r);
    const dim = content?.multiple === true ? `;dim=${content.values.size}` : '';
    links.push(`</${objectId}/${i}/${r}>${dim}${ctx.attributes.linkParams([objectId, i, r])}`);
  };
  if (resourceId !== undefined) {
    resourceLink(instanceId!, resourceId);
  } else {
    if (instanceId === undefined) links.push(`</${objectId}>${ctx.attributes.linkParams([objectId])}`);
    for (const i of instanceId === undefined ? ctx.tree.instanceIds(objectId) : [instanceId]) {
      links.push(`</${objectId}/${i}>${ctx.attributes.linkParams([objectId, i])}`);
      for (const r of ctx.tree.resourceIds(objectId, i)) resourceLink(i, r);
    }
  }
  return { code: Code.CONTENT, options: [option(Option.CONTENT_FORMAT, CONTENT_FORMAT.LINK_FORMAT)], payload: Buffer.from(links.join(','), 'utf8') };
};

// --- Write, Create ------------------------------------------------------------------------------

/** Decoded values, grouped by instance, as the tree stores them. */
type InstanceContents = Map<number, Map<number, ResourceContent>>;

const decodeBody = (ctx: ManagementContext, contentFormat: number | undefined, payload: Buffer, path: string): { ok: true; values: ResourceValue[] } | Refusal => {
  const cf = contentFormat ?? CONTENT_FORMAT.TEXT_PLAIN;
  if (!formatsFor(ctx.version).includes(cf)) return refuse(Code.UNSUPPORTED_CONTENT_FORMAT, `this LwM2M ${ctx.version} client reads Content-Format ${formatsFor(ctx.version).join(', ')}, not ${cf}`);
  try {
    return { ok: true, values: decodePayload(cf, payload, path, { nowSeconds: ctx.nowSeconds() }) };
  } catch (error) {
    if (error instanceof CodecError && error.reason === 'unsupported-content-format') return refuse(Code.UNSUPPORTED_CONTENT_FORMAT, error.message);
    return refuse(Code.BAD_REQUEST, `the ${path} body does not decode: ${error instanceof Error ? error.message : String(error)}`);
  }
};

const outOfRange = (resource: ResourceDefinition, value: TypedValue): string | undefined => {
  if (resource.range === undefined || (typeof value.value !== 'number' && typeof value.value !== 'bigint')) return undefined;
  const n = Number(value.value);
  return n < resource.range.min || n > resource.range.max ? `${resource.name} takes ${resource.range.min}..${resource.range.max}, not ${n}` : undefined;
};

/**
 * Groups decoded values into per-instance contents and checks each against this device: the
 * resource exists here, the server may write it (`checkWritable`), the value is in range.
 */
const toContents = (ctx: ManagementContext, objectId: number, values: readonly ResourceValue[], checkWritable: boolean): { ok: true; value: InstanceContents } | Refusal => {
  const contents: InstanceContents = new Map();
  for (const v of values) {
    const [, instanceId, resourceId, resourceInstanceId] = v.path.split('/').slice(1).map(Number) as [number, number, number?, number?];
    if (resourceId === undefined) return refuse(Code.BAD_REQUEST, `${v.path}: a value must name a resource`);
    const resource = ctx.tree.definitionOf(objectId, resourceId);
    if (resource === undefined) return refuse(Code.NOT_FOUND, `${v.path}: this device has no such resource`);
    if (checkWritable && !resource.operations.includes('W')) return refuse(Code.METHOD_NOT_ALLOWED, `${v.path}: ${resource.name} cannot be written`);
    const { path: _path, time: _time, ...value } = v;
    const problem = outOfRange(resource, value);
    if (problem !== undefined) return refuse(Code.BAD_REQUEST, `${v.path}: ${problem}`);
    const instance = contents.get(instanceId) ?? new Map<number, ResourceContent>();
    contents.set(instanceId, instance);
    if (!resource.multiple) {
      if (resourceInstanceId !== undefined) return refuse(Code.BAD_REQUEST, `${v.path}: ${resource.name} is a single resource`);
      instance.set(resourceId, single(value));
      continue;
    }
    if (resourceInstanceId === undefined) return refuse(Code.BAD_REQUEST, `${v.path}: ${resource.name} is a multiple resource; name its instances`);
    const existing = instance.get(resourceId);
    const map = new Map(existing?.multiple === true ? existing.values : []);
    map.set(resourceInstanceId, value);
    instance.set(resourceId, multiple(map));
  }
  return { ok: true, value: contents };
};

const chain = (...steps: ((() => void) | undefined)[]): (() => void) | undefined => {
  const present = steps.filter((s): s is () => void => s !== undefined);
  return present.length === 0 ? undefined : () => present.forEach((s) => s());
};

const write = (ctx: ManagementContext, target: Located, mode: 'replace' | 'update', contentFormat: number | undefined, payload: Buffer, creating: boolean): DeviceResponse => {
  const { ids, resource } = target;
  const [objectId, instanceId, resourceId, resourceInstanceId] = ids as [number, number?, number?, number?];
  if (instanceId === undefined) return refuse(Code.METHOD_NOT_ALLOWED, 'Write takes an instance, a resource or a resource instance; Create adds instances').response;
  if (mode === 'update' && resourceInstanceId !== undefined) return refuse(Code.METHOD_NOT_ALLOWED, 'a partial update takes an instance or a multiple resource').response;
  if (mode === 'update' && resource !== undefined && !resource.multiple) return refuse(Code.METHOD_NOT_ALLOWED, `${resource.name} is a single resource: write it with PUT`).response;
  if (resource !== undefined && !resource.operations.includes('W')) return refuse(Code.METHOD_NOT_ALLOWED, `${resource.name} cannot be written`).response;
  const decoded = decodeBody(ctx, contentFormat, payload, pathText(ids));
  if (!decoded.ok) return decoded.response;
  const grouped = toContents(ctx, objectId, decoded.values, true);
  if (!grouped.ok) return grouped.response;
  const given = grouped.value.get(instanceId) ?? new Map<number, ResourceContent>();
  const behaviour = ctx.tree.behaviour(objectId)!;
  const invalid = behaviour.validate?.(instanceId, given);
  if (invalid !== undefined) return refuse(Code.BAD_REQUEST, invalid).response;
  const changes = new Map<number, ResourceContent | undefined>(given);
  if (resourceId !== undefined) {
    const current = ctx.tree.get(objectId, instanceId, resourceId);
    const incoming = given.get(resourceId);
    if (resource?.multiple === true && incoming?.multiple === true && (mode === 'update' || resourceInstanceId !== undefined) && current?.multiple === true) {
      // A partial update, or a write of one resource instance, keeps the other instances.
      changes.set(resourceId, multiple([...current.values, ...incoming.values]));
    } else if (incoming === undefined && resource?.multiple === true && mode === 'replace' && resourceInstanceId === undefined) {
      changes.set(resourceId, multiple([]));
    }
  } else if (mode === 'replace') {
    // Replacing an instance removes the optional writable resources the body leaves out.
    for (const r of behaviour.definition.resources) {
      if (!changes.has(r.id) && r.operations.includes('W') && !r.mandatory && ctx.tree.definitionOf(objectId, r.id) !== undefined) changes.set(r.id, undefined);
    }
  } else {
    for (const [r, content] of given) {
      const current = ctx.tree.get(objectId, instanceId, r);
      if (content.multiple && current?.multiple === true) changes.set(r, multiple([...current.values, ...content.values]));
    }
  }
  if (creating) ctx.tree.createInstance(objectId, instanceId);
  const changed = ctx.tree.setMany(objectId, instanceId, changes);
  const written = new Map(changed.map((id) => [id, changes.get(id)]));
  const after = chain(creating ? behaviour.instancesChanged?.(instanceId, 'created') : undefined, changed.length > 0 ? behaviour.written?.(instanceId, written) : undefined);
  return { code: Code.CHANGED, ...(after !== undefined ? { after } : {}) };
};

/** A write to an instance that does not exist yet, on an object that creates on write (18830). */
const createsOnWrite = (ctx: ManagementContext, ids: readonly number[]): boolean => {
  const [objectId, instanceId] = ids;
  if (objectId === undefined || instanceId === undefined) return false;
  return ctx.tree.behaviour(objectId)?.createOnWrite === true && !ctx.tree.hasInstance(objectId, instanceId);
};

const create = (ctx: ManagementContext, target: Located, contentFormat: number | undefined, payload: Buffer): DeviceResponse => {
  const objectId = target.ids[0]!;
  const behaviour = ctx.tree.behaviour(objectId)!;
  if (behaviour.creatable !== true) return refuse(Code.METHOD_NOT_ALLOWED, `${behaviour.definition.name} instances cannot be created on this device`).response;
  let decoded = decodeBody(ctx, contentFormat, payload, `/${objectId}`);
  let freeId = 0;
  while (ctx.tree.hasInstance(objectId, freeId)) freeId += 1;
  // A body of bare resources (no instance id): the client picks the instance (LwM2M 1.1 §6.3.4).
  if (!decoded.ok && decoded.response.code === Code.BAD_REQUEST) decoded = decodeBody(ctx, contentFormat, payload, `/${objectId}/${freeId}`);
  if (!decoded.ok) return decoded.response;
  const grouped = toContents(ctx, objectId, decoded.values, false);
  if (!grouped.ok) return grouped.response;
  if (grouped.value.size > 1) return refuse(Code.BAD_REQUEST, 'Create makes one instance; the body names several').response;
  const [instanceId, contents] = [...grouped.value][0] ?? [freeId, new Map<number, ResourceContent>()];
  if (ctx.tree.hasInstance(objectId, instanceId)) return refuse(Code.BAD_REQUEST, `/${objectId}/${instanceId} already exists`).response;
  const invalid = behaviour.validate?.(instanceId, contents);
  if (invalid !== undefined) return refuse(Code.BAD_REQUEST, invalid).response;
  ctx.tree.createInstance(objectId, instanceId, contents);
  const after = behaviour.instancesChanged?.(instanceId, 'created');
  return {
    code: Code.CREATED,
    options: [option(Option.LOCATION_PATH, String(objectId)), option(Option.LOCATION_PATH, String(instanceId))],
    ...(after !== undefined ? { after } : {}),
  };
};

const remove = (ctx: ManagementContext, target: Located): DeviceResponse => {
  const [objectId, instanceId] = target.ids as [number, number?];
  if (target.ids.length !== 2 || instanceId === undefined) return refuse(Code.METHOD_NOT_ALLOWED, 'Delete takes an object instance').response;
  const behaviour = ctx.tree.behaviour(objectId)!;
  if (behaviour.deletable !== true) return refuse(Code.METHOD_NOT_ALLOWED, `${behaviour.definition.name} instances cannot be deleted on this device`).response;
  ctx.tree.deleteInstance(objectId, instanceId);
  const after = behaviour.instancesChanged?.(instanceId, 'deleted');
  return { code: Code.DELETED, ...(after !== undefined ? { after } : {}) };
};

// --- Execute, Write-Attributes -------------------------------------------------------------------

const execute = (ctx: ManagementContext, target: Located, payload: Buffer): DeviceResponse => {
  const { ids, resource } = target;
  if (resource === undefined || ids.length !== 3) return refuse(Code.METHOD_NOT_ALLOWED, 'Execute takes a resource').response;
  const handler = ctx.tree.behaviour(ids[0]!)?.execute;
  if (handler === undefined) return refuse(Code.METHOD_NOT_ALLOWED, `${resource.name} has nothing to execute on this device`).response;
  const outcome = handler(ids[1]!, ids[2]!, payload.toString('utf8'));
  return {
    code: outcome.code ?? Code.CHANGED,
    ...(outcome.diagnostic !== undefined ? { payload: Buffer.from(outcome.diagnostic, 'utf8') } : {}),
    ...(outcome.after !== undefined ? { after: outcome.after } : {}),
  };
};

const writeAttributes = (ctx: ManagementContext, target: Located, query: readonly string[]): DeviceResponse => {
  const { ids, resource } = target;
  const numeric = resource !== undefined && NUMERIC_TYPES.has(resource.type);
  const parsed = parseAttributeQuery(query, numeric);
  if (!parsed.ok) return refuse(Code.BAD_REQUEST, parsed.reason).response;
  const next = applyChanges(ctx.attributes.at(ids), parsed.value);
  if (!next.ok) return refuse(Code.BAD_REQUEST, next.reason).response;
  ctx.attributes.set(ids, next.value);
  ctx.observations.attributesChanged();
  return { code: Code.CHANGED };
};
