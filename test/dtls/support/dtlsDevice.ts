import { randomBytes } from 'node:crypto';
import { dtls } from 'node-dtls-client';
import { decodeBlock } from '../../../functions/lwm2m/coap/block.ts';
import { decodeCoap, encodeCoap, type EncodableMessage } from '../../../functions/lwm2m/coap/codec.ts';
import { Code, Method, type CoapMessage, type CoapOption } from '../../../functions/lwm2m/coap/message.ts';
import { firstOption, Option, option, stringOptions } from '../../../functions/lwm2m/coap/options.ts';

/**
 * An LwM2M device over DTLS for tests: node-dtls-client (a DTLS stack nobody here wrote) carries
 * raw CoAP built with the project's codec. It registers, and answers the server's requests: a
 * Create on /18830 gets 2.01 and a Write 2.04 unless `handler` says otherwise, bodies sent in
 * Block1 blocks are put together (2.31 Continue per block). Every whole request is kept.
 */

export interface DeviceAnswer {
  readonly code: number;
  readonly options?: readonly CoapOption[];
  readonly payload?: Buffer;
}

export type ServerRequestHandler = (request: CoapMessage, path: string) => DeviceAnswer | undefined;

const within = <T>(ms: number, what: string, promise: Promise<T>): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};

export class DtlsDevice {
  /** The server's requests, Block1 bodies put together. */
  readonly requests: CoapMessage[] = [];
  handler: ServerRequestHandler | undefined;
  private messageId = randomBytes(2).readUInt16BE(0);
  private readonly waiting = new Map<string, (message: CoapMessage) => void>();
  private readonly requestWaiters: ((message: CoapMessage) => void)[] = [];
  private readonly answered = new Map<number, Buffer>();
  private readonly blocks = new Map<string, Buffer[]>();

  private closed = false;

  private constructor(private readonly socket: dtls.Socket) {
    socket.on('message', (bytes: Buffer) => this.receive(bytes));
    socket.on('close', () => (this.closed = true));
  }

  /**
   * Handshakes with `identity` and `key` (bytes: node-dtls-client takes the key as a string and
   * reads it back as latin1). Rejects with the alert the server sent when the handshake fails.
   */
  static open(port: number, identity: string, key: Buffer): Promise<DtlsDevice> {
    return within(
      15_000,
      `DTLS handshake as ${identity}`,
      new Promise<DtlsDevice>((resolve, reject) => {
        const socket = dtls.createSocket({ type: 'udp4', address: '127.0.0.1', port, psk: { [identity]: key.toString('latin1') }, timeout: 10_000 });
        socket.once('connected', () => {
          socket.removeAllListeners('error');
          socket.on('error', () => undefined);
          resolve(new DtlsDevice(socket));
        });
        socket.once('error', (error: Error) => {
          socket.removeAllListeners();
          socket.on('error', () => undefined);
          reject(error);
        });
      }),
    );
  }

  private nextMessageId(): number {
    this.messageId = (this.messageId + 1) & 0xffff;
    return this.messageId;
  }

  private send(message: EncodableMessage): void {
    this.socket.send(Buffer.from(encodeCoap(message)));
  }

  /** Sends a CON request and resolves with the response. */
  request(code: number, path: string, args: { query?: readonly string[]; payload?: string; contentFormat?: number } = {}): Promise<CoapMessage> {
    const token = randomBytes(4);
    const response = new Promise<CoapMessage>((resolve) => this.waiting.set(token.toString('hex'), resolve));
    this.send({
      type: 'CON',
      code,
      messageId: this.nextMessageId(),
      token,
      options: [
        ...path.split('/').filter((s) => s !== '').map((s) => option(Option.URI_PATH, s)),
        ...(args.query ?? []).map((q) => option(Option.URI_QUERY, q)),
        ...(args.contentFormat === undefined ? [] : [option(Option.CONTENT_FORMAT, args.contentFormat)]),
      ],
      payload: args.payload === undefined ? undefined : Buffer.from(args.payload),
    });
    return within(5_000, `the answer to ${path}`, response);
  }

  /** LwM2M Register; resolves with the response code and location. */
  async register(ep: string, links = '</>;rt="oma.lwm2m";ct=112,</1/0>,</3/0>,</18830>;ver=1.0'): Promise<{ code: number; location: string; response: CoapMessage }> {
    const response = await this.request(Method.POST, '/rd', { query: [`ep=${ep}`, 'lt=300', 'lwm2m=1.1', 'b=U'], payload: links, contentFormat: 40 });
    return { code: response.code, location: `/${stringOptions(response, Option.LOCATION_PATH).join('/')}`, response };
  }

  /** The next request the server sends (already received and not yet taken, or the next to come). */
  nextRequest(ms = 10_000): Promise<CoapMessage> {
    return within(ms, 'a request from the server', new Promise<CoapMessage>((resolve) => this.requestWaiters.push(resolve)));
  }

  /** Sends close_notify; a session the server already ended is simply forgotten. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise<void>((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }

  private receive(bytes: Buffer): void {
    const decoded = decodeCoap(bytes);
    if (!decoded.ok) return;
    const message = decoded.message;
    if (message.code >> 5 !== 0) {
      if (message.type === 'CON') this.send({ type: 'ACK', code: 0, messageId: message.messageId });
      const waiter = this.waiting.get(message.token.toString('hex'));
      this.waiting.delete(message.token.toString('hex'));
      waiter?.(message);
      return;
    }
    if (message.code === 0) return;
    this.onServerRequest(message);
  }

  private onServerRequest(message: CoapMessage): void {
    const repeated = this.answered.get(message.messageId);
    if (repeated !== undefined) {
      this.socket.send(repeated);
      return;
    }
    const path = `/${stringOptions(message, Option.URI_PATH).join('/')}`;
    let answer: DeviceAnswer;
    const block1 = firstOption(message, Option.BLOCK1);
    const block = block1 === undefined ? undefined : decodeBlock(block1);
    if (block1 !== undefined && block !== undefined) {
      const parts = block.num === 0 ? [] : (this.blocks.get(path) ?? []);
      parts.push(message.payload);
      if (block.more) {
        this.blocks.set(path, parts);
        this.reply(message, { code: Code.CONTINUE, options: [option(Option.BLOCK1, block1)] });
        return;
      }
      this.blocks.delete(path);
      const whole: CoapMessage = { ...message, payload: Buffer.concat(parts) };
      answer = this.decide(whole, path);
      answer = { ...answer, options: [...(answer.options ?? []), option(Option.BLOCK1, block1)] };
    } else {
      answer = this.decide(message, path);
    }
    this.reply(message, answer);
  }

  private decide(message: CoapMessage, path: string): DeviceAnswer {
    this.requests.push(message);
    this.requestWaiters.shift()?.(message);
    const handled = this.handler?.(message, path);
    if (handled !== undefined) return handled;
    if (message.code === Method.POST && path === '/18830') return { code: Code.CREATED, options: [option(Option.LOCATION_PATH, '18830'), option(Option.LOCATION_PATH, '0')] };
    if (message.code === Method.PUT || message.code === Method.POST) return { code: Code.CHANGED };
    return { code: Code.NOT_FOUND };
  }

  private reply(request: CoapMessage, answer: DeviceAnswer): void {
    const bytes = Buffer.from(
      encodeCoap({
        type: request.type === 'CON' ? 'ACK' : 'NON',
        code: answer.code,
        messageId: request.type === 'CON' ? request.messageId : this.nextMessageId(),
        token: request.token,
        options: [...(answer.options ?? [])],
        payload: answer.payload,
      }),
    );
    this.answered.set(request.messageId, bytes);
    this.socket.send(bytes);
  }
}
