import type { OutgoingRequest } from './coap/endpoint.ts';
import { Method, type CoapMessage } from './coap/message.ts';
import { Option, option, pathOptions, stringOptions, uintOption } from './coap/options.ts';
import { Lwm2mError } from './errors.ts';
import { formatLwm2mPath, parseLwm2mPath } from './lwm2mPath.ts';
import { ContentFormat, type Payload } from './payload.ts';

/**
 * The Device Management and Information Reporting operations (LwM2M Core 1.1 §6.3, §6.4;
 * Transport §6.4 mapping to CoAP) as CoAP requests. Pure: building a request checks the path
 * depth and arguments, so a bad call fails before anything is sent.
 */

export type Operation = 'read' | 'discover' | 'write' | 'write-attributes' | 'execute' | 'create' | 'delete' | 'observe' | 'cancel-observation';

/** What a successful operation resolves with: the code as LwM2M prints it and the payload. */
export interface Lwm2mResponse {
  /** '2.05' */
  readonly code: string;
  readonly payload?: Payload;
  /** Create: the new instance's path from Location-Path (e.g. '/3303/1'). */
  readonly location?: string;
}

/** Which path depths each operation takes: 1 object, 2 instance, 3 resource, 4 resource instance. */
const DEPTHS: Record<Operation, readonly number[]> = {
  read: [1, 2, 3, 4],
  discover: [1, 2, 3],
  write: [2, 3, 4],
  'write-attributes': [1, 2, 3, 4],
  execute: [3],
  create: [1],
  delete: [2, 4],
  observe: [1, 2, 3, 4],
  'cancel-observation': [1, 2, 3, 4],
};

/** The canonical path ('/3/0/1'); throws Lwm2mError 'invalid-request' for bad syntax or depth. */
export const checkPath = (operation: Operation, path: string): string => {
  const parsed = parseLwm2mPath(path);
  if (!parsed.ok) throw new Lwm2mError('invalid-request', `${operation}: ${parsed.reason}`);
  if (!DEPTHS[operation].includes(parsed.depth)) {
    const names = ['', 'an object', 'an object instance', 'a resource', 'a resource instance'];
    throw new Lwm2mError(
      'invalid-request',
      `${operation} does not apply to ${names[parsed.depth]} (${path}); it takes ${DEPTHS[operation].map((d) => names[d]).join(' or ')}`,
    );
  }
  return formatLwm2mPath(parsed.path);
};

const uri = (rootPath: string, path: string) => pathOptions(`${rootPath}${path}`);

export const readRequest = (rootPath: string, path: string, accept: number | undefined): OutgoingRequest => ({
  code: Method.GET,
  options: [...uri(rootPath, path), ...(accept !== undefined ? [option(Option.ACCEPT, accept)] : [])],
});

export const discoverRequest = (rootPath: string, path: string): OutgoingRequest => ({
  code: Method.GET,
  options: [...uri(rootPath, path), option(Option.ACCEPT, ContentFormat.LINK_FORMAT)],
});

/** Replace is PUT (§6.3.3 "Write: replace"), partial update is POST on an instance or resource. */
export const writeRequest = (rootPath: string, path: string, payload: Payload, mode: 'replace' | 'update'): OutgoingRequest => {
  if (mode === 'update' && path.split('/').length > 4) {
    throw new Lwm2mError('invalid-request', `write (partial update) does not apply to a resource instance (${path}); use replace`);
  }
  return {
    code: mode === 'replace' ? Method.PUT : Method.POST,
    options: [...uri(rootPath, path), option(Option.CONTENT_FORMAT, payload.contentFormat)],
    payload: Buffer.from(payload.bytes),
  };
};

export const executeRequest = (rootPath: string, path: string, args: string | undefined): OutgoingRequest => ({
  code: Method.POST,
  options: [...uri(rootPath, path), ...(args !== undefined && args.length > 0 ? [option(Option.CONTENT_FORMAT, ContentFormat.TEXT)] : [])],
  ...(args !== undefined && args.length > 0 ? { payload: Buffer.from(args, 'utf8') } : {}),
});

export const createRequest = (rootPath: string, path: string, payload: Payload): OutgoingRequest => ({
  code: Method.POST,
  options: [...uri(rootPath, path), option(Option.CONTENT_FORMAT, payload.contentFormat)],
  payload: Buffer.from(payload.bytes),
});

export const deleteRequest = (rootPath: string, path: string): OutgoingRequest => ({
  code: Method.DELETE,
  options: uri(rootPath, path),
});

export const observeRequest = (rootPath: string, path: string, accept: number | undefined, token: Buffer, cancel: boolean): OutgoingRequest => ({
  code: Method.GET,
  options: [...uri(rootPath, path), option(Option.OBSERVE, cancel ? 1 : 0), ...(accept !== undefined ? [option(Option.ACCEPT, accept)] : [])],
  token,
});

/**
 * Notification attributes (LwM2M Core 1.1 §5.1.2, 1.2 adds edge/con/hqmax): a number sets one,
 * null removes it (sent as `?pmin` without a value).
 */
export interface WriteAttributes {
  readonly pmin?: number | null;
  readonly pmax?: number | null;
  readonly gt?: number | null;
  readonly lt?: number | null;
  readonly st?: number | null;
  readonly epmin?: number | null;
  readonly epmax?: number | null;
  readonly edge?: 0 | 1 | null;
  readonly con?: 0 | 1 | null;
  readonly hqmax?: number | null;
}

const INTEGER_ATTRIBUTES = new Set(['pmin', 'pmax', 'epmin', 'epmax', 'hqmax']);
const FLAG_ATTRIBUTES = new Set(['edge', 'con']);
const NUMBER_ATTRIBUTES = new Set(['gt', 'lt', 'st']);

export const writeAttributesRequest = (rootPath: string, path: string, attributes: WriteAttributes): OutgoingRequest => {
  const query: string[] = [];
  for (const [name, value] of Object.entries(attributes) as [string, number | null | undefined][]) {
    if (value === undefined) continue;
    if (!INTEGER_ATTRIBUTES.has(name) && !FLAG_ATTRIBUTES.has(name) && !NUMBER_ATTRIBUTES.has(name)) {
      throw new Lwm2mError('invalid-request', `write-attributes: unknown attribute '${name}'; known: pmin, pmax, gt, lt, st, epmin, epmax, edge, con, hqmax`);
    }
    if (value === null) {
      query.push(name);
      continue;
    }
    const valid = Number.isFinite(value) && (INTEGER_ATTRIBUTES.has(name) ? Number.isInteger(value) && value >= 0 : FLAG_ATTRIBUTES.has(name) ? value === 0 || value === 1 : true);
    if (!valid) throw new Lwm2mError('invalid-request', `write-attributes: ${name}=${value} is not valid for ${name}`);
    query.push(`${name}=${value}`);
  }
  if (query.length === 0) throw new Lwm2mError('invalid-request', 'write-attributes: give at least one attribute (null removes one)');
  return { code: Method.PUT, options: [...uri(rootPath, path), ...query.map((q) => option(Option.URI_QUERY, q))] };
};

/** The payload of a response, with its Content-Format (text/plain when the device names none, as CoAP defaults). */
export const payloadOf = (message: CoapMessage): Payload | undefined =>
  message.payload.length === 0 ? undefined : { contentFormat: uintOption(message, Option.CONTENT_FORMAT) ?? ContentFormat.TEXT, bytes: message.payload };

/** A Create's Location-Path, relative to the client's root path: '/3303/1'. */
export const locationOf = (message: CoapMessage, rootPath: string): string | undefined => {
  const segments = stringOptions(message, Option.LOCATION_PATH);
  if (segments.length === 0) return undefined;
  const full = `/${segments.join('/')}`;
  return rootPath !== '' && full.startsWith(`${rootPath}/`) ? full.slice(rootPath.length) : full;
};
