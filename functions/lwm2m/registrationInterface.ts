import type { InboundRequest, OutboundResponse } from './coap/endpoint.ts';
import { Code, Method } from './coap/message.ts';
import { Option, option, stringOptions, uintOption } from './coap/options.ts';
import type { LinkFormatLimits } from './linkFormat.ts';
import { ContentFormat } from './payload.ts';
import type { AddressRateLimiter } from './rateLimiter.ts';
import { readObjectLinks, type ObjectLinks } from './registrationObjects.ts';
import { parseRegisterQuery, parseUpdateQuery } from './registrationQuery.ts';
import type { Registration, Registrations } from './registrations.ts';
import type { RejectionKind } from './stats.ts';
import type { PeerAddress } from './transport.ts';

/**
 * The Client Registration Interface (LwM2M Core 1.1 §6.2, Transport §6.4.2):
 *
 *   POST   /rd?ep=..&lt=..&lwm2m=..&b=..[&Q]   Register    → 2.01 Created, Location-Path: rd/{id}
 *   POST   /rd/{id}[?lt=..&b=..]               Update      → 2.04 Changed
 *   DELETE /rd/{id}                            De-register → 2.02 Deleted
 *
 * Refusals: 4.00 (query or body broken), 4.03 (endpoint name not the authenticated identity's),
 * 4.04 (unknown location), 4.05 (other methods),
 * 4.12 (LwM2M version not supported), 4.15 (body not link format), 5.03 + Max-Age (rate limit,
 * server full).
 */

export interface RegistrationInterfaceContext {
  readonly registrations: Registrations;
  readonly rateLimiter: AddressRateLimiter;
  readonly maxRegistrations: number;
  readonly linkLimits: LinkFormatLimits;
  readonly reject: (kind: RejectionKind, peer: PeerAddress, reason: string) => void;
  /** The device spoke: send what waits for it (queue mode). */
  readonly heardFrom: (registration: Registration) => void;
  /** An authenticated peer asked to register under another endpoint name (refused with 4.03). */
  readonly identityRefused?: (refusal: IdentityRefusal) => void;
}

export interface IdentityRefusal {
  readonly peer: PeerAddress;
  /** Who the transport authenticated the peer as (DTLS: the device its PSK belongs to). */
  readonly identity: string;
  /** The endpoint name it asked for. */
  readonly endpoint: string;
}

const EMPTY_LINKS: ObjectLinks = { rootPath: '', contentFormats: [], objects: [], otherLinks: [] };

const refuse = (code: number, reason: string, options: OutboundResponse['options'] = []): OutboundResponse => ({
  code,
  options,
  payload: Buffer.from(reason, 'utf8'),
});

/** Handles /rd and /rd/{id}; undefined for any other path. */
export const handleRegistrationInterface = (ctx: RegistrationInterfaceContext, request: InboundRequest): OutboundResponse | undefined => {
  const path = stringOptions(request.message, Option.URI_PATH);
  if (path[0] !== 'rd') return undefined;
  const method = request.message.code;
  if (path.length === 1) {
    if (method !== Method.POST) {
      ctx.reject('method-not-allowed', request.peer, '/rd takes POST (Register) only');
      return refuse(Code.METHOD_NOT_ALLOWED, '/rd takes POST (Register) only');
    }
    return register(ctx, request);
  }
  if (path.length === 2) {
    if (method === Method.POST) return update(ctx, request, path[1]!);
    if (method === Method.DELETE) return deregister(ctx, request, path[1]!);
    ctx.reject('method-not-allowed', request.peer, '/rd/{location} takes POST (Update) or DELETE (De-register)');
    return refuse(Code.METHOD_NOT_ALLOWED, '/rd/{location} takes POST (Update) or DELETE (De-register)');
  }
  ctx.reject('not-found', request.peer, `no resource at /${path.join('/')}`);
  return refuse(Code.NOT_FOUND, `no resource at /${path.join('/')}`);
};

/** The body's objects, or a refusal. An empty body is an empty object list. */
const readBody = (ctx: RegistrationInterfaceContext, request: InboundRequest): ObjectLinks | OutboundResponse => {
  const contentFormat = uintOption(request.message, Option.CONTENT_FORMAT);
  if (contentFormat !== undefined && contentFormat !== ContentFormat.LINK_FORMAT) {
    const reason = `the registration body must be application/link-format (40), not Content-Format ${contentFormat}`;
    ctx.reject('unsupported-content-format', request.peer, reason);
    return refuse(Code.UNSUPPORTED_CONTENT_FORMAT, reason);
  }
  if (request.payload.length === 0) return EMPTY_LINKS;
  const links = readObjectLinks(request.payload, ctx.linkLimits);
  if (!links.ok) {
    ctx.reject('bad-link-format', request.peer, links.reason);
    return refuse(Code.BAD_REQUEST, links.reason);
  }
  return links.value;
};

const isResponse = (x: ObjectLinks | OutboundResponse): x is OutboundResponse => 'code' in x;

/**
 * An authenticated peer registers only as itself: the transport's identity (DTLS: the device its
 * PSK belongs to) must be the endpoint name. And a registration made under an identity is replaced
 * only under the same one, so plain CoAP (no identity) cannot take over a device's registration.
 */
const identityRefusal = (identity: string | undefined, endpoint: string, existing: Registration | undefined): string | undefined => {
  if (identity !== undefined && identity !== endpoint) {
    return `this session is authenticated as '${identity}' and may register only as endpoint '${identity}', not '${endpoint}'`;
  }
  if (existing?.identity !== undefined && existing.identity !== identity) {
    return `endpoint '${endpoint}' is registered over an authenticated session; register with its own credentials (coaps) to replace it`;
  }
  return undefined;
};

const register = (ctx: RegistrationInterfaceContext, request: InboundRequest): OutboundResponse => {
  // Rate first: a flood of broken Registers must cost as little as a flood of good ones.
  const rate = ctx.rateLimiter.take(request.peer.address);
  if (!rate.allowed) {
    const reason = `too many Register requests from ${request.peer.address}; retry in ${rate.retryAfterSeconds} s`;
    ctx.reject('rate-limited', request.peer, reason);
    return refuse(Code.SERVICE_UNAVAILABLE, reason, [option(Option.MAX_AGE, rate.retryAfterSeconds)]);
  }
  const query = parseRegisterQuery(stringOptions(request.message, Option.URI_QUERY));
  if (!query.ok) {
    ctx.reject(query.unsupportedVersion ? 'unsupported-lwm2m-version' : 'bad-registration', request.peer, query.reason);
    return refuse(query.unsupportedVersion ? Code.PRECONDITION_FAILED : Code.BAD_REQUEST, query.reason);
  }
  const existing = ctx.registrations.byEndpointName(query.value.endpoint);
  const forbidden = identityRefusal(request.identity, query.value.endpoint, existing);
  if (forbidden !== undefined) {
    ctx.reject('identity-mismatch', request.peer, forbidden);
    if (request.identity !== undefined) ctx.identityRefused?.({ peer: request.peer, identity: request.identity, endpoint: query.value.endpoint });
    return refuse(Code.FORBIDDEN, forbidden);
  }
  const body = readBody(ctx, request);
  if (isResponse(body)) return body;
  if (existing === undefined && ctx.registrations.size >= ctx.maxRegistrations) {
    const reason = `the server holds its maximum of ${ctx.maxRegistrations} registrations; retry later`;
    ctx.reject('server-full', request.peer, reason);
    return refuse(Code.SERVICE_UNAVAILABLE, reason, [option(Option.MAX_AGE, 60)]);
  }
  const registration = ctx.registrations.register(query.value, body, request.peer, request.identity);
  ctx.heardFrom(registration);
  return {
    code: Code.CREATED,
    options: [option(Option.LOCATION_PATH, Buffer.from('rd')), option(Option.LOCATION_PATH, Buffer.from(registration.id))],
  };
};

/** A location the caller may act on: it exists, and an authenticated peer owns it. */
const ownedRegistration = (ctx: RegistrationInterfaceContext, request: InboundRequest, id: string, operation: string): Registration | OutboundResponse => {
  const registration = ctx.registrations.get(id);
  // With an authenticating transport another identity gets the same 4.04 as a wrong id: no oracle.
  if (registration === undefined || (registration.identity !== undefined && registration.identity !== request.identity)) {
    const reason = `${operation}: no registration at /rd/${id} (expired, replaced, or never made); register again`;
    ctx.reject('unknown-registration', request.peer, reason);
    return refuse(Code.NOT_FOUND, reason);
  }
  return registration;
};

const update = (ctx: RegistrationInterfaceContext, request: InboundRequest, id: string): OutboundResponse => {
  const registration = ownedRegistration(ctx, request, id, 'Update');
  if ('code' in registration) return registration;
  const query = parseUpdateQuery(stringOptions(request.message, Option.URI_QUERY));
  if (!query.ok) {
    ctx.reject('bad-registration', request.peer, query.reason);
    return refuse(Code.BAD_REQUEST, query.reason);
  }
  let objects: ObjectLinks | undefined;
  if (request.payload.length > 0) {
    const body = readBody(ctx, request);
    if (isResponse(body)) return body;
    objects = body;
  }
  const updated = ctx.registrations.update(registration.id, query.value, objects, request.peer);
  if (updated !== undefined) ctx.heardFrom(updated);
  return { code: Code.CHANGED };
};

const deregister = (ctx: RegistrationInterfaceContext, request: InboundRequest, id: string): OutboundResponse => {
  const registration = ownedRegistration(ctx, request, id, 'De-register');
  if ('code' in registration) return registration;
  ctx.registrations.remove(registration.id, 'deregistered');
  return { code: Code.DELETED };
};
