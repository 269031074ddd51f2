import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { blockSize, decodeBlock, encodeBlock } from '../../../functions/lwm2m/coap/block.ts';
import { decodeCoap, encodeCoap, type EncodableMessage } from '../../../functions/lwm2m/coap/codec.ts';
import { Code, Method, type CoapMessage, type CoapOption } from '../../../functions/lwm2m/coap/message.ts';
import { firstOption, Option, option, stringOptions, uintOption } from '../../../functions/lwm2m/coap/options.ts';
import { within } from './support.ts';

/**
 * A minimal LwM2M client for tests, speaking raw CoAP over its own UDP socket: it registers,
 * updates, de-registers and Sends, and answers the server's requests from a table of resources
 * or a handler. It can stay silent, answer separately, serve and take blocks, keep observers and
 * notify them, and send any bytes at all. Every request the server sent is kept in `requests`.
 */

export interface DeviceAnswer {
  readonly code: number;
  readonly payload?: Buffer | string;
  readonly contentFormat?: number;
  readonly options?: readonly CoapOption[];
}

/**
 * 'silent': never answer (not even an ACK). 'reset': answer with RST. 'ack-only': an empty ACK and
 * then nothing. 'separate': an empty ACK now, the answer as a CON right after.
 */
export type DeviceReply = DeviceAnswer | 'silent' | 'reset' | 'ack-only' | { readonly separate: DeviceAnswer };

export type RequestHandler = (request: CoapMessage, path: string) => DeviceReply | undefined;

export interface Observer {
  readonly token: Buffer;
  readonly path: string;
  sequence: number;
}

export interface ClientRequest {
  readonly code: number;
  readonly path: string;
  readonly query?: readonly string[];
  readonly payload?: Buffer | string;
  readonly contentFormat?: number;
  readonly options?: readonly CoapOption[];
  readonly type?: 'CON' | 'NON';
}

export class TestDevice {
  /** Every datagram the device received that decodes, in arrival order. */
  readonly received: CoapMessage[] = [];
  readonly requests: CoapMessage[] = [];
  readonly observers = new Map<string, Observer>();
  /** Static answers: path → answer for GET (and anything the handler does not take). */
  readonly resources = new Map<string, DeviceAnswer>();
  handler: RequestHandler | undefined;
  private messageId = Math.floor(Math.random() * 0x10000);
  private readonly waiting = new Map<string, (message: CoapMessage) => void>();
  private readonly acks = new Map<number, (message: CoapMessage) => void>();
  private readonly requestWaiters: ((message: CoapMessage) => void)[] = [];
  private readonly block1 = new Map<string, Buffer[]>();
  private readonly seenRequests = new Map<number, Buffer>();
  /** Message id of each notification sent → the observed path. */
  private readonly notified = new Map<number, string>();

  private constructor(
    private readonly socket: Socket,
    readonly serverPort: number,
    readonly serverHost: string,
  ) {
    socket.on('message', (bytes) => this.receive(bytes));
  }

  /** `host` other than 127.0.0.1 (127.0.0.2 in the flood and fuzz tests) relies on Linux routing all of 127/8 to loopback. */
  static async open(serverPort: number, options: { host?: string; serverHost?: string } = {}): Promise<TestDevice> {
    const socket = createSocket('udp4');
    socket.bind(0, options.host ?? '127.0.0.1');
    await once(socket, 'listening');
    return new TestDevice(socket, serverPort, options.serverHost ?? '127.0.0.1');
  }

  get port(): number {
    return this.socket.address().port;
  }

  nextMessageId(): number {
    this.messageId = (this.messageId + 1) & 0xffff;
    return this.messageId;
  }

  sendRaw(bytes: Uint8Array): void {
    this.socket.send(bytes, this.serverPort, this.serverHost);
  }

  send(message: EncodableMessage): void {
    this.sendRaw(encodeCoap(message));
  }

  /** Sends a request and resolves with the response (piggybacked or separate). */
  request(request: ClientRequest, timeoutMs = 3_000): Promise<CoapMessage> {
    const token = randomBytes(4);
    const messageId = this.nextMessageId();
    const options: CoapOption[] = [
      ...request.path.split('/').filter((s) => s !== '').map((s) => option(Option.URI_PATH, s)),
      ...(request.query ?? []).map((q) => option(Option.URI_QUERY, q)),
      ...(request.contentFormat !== undefined ? [option(Option.CONTENT_FORMAT, request.contentFormat)] : []),
      ...(request.options ?? []),
    ];
    const response = new Promise<CoapMessage>((resolve) => this.waiting.set(token.toString('hex'), resolve));
    this.send({
      type: request.type ?? 'CON',
      code: request.code,
      messageId,
      token,
      options,
      payload: typeof request.payload === 'string' ? Buffer.from(request.payload) : request.payload,
    });
    return within(timeoutMs, `${request.path} response`, response);
  }

  async register(args: { ep: string; lt?: number; lwm2m?: string; b?: string; queue?: boolean; links?: string; query?: readonly string[] }) {
    const query = [`ep=${args.ep}`, ...(args.lt !== undefined ? [`lt=${args.lt}`] : []), ...(args.lwm2m !== undefined ? [`lwm2m=${args.lwm2m}`] : [])];
    if (args.b !== undefined) query.push(`b=${args.b}`);
    if (args.queue === true) query.push('Q');
    query.push(...(args.query ?? []));
    const response = await this.request({
      code: Method.POST,
      path: '/rd',
      query,
      payload: args.links ?? '</1/0>,</3/0>',
      contentFormat: 40,
    });
    const location = stringOptions(response, Option.LOCATION_PATH);
    return { response, code: response.code, location: `/${location.join('/')}` };
  }

  update(location: string, args: { query?: readonly string[]; links?: string } = {}): Promise<CoapMessage> {
    return this.request({
      code: Method.POST,
      path: location,
      query: args.query ?? [],
      ...(args.links !== undefined ? { payload: args.links, contentFormat: 40 } : {}),
    });
  }

  deregister(location: string): Promise<CoapMessage> {
    return this.request({ code: Method.DELETE, path: location });
  }

  sendData(payload: Buffer | string, contentFormat: number | undefined): Promise<CoapMessage> {
    return this.request({ code: Method.POST, path: '/dp', payload, ...(contentFormat !== undefined ? { contentFormat } : {}) });
  }

  /** Sends a body in Block1 blocks of 2^(szx+4) bytes, each after the previous got 2.31; resolves with the last answer. */
  async requestInBlocks(request: ClientRequest & { payload: Buffer }, szx: number, startAt = 0): Promise<CoapMessage[]> {
    const size = blockSize(szx);
    const answers: CoapMessage[] = [];
    for (let num = startAt; num * size < request.payload.length; num += 1) {
      const more = (num + 1) * size < request.payload.length;
      const answer = await this.request({
        ...request,
        payload: request.payload.subarray(num * size, (num + 1) * size),
        options: [...(request.options ?? []), option(Option.BLOCK1, encodeBlock({ num, more, szx }))],
      });
      answers.push(answer);
      if (answer.code !== Code.CONTINUE) break;
    }
    return answers;
  }

  /** A CoAP ping: resolves with the RST. Everything sent before it from this socket has been handled by then. */
  ping(): Promise<CoapMessage> {
    const messageId = this.nextMessageId();
    const answer = new Promise<CoapMessage>((resolve) => this.acks.set(messageId, resolve));
    this.send({ type: 'CON', code: 0, messageId });
    return within(3_000, 'the answer to a ping', answer);
  }

  /** Resolves with the next request the server sends (or one already received and not yet taken). */
  nextRequest(timeoutMs = 3_000): Promise<CoapMessage> {
    return within(timeoutMs, 'a request from the server', new Promise<CoapMessage>((resolve) => this.requestWaiters.push(resolve)));
  }

  /**
   * Sends a notification to the observer of `path` and resolves with how the server answered:
   * 'ack' or 'rst' for a CON, 'sent' for a NON (the server may still RST it: see `resets`).
   */
  async notify(path: string, payload: Buffer | string, args: { confirmable?: boolean; code?: number; sequence?: number; contentFormat?: number; final?: boolean } = {}) {
    const observer = this.observers.get(path);
    if (observer === undefined) throw new Error(`no observer on ${path}`);
    observer.sequence = args.sequence ?? observer.sequence + 1;
    const messageId = this.nextMessageId();
    const confirmable = args.confirmable ?? true;
    const answer = confirmable ? new Promise<CoapMessage>((resolve) => this.acks.set(messageId, resolve)) : undefined;
    this.notified.set(messageId, path);
    this.send({
      type: confirmable ? 'CON' : 'NON',
      code: args.code ?? Code.CONTENT,
      messageId,
      token: observer.token,
      options: [
        ...(args.final === true ? [] : [option(Option.OBSERVE, observer.sequence)]),
        option(Option.CONTENT_FORMAT, args.contentFormat ?? 0),
      ],
      payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
    });
    if (answer === undefined) return { answer: 'sent' as const, messageId };
    const reply = await within(3_000, `the server's answer to a notification on ${path}`, answer);
    return { answer: reply.type === 'RST' ? ('rst' as const) : ('ack' as const), messageId };
  }

  /** Waits for the RST (or ACK) to a message id: NON notifications the server rejects. */
  answerTo(messageId: number): Promise<CoapMessage> {
    return within(3_000, `answer to message ${messageId}`, new Promise<CoapMessage>((resolve) => this.acks.set(messageId, resolve)));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private receive(bytes: Buffer): void {
    const decoded = decodeCoap(bytes);
    if (!decoded.ok) return;
    const message = decoded.message;
    this.received.push(message);
    if (message.code === 0 && (message.type === 'ACK' || message.type === 'RST')) {
      const waiter = this.acks.get(message.messageId);
      this.acks.delete(message.messageId);
      const notified = this.notified.get(message.messageId);
      this.notified.delete(message.messageId);
      // RFC 7641 §3.6: an RST to a notification removes the observer.
      if (message.type === 'RST' && notified !== undefined) this.observers.delete(notified);
      waiter?.(message);
      return;
    }
    if (message.code >> 5 !== 0) {
      // A response to one of our requests.
      if (message.type === 'CON') this.send({ type: 'ACK', code: 0, messageId: message.messageId });
      const key = message.token.toString('hex');
      const waiter = this.waiting.get(key);
      if (waiter === undefined) return;
      if (message.type === 'ACK' && message.code === 0) return;
      this.waiting.delete(key);
      waiter(message);
      return;
    }
    this.onServerRequest(message);
  }

  private onServerRequest(message: CoapMessage): void {
    const cached = this.seenRequests.get(message.messageId);
    if (cached !== undefined) {
      this.sendRaw(cached);
      return;
    }
    this.requests.push(message);
    const path = `/${stringOptions(message, Option.URI_PATH).join('/')}`;
    const reply = this.decide(message, path);
    const waiter = this.requestWaiters.shift();
    waiter?.(message);
    if (reply === 'silent') return;
    if (reply === 'reset' || reply === 'ack-only') {
      this.send({ type: reply === 'reset' ? 'RST' : 'ACK', code: 0, messageId: message.messageId });
      return;
    }
    if ('separate' in reply) {
      this.send({ type: 'ACK', code: 0, messageId: message.messageId });
      this.send({ ...this.encodeAnswer(message, reply.separate), type: 'CON', messageId: this.nextMessageId() });
      return;
    }
    const bytes = encodeCoap({ ...this.encodeAnswer(message, reply), type: message.type === 'CON' ? 'ACK' : 'NON', messageId: message.type === 'CON' ? message.messageId : this.nextMessageId() });
    this.seenRequests.set(message.messageId, bytes);
    this.sendRaw(bytes);
  }

  private decide(message: CoapMessage, path: string): DeviceReply {
    const observe = uintOption(message, Option.OBSERVE);
    const block1 = firstOption(message, Option.BLOCK1);
    if (block1 !== undefined) {
      const block = decodeBlock(block1)!;
      const parts = block.num === 0 ? [] : (this.block1.get(path) ?? []);
      parts.push(message.payload);
      if (block.more) {
        this.block1.set(path, parts);
        return { code: Code.CONTINUE, options: [option(Option.BLOCK1, block1)] };
      }
      this.block1.delete(path);
      const whole = { ...message, payload: Buffer.concat(parts) };
      this.requests[this.requests.length - 1] = whole;
      const answer = this.handler?.(whole, path) ?? { code: Code.CHANGED };
      return typeof answer === 'object' && 'code' in answer ? { ...answer, options: [...(answer.options ?? []), option(Option.BLOCK1, block1)] } : answer;
    }
    const handled = this.handler?.(message, path);
    if (handled !== undefined) return handled;
    if (message.code === Method.GET && observe === 0) {
      const resource = this.resources.get(path);
      if (resource === undefined) return { code: Code.NOT_FOUND };
      this.observers.set(path, { token: message.token, path, sequence: 1 });
      return { ...resource, options: [...(resource.options ?? []), option(Option.OBSERVE, 1)] };
    }
    if (message.code === Method.GET && observe === 1) {
      this.observers.delete(path);
      return this.resources.get(path) ?? { code: Code.NOT_FOUND };
    }
    if (message.code === Method.GET) return this.resources.get(path) ?? { code: Code.NOT_FOUND };
    return { code: Code.METHOD_NOT_ALLOWED };
  }

  /** The answer as a message, served block by block (Block2) when it is bigger than the block asked for or 1024. */
  private encodeAnswer(request: CoapMessage, answer: DeviceAnswer): Omit<EncodableMessage, 'type' | 'messageId'> & { token: Buffer } {
    let payload = typeof answer.payload === 'string' ? Buffer.from(answer.payload) : (answer.payload ?? Buffer.alloc(0));
    const options: CoapOption[] = [...(answer.options ?? [])];
    if (answer.contentFormat !== undefined) options.push(option(Option.CONTENT_FORMAT, answer.contentFormat));
    const asked = firstOption(request, Option.BLOCK2);
    const wanted = asked !== undefined ? decodeBlock(asked) : undefined;
    const szx = wanted?.szx ?? 6;
    if (payload.length > blockSize(szx) || wanted !== undefined) {
      const num = wanted?.num ?? 0;
      const size = blockSize(szx);
      const more = (num + 1) * size < payload.length;
      payload = payload.subarray(num * size, (num + 1) * size);
      options.push(option(Option.BLOCK2, encodeBlock({ num, more, szx })), option(Option.ETAG, Buffer.from('v1')));
    }
    return { code: answer.code, token: request.token, options, payload };
  }
}
