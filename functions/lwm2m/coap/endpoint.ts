import { randomBytes } from 'node:crypto';
import { Lwm2mError, Lwm2mTimeoutError } from '../errors.ts';
import type { Lwm2mLog } from '../log.ts';
import type { Scheduler, TimerHandle } from '../scheduler.ts';
import type { MutableStats, RejectionKind } from '../stats.ts';
import { peerKey, type DatagramTransport, type InboundDatagram, type PeerAddress } from '../transport.ts';
import { BlockAssembler } from './blockAssembly.ts';
import { blockSize, decodeBlock, encodeBlock, szxFor } from './block.ts';
import { decodeCoap, encodeCoap, type EncodableMessage } from './codec.ts';
import { Code, codeClass, formatCode, kindOfCode, type CoapMessage, type CoapOption } from './message.ts';
import { firstOption, firstUnrecognizedCritical, Option, option, uintOption } from './options.ts';
import { RecentMessages } from './recentMessages.ts';
import type { CoapTiming } from './timing.ts';

/**
 * The CoAP message layer (RFC 7252 §4) and request/response layer (§5) over one datagram
 * transport, for a server that is also a client of its devices:
 *
 * - inbound requests are de-duplicated (§4.5), answered piggybacked in the ACK, and bodies sent in
 *   Block1 blocks are reassembled (RFC 7959) before the handler sees them;
 * - outbound requests leave from the same transport (devices drop datagrams from other ports),
 *   CONs are retransmitted with exponential back-off (§4.2), responses are matched by peer and
 *   token (ACKs and RSTs by peer and Message ID), large payloads go out in Block1 blocks and large
 *   answers are fetched block by block (Block2);
 * - a response nobody waits for (an Observe notification) is offered to `onUnmatchedResponse`,
 *   and answered with ACK or RST as it decides;
 * - every malformed or unwanted message is counted and answered as the RFCs say, never thrown.
 */

export interface InboundRequest {
  readonly peer: PeerAddress;
  readonly identity: string | undefined;
  readonly message: CoapMessage;
  /** The whole body: the message's payload, or the reassembled Block1 body. */
  readonly payload: Buffer;
}

export interface OutboundResponse {
  readonly code: number;
  readonly options?: readonly CoapOption[];
  readonly payload?: Buffer;
}

export interface OutgoingRequest {
  readonly code: number;
  /** Uri-Path, Uri-Query, Accept, Content-Format, Observe...; Block1/Block2 are added here. */
  readonly options: readonly CoapOption[];
  readonly payload?: Buffer | undefined;
  /** Default true (CON). */
  readonly confirmable?: boolean;
  /** Reuse a token (cancelling an observation with GET Observe=1); default: 8 fresh random bytes. */
  readonly token?: Buffer | undefined;
}

export interface EndpointLimits {
  /** Larger datagrams are refused (4.13 to a request). Default 4096. */
  readonly maxDatagramBytes: number;
  /** Largest request body accepted, in one datagram or reassembled from blocks. Default 65536. */
  readonly maxBodyBytes: number;
  /** Largest answer assembled from Block2 blocks. Default 1 MiB. */
  readonly maxResponseBytes: number;
  /** Block size for outgoing Block1 transfers and the preferred size for incoming ones. Default 1024. */
  readonly blockBytes: number;
  /** Entries in the duplicate-detection cache. Default 50,000. */
  readonly maxRecentMessages: number;
  /** Bodies being reassembled at once. Default 256. */
  readonly maxAssemblies: number;
}

export const defaultEndpointLimits: EndpointLimits = {
  maxDatagramBytes: 4096,
  maxBodyBytes: 65_536,
  maxResponseBytes: 1_048_576,
  blockBytes: 1024,
  maxRecentMessages: 50_000,
  maxAssemblies: 256,
};

export interface CoapEndpointOptions {
  readonly transport: DatagramTransport;
  readonly scheduler: Scheduler;
  readonly timing: CoapTiming;
  readonly limits: EndpointLimits;
  readonly stats: MutableStats;
  readonly log: Lwm2mLog;
  /** Counts and logs a refusal. */
  readonly reject: (kind: RejectionKind, peer: PeerAddress, reason: string) => void;
  readonly onRequest: (request: InboundRequest) => OutboundResponse;
  /** A CON/NON response that matches no outstanding request: accept (ACK a CON) or reject (RST). */
  readonly onUnmatchedResponse: (peer: PeerAddress, message: CoapMessage) => 'accept' | 'reject';
  /** Any well-formed message from a peer: it is awake (queue mode). */
  readonly onPeerActivity?: (peer: PeerAddress) => void;
  /** In [0, 1): picks the initial retransmission timeout. Default Math.random. */
  readonly random?: () => number;
}

/** Critical options this server acts on in requests; any other critical option gets 4.02. */
const UNDERSTOOD_IN_REQUESTS = new Set<number>([Option.URI_HOST, Option.URI_PORT, Option.URI_PATH, Option.URI_QUERY, Option.ACCEPT, Option.BLOCK1, Option.BLOCK2]);
const UNDERSTOOD_IN_RESPONSES = new Set<number>([Option.BLOCK1, Option.BLOCK2]);

interface Pending {
  readonly peer: PeerAddress;
  readonly tokenKey: string;
  readonly describe: string;
  settle(outcome: { message: CoapMessage } | { error: Error }): void;
}

interface Transmission {
  readonly pending: Pending;
  acknowledged(): void;
}

export class CoapEndpoint {
  private readonly recent: RecentMessages;
  private readonly assembler: BlockAssembler;
  /** Outstanding requests by peer + token. */
  private readonly pendingByToken = new Map<string, Pending>();
  /** CONs awaiting ACK/RST by peer + Message ID. */
  private readonly transmissions = new Map<string, Transmission>();
  private nextMessageId = Math.floor(Math.random() * 0x10000);
  private closed = false;
  private readonly random: () => number;

  constructor(private readonly options: CoapEndpointOptions) {
    this.random = options.random ?? Math.random;
    const now = () => options.scheduler.now();
    this.recent = new RecentMessages(options.timing.exchangeLifetimeMs, options.limits.maxRecentMessages, now);
    this.assembler = new BlockAssembler(
      {
        maxBodyBytes: options.limits.maxBodyBytes,
        maxAssemblies: options.limits.maxAssemblies,
        lifetimeMs: options.timing.exchangeLifetimeMs,
        preferredSzx: szxFor(options.limits.blockBytes),
      },
      now,
    );
    options.transport.onDatagram((datagram) => this.receive(datagram));
  }

  /** Outstanding requests (for stats and tests). */
  get outstanding(): number {
    return this.pendingByToken.size;
  }

  /**
   * Sends a request and resolves with the final response (any code), its payload assembled from
   * Block2 blocks. Rejects with Lwm2mTimeoutError, or Lwm2mError kinds 'reset', 'protocol', 'closed'.
   */
  async request(peer: PeerAddress, request: OutgoingRequest): Promise<CoapMessage> {
    const payload = request.payload ?? Buffer.alloc(0);
    const first =
      payload.length > this.options.limits.blockBytes ? await this.sendInBlocks(peer, request, payload) : await this.exchange(peer, request);
    return this.completeBlockwise(peer, request, first);
  }

  /**
   * When `first` is block 0 of a Block2 answer (a response or a notification), fetches the other
   * blocks with the same request (RFC 7959 §2.4, §3.4) and returns `first` with the whole payload.
   */
  async completeBlockwise(peer: PeerAddress, request: OutgoingRequest, first: CoapMessage): Promise<CoapMessage> {
    const block2Value = firstOption(first, Option.BLOCK2);
    if (block2Value === undefined) return first;
    const block = decodeBlock(block2Value);
    if (block === undefined) throw new Lwm2mError('protocol', `${describe(peer)} sent an unusable Block2 option`);
    if (!block.more) return { ...first, options: first.options.filter((o) => o.number !== Option.BLOCK2) };
    if (block.num !== 0) throw new Lwm2mError('protocol', `${describe(peer)} started a Block2 answer at block ${block.num}, not 0`);
    // RFC 7959 §2.2: a block with M=1 is exactly its size; a short one would have us ask for the same block forever.
    const fullBlock = (payload: Buffer, szx: number) => {
      if (payload.length !== blockSize(szx)) {
        throw new Lwm2mError('protocol', `${describe(peer)} sent a Block2 block with M=1 of ${payload.length} bytes instead of ${blockSize(szx)}`);
      }
    };
    fullBlock(first.payload, block.szx);
    const etag = firstOption(first, Option.ETAG);
    const chunks = [first.payload];
    let total = first.payload.length;
    let szx = block.szx;
    let nextOffset = first.payload.length;
    const base = request.options.filter((o) => o.number !== Option.OBSERVE && o.number !== Option.BLOCK1 && o.number !== Option.BLOCK2);
    for (;;) {
      const num = nextOffset / blockSize(szx);
      if (!Number.isInteger(num)) throw new Lwm2mError('protocol', `${describe(peer)} sent a Block2 block that does not end on a block boundary`);
      const next = await this.exchange(peer, {
        code: request.code,
        options: [...base, option(Option.BLOCK2, encodeBlock({ num, more: false, szx }))],
        confirmable: request.confirmable ?? true,
      });
      if (codeClass(next.code) !== 2) return next;
      const nextBlock = decodeBlock(firstOption(next, Option.BLOCK2) ?? Buffer.alloc(0));
      if (nextBlock === undefined || nextBlock.num * blockSize(nextBlock.szx) !== nextOffset) {
        throw new Lwm2mError('protocol', `${describe(peer)} answered block ${num} with another block`);
      }
      const nextEtag = firstOption(next, Option.ETAG);
      if (etag !== undefined && (nextEtag === undefined || !nextEtag.equals(etag))) {
        throw new Lwm2mError('protocol', `${describe(peer)}: the resource changed (ETag) while its blocks were fetched; read it again`);
      }
      if (nextBlock.more) fullBlock(next.payload, nextBlock.szx);
      total += next.payload.length;
      if (total > this.options.limits.maxResponseBytes) {
        throw new Lwm2mError('protocol', `${describe(peer)}: answer over ${this.options.limits.maxResponseBytes} bytes (maxResponseBytes)`);
      }
      chunks.push(next.payload);
      nextOffset += next.payload.length;
      szx = nextBlock.szx;
      if (!nextBlock.more) break;
    }
    return { ...first, options: first.options.filter((o) => o.number !== Option.BLOCK2), payload: Buffer.concat(chunks) };
  }

  /** Fails every outstanding request with kind 'closed' and forgets all state. The transport is the caller's. */
  close(): void {
    this.closed = true;
    for (const pending of [...this.pendingByToken.values()]) {
      pending.settle({ error: new Lwm2mError('closed', `the server closed before ${pending.describe} was answered`) });
    }
    this.recent.clear();
    this.assembler.clear();
  }

  // Block1 (RFC 7959 §2.5): each block waits for 2.31 Continue; the peer may ask for smaller blocks.
  private async sendInBlocks(peer: PeerAddress, request: OutgoingRequest, payload: Buffer): Promise<CoapMessage> {
    let szx = szxFor(this.options.limits.blockBytes);
    let offset = 0;
    for (;;) {
      const size = blockSize(szx);
      const num = offset / size;
      const chunk = payload.subarray(offset, offset + size);
      const more = offset + size < payload.length;
      const options = [...request.options, option(Option.BLOCK1, encodeBlock({ num, more, szx }))];
      if (num === 0) options.push(option(Option.SIZE1, payload.length));
      const response = await this.exchange(peer, { ...request, options, payload: chunk });
      if (!more || response.code !== Code.CONTINUE) return response;
      const ack = decodeBlock(firstOption(response, Option.BLOCK1) ?? Buffer.alloc(0));
      offset += chunk.length;
      if (ack !== undefined && ack.szx < szx) szx = ack.szx;
    }
  }

  /** One request, one response: the CON/NON state machine of RFC 7252 §4.2, §4.3, §5.2. */
  private exchange(peer: PeerAddress, request: OutgoingRequest): Promise<CoapMessage> {
    if (this.closed) return Promise.reject(new Lwm2mError('closed', 'the server is closed'));
    const token = request.token ?? randomBytes(8);
    const tokenKey = `${peerKey(peer)}#${token.toString('hex')}`;
    if (this.pendingByToken.has(tokenKey)) {
      return Promise.reject(new Lwm2mError('protocol', `token ${token.toString('hex')} is already in use towards ${describe(peer)}`));
    }
    const confirmable = request.confirmable ?? true;
    const messageId = this.allocateMessageId();
    const bytes = encodeCoap({ type: confirmable ? 'CON' : 'NON', code: request.code, messageId, token, options: request.options, payload: request.payload });
    const what = `${formatCode(request.code)} ${uriOf(request.options)} to ${describe(peer)}`;
    const midKey = `${peerKey(peer)}#${messageId}`;
    const { timing, scheduler, stats } = this.options;

    return new Promise<CoapMessage>((resolve, reject) => {
      let retransmitTimer: TimerHandle | undefined;
      let responseTimer: TimerHandle | undefined;
      const settle = (outcome: { message: CoapMessage } | { error: Error }) => {
        if (this.pendingByToken.get(tokenKey) !== pending) return;
        this.pendingByToken.delete(tokenKey);
        if (this.transmissions.get(midKey) === transmission) this.transmissions.delete(midKey);
        retransmitTimer?.cancel();
        responseTimer?.cancel();
        if ('message' in outcome) resolve(outcome.message);
        else reject(outcome.error);
      };
      const pending: Pending = { peer, tokenKey, describe: what, settle };
      const waitForResponse = (ms: number) => {
        responseTimer = scheduler.after(ms, () => {
          stats.timeouts += 1;
          settle({ error: new Lwm2mTimeoutError('no-response', ms, `${what}: acknowledged but no response within ${ms} ms`) });
        });
      };
      const transmission: Transmission = {
        pending,
        // An empty ACK: stop retransmitting and wait for the separate response (§5.2.2).
        acknowledged: () => {
          retransmitTimer?.cancel();
          this.transmissions.delete(midKey);
          waitForResponse(timing.separateResponseTimeoutMs);
        },
      };
      this.pendingByToken.set(tokenKey, pending);
      stats.requestsSent += 1;
      this.transmit(bytes, peer);
      if (!confirmable) {
        waitForResponse(timing.nonResponseTimeoutMs);
        return;
      }
      // Initial timeout random in [ACK_TIMEOUT, ACK_TIMEOUT * ACK_RANDOM_FACTOR), doubled per retransmission.
      let timeout = timing.ackTimeoutMs * (1 + this.random() * (timing.ackRandomFactor - 1));
      let waited = 0;
      let retransmissions = 0;
      const arm = () => {
        retransmitTimer = scheduler.after(timeout, () => {
          waited += timeout;
          if (retransmissions >= timing.maxRetransmit) {
            stats.timeouts += 1;
            const ms = Math.round(waited);
            settle({ error: new Lwm2mTimeoutError('no-ack', ms, `${what}: no ACK after ${retransmissions + 1} transmissions (${ms} ms)`) });
            return;
          }
          retransmissions += 1;
          stats.retransmissions += 1;
          timeout *= 2;
          this.transmit(bytes, peer);
          arm();
        });
      };
      this.transmissions.set(midKey, transmission);
      arm();
    });
  }

  private allocateMessageId(): number {
    this.nextMessageId = (this.nextMessageId + 1) & 0xffff;
    return this.nextMessageId;
  }

  private transmit(bytes: Buffer, peer: PeerAddress): void {
    this.options.stats.datagramsSent += 1;
    this.options.transport.send(bytes, peer).catch((error: unknown) => {
      this.options.stats.sendFailures += 1;
      this.options.log.warn({ peer: describe(peer), err: error }, 'the transport could not send a datagram');
    });
  }

  private reply(peer: PeerAddress, message: EncodableMessage): Buffer {
    const bytes = encodeCoap(message);
    this.transmit(bytes, peer);
    return bytes;
  }

  private reset(peer: PeerAddress, messageId: number): Buffer {
    return this.reply(peer, { type: 'RST', code: Code.EMPTY, messageId });
  }

  private receive(datagram: InboundDatagram): void {
    const { stats } = this.options;
    stats.datagramsReceived += 1;
    if (this.closed) return;
    const peer = datagram.from;
    try {
      this.dispatch(datagram, peer);
    } catch (error) {
      // A bug must never stop the socket; the datagram is lost, the server goes on.
      this.options.log.error({ peer: describe(peer), err: error }, 'handling a datagram failed unexpectedly');
    }
  }

  private dispatch(datagram: InboundDatagram, peer: PeerAddress): void {
    const decoded = decodeCoap(datagram.bytes);
    if (!decoded.ok) {
      if (decoded.failure === 'unsupported-version') {
        this.options.reject('unsupported-version', peer, decoded.reason);
        return;
      }
      this.options.reject('malformed-message', peer, decoded.reason);
      // RFC 7252 §4.2: a CON that cannot be processed is rejected with RST; anything else is ignored.
      if (decoded.header?.type === 'CON') this.reset(peer, decoded.header.messageId);
      return;
    }
    const message = decoded.message;
    if (datagram.bytes.length > this.options.limits.maxDatagramBytes) {
      this.refuseOversized(peer, message, datagram.bytes.length);
      return;
    }
    const kind = kindOfCode(message.code);
    if (kind === 'reserved') {
      this.options.reject('malformed-message', peer, `code ${formatCode(message.code)} is in a reserved class`);
      if (message.type === 'CON') this.reset(peer, message.messageId);
      return;
    }
    if (kind === 'empty') {
      this.onEmpty(peer, message);
      return;
    }
    if (kind === 'request') {
      if (message.type === 'ACK' || message.type === 'RST') {
        this.options.reject('malformed-message', peer, `a request cannot travel in an ${message.type}`);
        return;
      }
      this.options.onPeerActivity?.(peer);
      this.onRequest(peer, datagram.identity, message);
      return;
    }
    if (message.type === 'RST') {
      this.options.reject('malformed-message', peer, 'a Reset must be empty');
      return;
    }
    this.onResponse(peer, message);
  }

  private refuseOversized(peer: PeerAddress, message: CoapMessage, size: number): void {
    const reason = `datagram of ${size} bytes is over the limit of ${this.options.limits.maxDatagramBytes}; send the body in Block1 blocks`;
    this.options.reject('oversized-message', peer, reason);
    if (kindOfCode(message.code) !== 'request' || (message.type !== 'CON' && message.type !== 'NON')) return;
    const szx = szxFor(this.options.limits.blockBytes);
    this.reply(peer, {
      type: message.type === 'CON' ? 'ACK' : 'NON',
      code: Code.REQUEST_ENTITY_TOO_LARGE,
      messageId: message.type === 'CON' ? message.messageId : this.allocateMessageId(),
      token: message.token,
      options: [option(Option.BLOCK1, encodeBlock({ num: 0, more: false, szx })), option(Option.SIZE1, this.options.limits.maxBodyBytes)],
    });
  }

  private onEmpty(peer: PeerAddress, message: CoapMessage): void {
    if (message.type === 'CON') {
      // A CoAP ping (§4.3): the answer to an Empty CON is RST.
      this.options.stats.pings += 1;
      this.options.onPeerActivity?.(peer);
      this.reset(peer, message.messageId);
      return;
    }
    if (message.type === 'NON') {
      this.options.reject('malformed-message', peer, 'a Non-confirmable message cannot be Empty');
      return;
    }
    const transmission = this.transmissions.get(`${peerKey(peer)}#${message.messageId}`);
    if (transmission === undefined) {
      this.options.reject('unexpected-message', peer, `${message.type} for Message ID ${message.messageId}, which nothing is waiting for`);
      return;
    }
    this.options.onPeerActivity?.(peer);
    if (message.type === 'RST') {
      this.options.stats.resets += 1;
      transmission.pending.settle({ error: new Lwm2mError('reset', `${transmission.pending.describe}: the device answered with Reset (it could not process the request)`) });
      return;
    }
    transmission.acknowledged();
  }

  private onResponse(peer: PeerAddress, message: CoapMessage): void {
    if (message.type === 'ACK') {
      const transmission = this.transmissions.get(`${peerKey(peer)}#${message.messageId}`);
      if (transmission === undefined || transmission.pending.tokenKey !== `${peerKey(peer)}#${message.token.toString('hex')}`) {
        this.options.reject('unexpected-message', peer, `piggybacked ${formatCode(message.code)} matches no request (Message ID ${message.messageId})`);
        return;
      }
      this.options.onPeerActivity?.(peer);
      this.deliver(transmission.pending, message);
      return;
    }
    // A separate response or a notification, CON or NON: de-duplicate first (§4.5).
    const key = `${peerKey(peer)}#${message.messageId}`;
    const seen = this.recent.lookup(key);
    if (seen !== undefined) {
      this.options.stats.duplicates += 1;
      if (message.type === 'CON' && seen.reply !== undefined) this.transmit(seen.reply, peer);
      return;
    }
    const entry = this.recent.remember(key);
    const pending = this.pendingByToken.get(`${peerKey(peer)}#${message.token.toString('hex')}`);
    if (pending !== undefined) {
      this.options.onPeerActivity?.(peer);
      if (message.type === 'CON') entry.reply = this.reply(peer, { type: 'ACK', code: Code.EMPTY, messageId: message.messageId });
      this.deliver(pending, message);
      return;
    }
    const bad = firstUnrecognizedCritical(message.options, UNDERSTOOD_IN_RESPONSES);
    const verdict = bad === undefined ? this.options.onUnmatchedResponse(peer, message) : 'reject';
    if (verdict === 'accept') {
      this.options.onPeerActivity?.(peer);
      if (message.type === 'CON') entry.reply = this.reply(peer, { type: 'ACK', code: Code.EMPTY, messageId: message.messageId });
      return;
    }
    this.options.reject(
      'unexpected-message',
      peer,
      bad !== undefined
        ? `${formatCode(message.code)} response with unrecognized critical option ${bad}`
        : `${formatCode(message.code)} response with token ${message.token.toString('hex')} matches no request or observation`,
    );
    // RFC 7252 §4.2/§4.3, RFC 7641 §3.6: rejecting an unwanted CON or NON response is a Reset.
    entry.reply = this.reset(peer, message.messageId);
  }

  private deliver(pending: Pending, message: CoapMessage): void {
    const bad = firstUnrecognizedCritical(message.options, UNDERSTOOD_IN_RESPONSES);
    if (bad !== undefined) {
      pending.settle({ error: new Lwm2mError('protocol', `${pending.describe}: the response carries unrecognized critical option ${bad}`) });
      return;
    }
    pending.settle({ message });
  }

  private onRequest(peer: PeerAddress, identity: string | undefined, message: CoapMessage): void {
    const key = `${peerKey(peer)}#${message.messageId}`;
    const seen = this.recent.lookup(key);
    if (seen !== undefined) {
      this.options.stats.duplicates += 1;
      if (message.type === 'CON' && seen.reply !== undefined) this.transmit(seen.reply, peer);
      return;
    }
    const entry = this.recent.remember(key);
    const answer = this.answer(peer, identity, message);
    if (answer === 'reset') {
      entry.reply = this.reset(peer, message.messageId);
      return;
    }
    this.options.stats.requestsHandled += 1;
    const bytes = this.reply(peer, {
      type: message.type === 'CON' ? 'ACK' : 'NON',
      code: answer.code,
      messageId: message.type === 'CON' ? message.messageId : this.allocateMessageId(),
      token: message.token,
      options: answer.options,
      payload: answer.payload,
    });
    if (message.type === 'CON') entry.reply = bytes;
  }

  private answer(peer: PeerAddress, identity: string | undefined, message: CoapMessage): OutboundResponse | 'reset' {
    const { reject } = this.options;
    if (firstOption(message, Option.PROXY_URI) !== undefined || firstOption(message, Option.PROXY_SCHEME) !== undefined) {
      reject('proxy-request', peer, 'Proxy-Uri/Proxy-Scheme: this server is not a proxy');
      return { code: Code.PROXYING_NOT_SUPPORTED };
    }
    const bad = firstUnrecognizedCritical(message.options, UNDERSTOOD_IN_REQUESTS);
    if (bad !== undefined) {
      reject('bad-option', peer, `unrecognized or invalid critical option ${bad}`);
      if (message.type === 'NON') return 'reset';
      return { code: Code.BAD_OPTION, payload: Buffer.from(`unrecognized or invalid critical option ${bad}`) };
    }
    const block1Value = firstOption(message, Option.BLOCK1);
    let payload = message.payload;
    let block1Echo: CoapOption | undefined;
    if (block1Value !== undefined) {
      const block = decodeBlock(block1Value);
      if (block === undefined) {
        reject('bad-option', peer, 'Block1 value unusable over UDP (SZX 7 or too long)');
        return message.type === 'NON' ? 'reset' : { code: Code.BAD_OPTION };
      }
      const assemblyKey = `${peerKey(peer)}#${message.code}#${uriOf(message.options)}`;
      const step = this.assembler.receive(assemblyKey, block, message.payload, uintOption(message, Option.SIZE1));
      if (step.kind === 'reject') {
        reject(step.code === Code.REQUEST_ENTITY_TOO_LARGE ? 'body-too-large' : step.code === Code.BAD_REQUEST ? 'bad-block' : 'incomplete-body', peer, step.reason);
        return {
          code: step.code,
          options: step.size1 !== undefined ? [option(Option.SIZE1, step.size1)] : [],
          payload: Buffer.from(step.reason),
        };
      }
      if (step.kind === 'continue') return { code: Code.CONTINUE, options: [option(Option.BLOCK1, encodeBlock(step.block))] };
      payload = step.payload;
      block1Echo = option(Option.BLOCK1, encodeBlock({ num: step.block.num, more: false, szx: step.block.szx }));
    } else if (payload.length > this.options.limits.maxBodyBytes) {
      reject('body-too-large', peer, `a body of ${payload.length} bytes is over the limit of ${this.options.limits.maxBodyBytes}`);
      return { code: Code.REQUEST_ENTITY_TOO_LARGE, options: [option(Option.SIZE1, this.options.limits.maxBodyBytes)] };
    }
    let response: OutboundResponse;
    try {
      response = this.options.onRequest({ peer, identity, message, payload });
    } catch (error) {
      this.options.log.error({ peer: describe(peer), uri: uriOf(message.options), err: error }, 'a request handler threw; answering 5.00');
      reject('handler-error', peer, `handler for ${uriOf(message.options)} threw`);
      return { code: Code.INTERNAL_SERVER_ERROR };
    }
    return block1Echo === undefined ? response : { ...response, options: [...(response.options ?? []), block1Echo] };
  }
}

const describe = (peer: PeerAddress): string => `${peer.address}:${peer.port}`;

/** '/rd/abc?ep=x' from the Uri-Path and Uri-Query options, for keys and messages. */
const uriOf = (options: readonly CoapOption[]): string => {
  const path = options.filter((o) => o.number === Option.URI_PATH).map((o) => o.value.toString('utf8'));
  const query = options.filter((o) => o.number === Option.URI_QUERY).map((o) => o.value.toString('utf8'));
  return `/${path.join('/')}${query.length > 0 ? `?${query.join('&')}` : ''}`;
};

