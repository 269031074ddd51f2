import type { InboundRequest, OutboundResponse } from './coap/endpoint.ts';
import { Code, Method } from './coap/message.ts';
import { Option, stringOptions, uintOption } from './coap/options.ts';
import type { Payload } from './payload.ts';
import type { Registration, Registrations } from './registrations.ts';
import type { RejectionKind } from './stats.ts';
import type { PeerAddress } from './transport.ts';

/**
 * The Send operation (LwM2M Core 1.1 §6.4.6): POST /dp from a registered client, SenML JSON/CBOR
 * (or LwM2M CBOR in 1.2) payload, answered 2.04 Changed. The client is recognised by the address
 * its registration came from (and by identity once a DTLS transport proves one). The payload is not
 * decoded here, so 4.04 ("reported object not registered") is for whoever decodes it to decide.
 */

export interface SendInterfaceContext {
  readonly registrations: Registrations;
  readonly contentFormats: readonly number[];
  readonly reject: (kind: RejectionKind, peer: PeerAddress, reason: string) => void;
  readonly received: (registration: Registration, payload: Payload) => void;
}

const refuse = (code: number, reason: string): OutboundResponse => ({ code, payload: Buffer.from(reason, 'utf8') });

export const handleSendInterface = (ctx: SendInterfaceContext, request: InboundRequest): OutboundResponse | undefined => {
  const path = stringOptions(request.message, Option.URI_PATH);
  if (path[0] !== 'dp') return undefined;
  if (path.length !== 1) {
    ctx.reject('not-found', request.peer, `no resource at /${path.join('/')}`);
    return refuse(Code.NOT_FOUND, `no resource at /${path.join('/')}`);
  }
  if (request.message.code !== Method.POST) {
    ctx.reject('method-not-allowed', request.peer, '/dp takes POST (Send) only');
    return refuse(Code.METHOD_NOT_ALLOWED, '/dp takes POST (Send) only');
  }
  const registration = ctx.registrations.byAddress(request.peer);
  if (registration === undefined || (registration.identity !== undefined && registration.identity !== request.identity)) {
    const reason = 'Send from an address with no registration; register (or update after an address change) first';
    ctx.reject('send-not-registered', request.peer, reason);
    // Transport 1.1.1 Table 6.7-4 lists 2.04, 4.00 and 4.04 for Send; 4.04 means an unregistered object, so 4.00.
    return refuse(Code.BAD_REQUEST, reason);
  }
  const contentFormat = uintOption(request.message, Option.CONTENT_FORMAT);
  if (contentFormat === undefined || !ctx.contentFormats.includes(contentFormat)) {
    const reason = `Send takes Content-Format ${ctx.contentFormats.join(', ')}; got ${contentFormat ?? 'none'}`;
    ctx.reject('unsupported-content-format', request.peer, reason);
    return refuse(Code.UNSUPPORTED_CONTENT_FORMAT, reason);
  }
  if (request.payload.length === 0) {
    ctx.reject('bad-send', request.peer, 'Send with an empty payload');
    return refuse(Code.BAD_REQUEST, 'Send needs a payload');
  }
  ctx.received(registration, { contentFormat, bytes: request.payload });
  return { code: Code.CHANGED };
};
