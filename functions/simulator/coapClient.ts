import { randomBytes } from 'node:crypto';
import { BlockAssembler } from '../lwm2m/coap/blockAssembly.ts';
import { decodeBlock, encodeBlock, szxFor } from '../lwm2m/coap/block.ts';
import { decodeCoap, encodeCoap, type EncodableMessage } from '../lwm2m/coap/codec.ts';
import { Code, formatCode, kindOfCode, type CoapMessage, type CoapOption } from '../lwm2m/coap/message.ts';
import { firstOption, firstUnrecognizedCritical, Option, option, uintOption, uriPath } from '../lwm2m/coap/options.ts';
import { RecentMessages } from '../lwm2m/coap/recentMessages.ts';
import type { CoapTiming } from '../lwm2m/coap/timing.ts';
import { Lwm2mError, Lwm2mTimeoutError } from '../lwm2m/errors.ts';
import type { Scheduler, TimerHandle } from '../lwm2m/scheduler.ts';
import type { DatagramTransport, InboundDatagram, PeerAddress } from '../lwm2m/transport.ts';

/**
 * The CoAP message layer of one simulated device (RFC 7252 §4, §5; RFC 7641 §4; RFC 7959 §2.5),
 * built on the server's codec, options, block and duplicate-cache modules. The server's own
 * endpoint is shaped for a server: it cannot send a notification outside an exchange, and it
 * cannot tell the caller that a notification was answered with RST (the server cancelling an
 * observation), which are the two things a client needs most. So this side has its own small
 * exchange layer:
 *
 * - requests to the server (Register, Update, De-register, Send) are CON, retransmitted with
 *   exponential back-off and matched by Message ID (ACK/RST) and token (separate responses);
 * - requests from the server are de-duplicated, Block1 bodies reassembled (credential writes do
 *   not fit one block), and answered piggybacked; an answer may carry `after`, run once it is sent
 *   (a write that completes the credentials connects to MQTT only after the 2.04 has left);
 * - notifications go out CON or NON on the observation's token, and an RST to one is reported;
 * - datagrams from anyone but the server are dropped (LwM2M clients talk to their server only),
 *   and while a queue-mode device sleeps (`listening()` false, nothing outstanding) everything
 *   is dropped, as a radio that is off would.
 */

export interface ClientRequest {
  readonly code: number;
  readonly options: readonly CoapOption[];
  readonly payload?: Buffer | undefined;
}

export interface ServerRequest {
  readonly message: CoapMessage;
  /** The whole body: the payload, or the reassembled Block1 body. */
  readonly payload: Buffer;
}

export interface DeviceResponse {
  readonly code: number;
  readonly options?: readonly CoapOption[];
  readonly payload?: Buffer | undefined;
  /** Runs right after the answer was handed to the transport. */
  readonly after?: () => void;
}

export interface Notification {
  readonly confirmable: boolean;
  readonly token: Buffer;
  readonly code: number;
  readonly options: readonly CoapOption[];
  readonly payload?: Buffer | undefined;
}

/** acknowledged (CON got its ACK), sent (NON), reset (the server no longer wants it), timeout (no ACK), closed. */
export type NotifyOutcome = 'acknowledged' | 'sent' | 'reset' | 'timeout' | 'closed';

export interface CoapClientStats {
  datagramsSent: number;
  datagramsReceived: number;
  retransmissions: number;
  timeouts: number;
  /** Retransmitted requests from the server answered from the duplicate cache. */
  duplicates: number;
  /** Dropped because a queue-mode device was asleep. */
  droppedAsleep: number;
  /** Dropped because they came from someone other than the server. */
  foreign: number;
  malformed: number;
}

export interface CoapClientOptions {
  readonly transport: DatagramTransport;
  readonly server: PeerAddress;
  readonly scheduler: Scheduler;
  readonly timing: CoapTiming;
  /** In [0, 1): the initial retransmission timeout's jitter. */
  readonly random: () => number;
  readonly onRequest: (request: ServerRequest) => DeviceResponse;
  /** The server answered a notification (CON or NON) on this token with RST: it forgot the observation. */
  readonly onNotificationReset?: (token: Buffer) => void;
  /** False while a queue-mode device sleeps. Default: always listening. */
  readonly listening?: () => boolean;
  /** Every datagram sent or accepted (a queue-mode device stays awake a while after each). */
  readonly onActivity?: () => void;
  /** Default 65536: a bootstrap write of a certificate chain and a key fits many times. */
  readonly maxBodyBytes?: number;
  /** Block size asked of the server for Block1 bodies. Default 1024. */
  readonly blockBytes?: number;
}

interface Transmission {
  readonly token: Buffer;
  onAck(message: CoapMessage): void;
  onReset(): void;
  onClose(): void;
}

interface PendingRequest {
  readonly describe: string;
  settle(outcome: { message: CoapMessage } | { error: Error }): void;
}

/** Notifications remembered for an RST that may come back (NON ones are otherwise forgotten at once). */
const MAX_REMEMBERED_NOTIFICATIONS = 256;

const UNDERSTOOD_IN_REQUESTS = new Set<number>([Option.URI_HOST, Option.URI_PORT, Option.URI_PATH, Option.URI_QUERY, Option.ACCEPT, Option.OBSERVE, Option.BLOCK1, Option.BLOCK2]);

export class CoapClient {
  readonly stats: CoapClientStats = {
    datagramsSent: 0,
    datagramsReceived: 0,
    retransmissions: 0,
    timeouts: 0,
    duplicates: 0,
    droppedAsleep: 0,
    foreign: 0,
    malformed: 0,
  };
  private readonly recent: RecentMessages;
  private readonly assembler: BlockAssembler;
  private readonly transmissions = new Map<number, Transmission>();
  private readonly pending = new Map<string, PendingRequest>();
  private readonly notificationTokens = new Map<number, Buffer>();
  private nextMessageId: number;
  private closed = false;

  constructor(private readonly options: CoapClientOptions) {
    const now = () => options.scheduler.now();
    this.recent = new RecentMessages(options.timing.exchangeLifetimeMs, 1024, now);
    this.assembler = new BlockAssembler(
      {
        maxBodyBytes: options.maxBodyBytes ?? 65_536,
        maxAssemblies: 4,
        lifetimeMs: options.timing.exchangeLifetimeMs,
        preferredSzx: szxFor(options.blockBytes ?? 1024),
      },
      now,
    );
    this.nextMessageId = Math.floor(options.random() * 0x10000);
    options.transport.onDatagram((datagram) => this.receive(datagram));
  }

  /** Requests and CON notifications still waiting for an answer. */
  get outstanding(): number {
    return this.pending.size + this.transmissions.size;
  }

  /**
   * Sends a CON request to the server and resolves with its response, whatever the code. Rejects
   * with Lwm2mTimeoutError (no ACK after every retransmission, or no separate response), or
   * Lwm2mError 'reset' / 'closed'.
   */
  request(request: ClientRequest): Promise<CoapMessage> {
    if (this.closed) return Promise.reject(new Lwm2mError('closed', 'the device is stopped'));
    const token = randomBytes(8);
    const tokenKey = token.toString('hex');
    const messageId = this.allocateMessageId();
    const bytes = encodeCoap({ type: 'CON', code: request.code, messageId, token, options: request.options, payload: request.payload });
    const describe = `${formatCode(request.code)} ${uriOf(request.options)}`;
    return new Promise<CoapMessage>((resolve, reject) => {
      let responseTimer: TimerHandle | undefined;
      let stopRetransmitting: () => void = () => {};
      const settle = (outcome: { message: CoapMessage } | { error: Error }) => {
        if (this.pending.get(tokenKey) !== entry) return;
        this.pending.delete(tokenKey);
        this.transmissions.delete(messageId);
        stopRetransmitting();
        responseTimer?.cancel();
        if ('message' in outcome) resolve(outcome.message);
        else reject(outcome.error);
      };
      const entry: PendingRequest = { describe, settle };
      this.pending.set(tokenKey, entry);
      this.transmissions.set(messageId, {
        token,
        onAck: (message) => {
          if (message.code !== Code.EMPTY) {
            settle({ message });
            return;
          }
          // An empty ACK: the answer comes separately (RFC 7252 §5.2.2).
          this.transmissions.delete(messageId);
          stopRetransmitting();
          const ms = this.options.timing.separateResponseTimeoutMs;
          responseTimer = this.options.scheduler.after(ms, () => {
            this.stats.timeouts += 1;
            settle({ error: new Lwm2mTimeoutError('no-response', ms, `${describe}: acknowledged but no response within ${ms} ms`) });
          });
        },
        onReset: () => settle({ error: new Lwm2mError('reset', `${describe}: the server answered with Reset`) }),
        onClose: () => settle({ error: new Lwm2mError('closed', `the device stopped before ${describe} was answered`) }),
      });
      stopRetransmitting = this.retransmit(bytes, () => {
        this.stats.timeouts += 1;
        const waited = Math.round(this.options.timing.maxTransmitSpanMs);
        settle({ error: new Lwm2mTimeoutError('no-ack', waited, `${describe}: no ACK from ${peerText(this.options.server)} after ${this.options.timing.maxRetransmit + 1} transmissions`) });
      });
    });
  }

  /** Sends one notification (RFC 7641 §4.2) and resolves with what became of it. */
  notify(notification: Notification): Promise<NotifyOutcome> {
    if (this.closed) return Promise.resolve('closed');
    const messageId = this.allocateMessageId();
    this.rememberNotification(messageId, notification.token);
    const bytes = encodeCoap({
      type: notification.confirmable ? 'CON' : 'NON',
      code: notification.code,
      messageId,
      token: notification.token,
      options: notification.options,
      payload: notification.payload,
    });
    if (!notification.confirmable) {
      this.transmit(bytes);
      return Promise.resolve('sent');
    }
    return new Promise<NotifyOutcome>((resolve) => {
      let stop: () => void = () => {};
      const finish = (outcome: NotifyOutcome) => {
        if (this.transmissions.get(messageId) !== transmission) return;
        this.transmissions.delete(messageId);
        stop();
        resolve(outcome);
      };
      const transmission: Transmission = {
        token: notification.token,
        onAck: () => finish('acknowledged'),
        onReset: () => finish('reset'),
        onClose: () => finish('closed'),
      };
      this.transmissions.set(messageId, transmission);
      stop = this.retransmit(bytes, () => {
        this.stats.timeouts += 1;
        finish('timeout');
      });
    });
  }

  /** Fails what waits with 'closed' and forgets all state. The transport is the caller's to close. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const entry of [...this.pending.values()]) entry.settle({ error: new Lwm2mError('closed', `the device stopped before ${entry.describe} was answered`) });
    for (const transmission of [...this.transmissions.values()]) transmission.onClose();
    this.transmissions.clear();
    this.recent.clear();
    this.assembler.clear();
  }

  /** Transmits now and again with exponential back-off (RFC 7252 §4.2) until stopped or given up. */
  private retransmit(bytes: Buffer, giveUp: () => void): () => void {
    const { timing, scheduler } = this.options;
    let timeout = timing.ackTimeoutMs * (1 + this.options.random() * (timing.ackRandomFactor - 1));
    let retransmissions = 0;
    let timer: TimerHandle | undefined;
    let stopped = false;
    const arm = () => {
      timer = scheduler.after(timeout, () => {
        if (stopped) return;
        if (retransmissions >= timing.maxRetransmit) {
          stopped = true;
          giveUp();
          return;
        }
        retransmissions += 1;
        this.stats.retransmissions += 1;
        timeout *= 2;
        this.transmit(bytes);
        arm();
      });
    };
    this.transmit(bytes);
    arm();
    return () => {
      stopped = true;
      timer?.cancel();
    };
  }

  private rememberNotification(messageId: number, token: Buffer): void {
    this.notificationTokens.set(messageId, token);
    if (this.notificationTokens.size > MAX_REMEMBERED_NOTIFICATIONS) {
      const oldest = this.notificationTokens.keys().next().value;
      if (oldest !== undefined) this.notificationTokens.delete(oldest);
    }
  }

  private allocateMessageId(): number {
    this.nextMessageId = (this.nextMessageId + 1) & 0xffff;
    return this.nextMessageId;
  }

  private transmit(bytes: Buffer): void {
    if (this.closed) return;
    this.stats.datagramsSent += 1;
    this.options.onActivity?.();
    // A failed send is a lost datagram: retransmission or the next Update covers it.
    this.options.transport.send(bytes, this.options.server).catch(() => undefined);
  }

  private reply(message: EncodableMessage): Buffer {
    const bytes = encodeCoap(message);
    this.transmit(bytes);
    return bytes;
  }

  private receive(datagram: InboundDatagram): void {
    this.stats.datagramsReceived += 1;
    if (this.closed) return;
    const { server } = this.options;
    if (datagram.from.address !== server.address || datagram.from.port !== server.port) {
      this.stats.foreign += 1;
      return;
    }
    if (this.options.listening?.() === false && this.outstanding === 0) {
      this.stats.droppedAsleep += 1;
      return;
    }
    const decoded = decodeCoap(datagram.bytes);
    if (!decoded.ok) {
      this.stats.malformed += 1;
      if (decoded.failure === 'format-error' && decoded.header?.type === 'CON') this.reply({ type: 'RST', code: Code.EMPTY, messageId: decoded.header.messageId });
      return;
    }
    this.options.onActivity?.();
    const message = decoded.message;
    const kind = kindOfCode(message.code);
    if (kind === 'empty') this.onEmpty(message);
    else if (kind === 'request' && (message.type === 'CON' || message.type === 'NON')) this.onRequest(message);
    else if (kind === 'response' && message.type !== 'RST') this.onResponse(message);
    else {
      this.stats.malformed += 1;
      if (message.type === 'CON') this.reply({ type: 'RST', code: Code.EMPTY, messageId: message.messageId });
    }
  }

  private onEmpty(message: CoapMessage): void {
    if (message.type === 'CON') {
      // A CoAP ping (RFC 7252 §4.3).
      this.reply({ type: 'RST', code: Code.EMPTY, messageId: message.messageId });
      return;
    }
    if (message.type === 'NON') return;
    const transmission = this.transmissions.get(message.messageId);
    if (message.type === 'RST') {
      const token = this.notificationTokens.get(message.messageId);
      if (token !== undefined) {
        this.notificationTokens.delete(message.messageId);
        this.options.onNotificationReset?.(token);
      }
      transmission?.onReset();
      return;
    }
    transmission?.onAck(message);
  }

  private onResponse(message: CoapMessage): void {
    if (message.type === 'ACK') {
      const transmission = this.transmissions.get(message.messageId);
      if (transmission !== undefined && transmission.token.equals(message.token)) transmission.onAck(message);
      return;
    }
    const entry = this.pending.get(message.token.toString('hex'));
    if (entry === undefined) {
      if (message.type === 'CON') this.reply({ type: 'RST', code: Code.EMPTY, messageId: message.messageId });
      return;
    }
    if (message.type === 'CON') this.reply({ type: 'ACK', code: Code.EMPTY, messageId: message.messageId });
    entry.settle({ message });
  }

  private onRequest(message: CoapMessage): void {
    const key = String(message.messageId);
    const seen = this.recent.lookup(key);
    if (seen !== undefined) {
      this.stats.duplicates += 1;
      if (message.type === 'CON' && seen.reply !== undefined) this.transmit(seen.reply);
      return;
    }
    const entry = this.recent.remember(key);
    const answer = this.answer(message);
    const bytes = this.reply({
      type: message.type === 'CON' ? 'ACK' : 'NON',
      code: answer.code,
      messageId: message.type === 'CON' ? message.messageId : this.allocateMessageId(),
      token: message.token,
      options: answer.options,
      payload: answer.payload,
    });
    if (message.type === 'CON') entry.reply = bytes;
    answer.after?.();
  }

  private answer(message: CoapMessage): DeviceResponse {
    const bad = firstUnrecognizedCritical(message.options, UNDERSTOOD_IN_REQUESTS);
    if (bad !== undefined) return { code: Code.BAD_OPTION, payload: Buffer.from(`unrecognized or invalid critical option ${bad}`) };
    const block2 = firstOption(message, Option.BLOCK2);
    // Answers here are small: only a request for the first block (a size hint) is honoured, by sending all of it.
    if (block2 !== undefined && (decodeBlock(block2)?.num ?? 1) !== 0) {
      return { code: Code.BAD_REQUEST, payload: Buffer.from('this device sends whole answers; ask for block 0 only') };
    }
    const block1Value = firstOption(message, Option.BLOCK1);
    if (block1Value === undefined) return this.handle(message, message.payload, []);
    const block = decodeBlock(block1Value);
    if (block === undefined) return { code: Code.BAD_OPTION, payload: Buffer.from('Block1 value unusable over UDP') };
    const step = this.assembler.receive(`${message.code}#${uriPath(message)}`, block, message.payload, uintOption(message, Option.SIZE1));
    if (step.kind === 'reject') {
      return { code: step.code, options: step.size1 !== undefined ? [option(Option.SIZE1, step.size1)] : [], payload: Buffer.from(step.reason) };
    }
    if (step.kind === 'continue') return { code: Code.CONTINUE, options: [option(Option.BLOCK1, encodeBlock(step.block))] };
    return this.handle(message, step.payload, [option(Option.BLOCK1, encodeBlock({ num: step.block.num, more: false, szx: step.block.szx }))]);
  }

  private handle(message: CoapMessage, payload: Buffer, extra: readonly CoapOption[]): DeviceResponse {
    let response: DeviceResponse;
    try {
      response = this.options.onRequest({ message, payload });
    } catch (error) {
      // A bug in the simulator must not take the socket down: the server gets 5.00 and the reason.
      return { code: Code.INTERNAL_SERVER_ERROR, payload: Buffer.from(`simulator error: ${error instanceof Error ? error.message : String(error)}`.slice(0, 200)) };
    }
    return extra.length === 0 ? response : { ...response, options: [...(response.options ?? []), ...extra] };
  }
}

const peerText = (peer: PeerAddress): string => `${peer.address}:${peer.port}`;

const uriOf = (options: readonly CoapOption[]): string => {
  const path = options.filter((o) => o.number === Option.URI_PATH).map((o) => o.value.toString('utf8'));
  const query = options.filter((o) => o.number === Option.URI_QUERY).map((o) => o.value.toString('utf8'));
  return `/${path.join('/')}${query.length > 0 ? `?${query.join('&')}` : ''}`;
};
