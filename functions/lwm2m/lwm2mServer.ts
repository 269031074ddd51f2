import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { CoapEndpoint, defaultEndpointLimits, type EndpointLimits, type InboundRequest, type OutboundResponse, type OutgoingRequest } from './coap/endpoint.ts';
import { Code, formatCode, isSuccess, type CoapMessage } from './coap/message.ts';
import { firstOption, Option, uintOption } from './coap/options.ts';
import { coapTiming, type CoapTimingInput } from './coap/timing.ts';
import {
  checkPath,
  createRequest,
  deleteRequest,
  discoverRequest,
  executeRequest,
  locationOf,
  observeRequest,
  payloadOf,
  readRequest,
  writeAttributesRequest,
  writeRequest,
  type Lwm2mResponse,
  type Operation,
  type WriteAttributes,
} from './deviceManagement.ts';
import { DeviceOutbox } from './deviceOutbox.ts';
import { Lwm2mError, Lwm2mResponseError } from './errors.ts';
import type { LinkFormatLimits } from './linkFormat.ts';
import { consoleLog, throttledWarn, type Lwm2mLog, type ThrottleOptions } from './log.ts';
import { isFresher, ObservationRegistry, toNotification, type Notification, type Observation, type ObservationEnd, type ObservationState } from './observations.ts';
import { SEND_CONTENT_FORMATS, type Payload } from './payload.ts';
import { AddressRateLimiter, type RateLimitOptions } from './rateLimiter.ts';
import { handleRegistrationInterface, type IdentityRefusal, type RegistrationInterfaceContext } from './registrationInterface.ts';
import { Registrations, type Registration, type RemovalReason } from './registrations.ts';
import { systemScheduler, type Scheduler } from './scheduler.ts';
import { handleSendInterface, type SendInterfaceContext } from './sendInterface.ts';
import { emptyStats, type Lwm2mServerStats, type RejectionKind } from './stats.ts';
import { openUdpTransport, peerKey, type DatagramTransport, type PeerAddress } from './transport.ts';

export interface RegisteredEvent {
  readonly registration: Registration;
  /** The registration this one replaced (same endpoint name, registered again). */
  readonly replaced?: Registration;
}
export interface UpdatedEvent {
  readonly registration: Registration;
  readonly previous: Registration;
}
export interface RemovedEvent {
  readonly registration: Registration;
}
export interface SendEvent {
  readonly endpoint: string;
  readonly registrationId: string;
  readonly payload: Payload;
  readonly receivedAt: string;
}

/** What the bridge listens to. Listeners that throw or reject are logged and counted, never fatal. */
export interface Lwm2mServerEvents {
  registered: [RegisteredEvent];
  updated: [UpdatedEvent];
  deregistered: [RemovedEvent];
  expired: [RemovedEvent];
  notification: [Notification];
  send: [SendEvent];
  /** An authenticated session asked to register under another endpoint name; it was refused (4.03). */
  identityRefused: [IdentityRefusal];
}

export interface QueueOptions {
  /** A queue-mode device is reachable this long after it last sent something. Default MAX_TRANSMIT_WAIT (93 s). */
  readonly awakeMs?: number;
  /** A request that waits longer fails with 'queue-expired'. Default 1 hour. */
  readonly timeoutMs?: number;
  /** Requests waiting per device; more fail with 'queue-full'. Default 64. */
  readonly maxQueued?: number;
}

export interface Lwm2mServerOptions {
  /** Bring a transport (DTLS later); otherwise a UDP socket on host:port is opened. */
  readonly transport?: DatagramTransport;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 5683; 0 for an ephemeral port. */
  readonly port?: number;
  readonly scheduler?: Scheduler;
  readonly timing?: CoapTimingInput;
  readonly limits?: Partial<EndpointLimits>;
  readonly linkFormat?: LinkFormatLimits;
  readonly registrationRateLimit?: RateLimitOptions;
  /** Default 100,000. */
  readonly maxRegistrations?: number;
  /** Added to every lifetime before a registration expires. Default 0 (the lifetime as the client gave it). */
  readonly lifetimeGraceMs?: number;
  readonly queue?: QueueOptions;
  /** Outstanding requests per device (RFC 7252 NSTART). Default 1. */
  readonly nstart?: number;
  /** Content-Formats Send accepts. Default SenML JSON (110), SenML CBOR (112), LwM2M CBOR (11544). */
  readonly sendContentFormats?: readonly number[];
  /** Notifications buffered per observation stream. Default 256. */
  readonly notificationBuffer?: number;
  readonly log?: Lwm2mLog;
  readonly logThrottle?: ThrottleOptions;
  /** In [0, 1): CoAP retransmission jitter. Default Math.random. */
  readonly random?: () => number;
}

export interface ReadOptions {
  /** Ask for a Content-Format (Accept): TLV 11542, SenML JSON 110, SenML CBOR 112... */
  readonly accept?: number;
}

export interface Lwm2mServer {
  readonly events: EventEmitter<Lwm2mServerEvents>;
  address(): PeerAddress;
  stats(): Lwm2mServerStats;
  registrations(): Registration[];
  registration(endpoint: string): Registration | undefined;
  read(endpoint: string, path: string, options?: ReadOptions): Promise<Lwm2mResponse>;
  discover(endpoint: string, path: string): Promise<Lwm2mResponse>;
  write(endpoint: string, path: string, payload: Payload, options?: { readonly mode?: 'replace' | 'update' }): Promise<Lwm2mResponse>;
  writeAttributes(endpoint: string, path: string, attributes: WriteAttributes): Promise<Lwm2mResponse>;
  execute(endpoint: string, path: string, args?: string): Promise<Lwm2mResponse>;
  create(endpoint: string, objectPath: string, payload: Payload): Promise<Lwm2mResponse>;
  delete(endpoint: string, path: string): Promise<Lwm2mResponse>;
  observe(endpoint: string, path: string, options?: ReadOptions): Promise<Observation>;
  /** Fails whatever waits, ends observations (reason 'server-closed'), closes the transport. */
  close(): Promise<void>;
}

/** Starts an LwM2M server (registration, device management, information reporting) on CoAP. */
export const startLwm2mServer = async (options: Lwm2mServerOptions = {}): Promise<Lwm2mServer> => {
  const log = options.log ?? consoleLog;
  const transport =
    options.transport ??
    (await openUdpTransport({
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 5683,
      onError: (error) => log.warn({ err: error }, 'the UDP socket reported an error'),
    }));
  return new Server(transport, options, log);
};

class Server implements Lwm2mServer {
  readonly events = new EventEmitter<Lwm2mServerEvents>();
  private readonly scheduler: Scheduler;
  private readonly counters = emptyStats();
  private readonly endpoint: CoapEndpoint;
  private readonly store: Registrations;
  private readonly observations = new ObservationRegistry();
  private readonly outboxes = new Map<string, DeviceOutbox>();
  private readonly rateLimiter: AddressRateLimiter;
  private readonly warn: (kind: string, details: object, message: string) => void;
  private readonly makeOutbox: (endpoint: string, registration: Registration) => DeviceOutbox;
  private readonly registrationContext: RegistrationInterfaceContext;
  private readonly sendContext: SendInterfaceContext;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly transport: DatagramTransport,
    private readonly options: Lwm2mServerOptions,
    private readonly log: Lwm2mLog,
  ) {
    this.scheduler = options.scheduler ?? systemScheduler;
    const now = () => this.scheduler.now();
    const timing = coapTiming(options.timing);
    this.warn = throttledWarn(log, now, options.logThrottle);
    this.rateLimiter = new AddressRateLimiter(options.registrationRateLimit ?? {}, now);
    this.store = new Registrations(this.scheduler, options.lifetimeGraceMs ?? 0, {
      registered: (registration, replaced) => this.onRegistered(registration, replaced),
      updated: (registration, previous) => this.onUpdated(registration, previous),
      removed: (registration, reason) => this.onRemoved(registration, reason),
    });
    this.endpoint = new CoapEndpoint({
      transport,
      scheduler: this.scheduler,
      timing,
      limits: { ...defaultEndpointLimits, ...options.limits },
      stats: this.counters,
      log,
      reject: (kind, peer, reason) => this.reject(kind, peer, reason),
      onRequest: (request) => this.route(request),
      onUnmatchedResponse: (peer, message) => this.onNotification(peer, message),
      onPeerActivity: (peer) => {
        const registration = this.store.byAddress(peer);
        if (registration !== undefined) this.outboxes.get(registration.endpoint)?.heardFrom();
      },
      ...(options.random !== undefined ? { random: options.random } : {}),
    });
    const reject = (kind: RejectionKind, peer: PeerAddress, reason: string) => this.reject(kind, peer, reason);
    this.registrationContext = {
      registrations: this.store,
      rateLimiter: this.rateLimiter,
      maxRegistrations: options.maxRegistrations ?? 100_000,
      linkLimits: options.linkFormat ?? {},
      reject,
      heardFrom: (registration) => this.outboxes.get(registration.endpoint)?.heardFrom(),
      identityRefused: (refusal) => this.emit('identityRefused', refusal),
    };
    this.sendContext = {
      registrations: this.store,
      contentFormats: options.sendContentFormats ?? SEND_CONTENT_FORMATS,
      reject,
      received: (registration, payload) => {
        this.counters.sends += 1;
        this.emit('send', { endpoint: registration.endpoint, registrationId: registration.id, payload, receivedAt: this.isoNow() });
      },
    };
    const queue = options.queue ?? {};
    this.makeOutbox = (endpoint, registration) =>
      new DeviceOutbox(
        endpoint,
        { address: registration.address, queueMode: registration.queueMode },
        {
          scheduler: this.scheduler,
          send: (peer, request) => this.endpoint.request(peer, request),
          nstart: options.nstart ?? 1,
          awakeMs: queue.awakeMs ?? timing.maxTransmitWaitMs,
          queueTimeoutMs: queue.timeoutMs ?? 3_600_000,
          maxQueued: queue.maxQueued ?? 64,
          onExpired: () => (this.counters.queueExpired += 1),
          onFull: () => (this.counters.queueFull += 1),
        },
      );
  }

  address(): PeerAddress {
    return this.transport.localAddress();
  }

  stats(): Lwm2mServerStats {
    let queued = 0;
    for (const outbox of this.outboxes.values()) queued += outbox.waiting;
    return { ...this.counters, rejected: { ...this.counters.rejected }, registrations: this.store.size, queuedRequests: queued, observations: this.observations.size };
  }

  registrations(): Registration[] {
    return this.store.all();
  }

  registration(endpoint: string): Registration | undefined {
    return this.store.byEndpointName(endpoint);
  }

  async read(endpoint: string, path: string, options: ReadOptions = {}): Promise<Lwm2mResponse> {
    return this.perform('read', endpoint, path, (root, p) => readRequest(root, p, options.accept));
  }

  async discover(endpoint: string, path: string): Promise<Lwm2mResponse> {
    return this.perform('discover', endpoint, path, (root, p) => discoverRequest(root, p));
  }

  async write(endpoint: string, path: string, payload: Payload, options: { readonly mode?: 'replace' | 'update' } = {}): Promise<Lwm2mResponse> {
    return this.perform('write', endpoint, path, (root, p) => writeRequest(root, p, payload, options.mode ?? 'replace'));
  }

  async writeAttributes(endpoint: string, path: string, attributes: WriteAttributes): Promise<Lwm2mResponse> {
    return this.perform('write-attributes', endpoint, path, (root, p) => writeAttributesRequest(root, p, attributes));
  }

  async execute(endpoint: string, path: string, args?: string): Promise<Lwm2mResponse> {
    return this.perform('execute', endpoint, path, (root, p) => executeRequest(root, p, args));
  }

  async create(endpoint: string, objectPath: string, payload: Payload): Promise<Lwm2mResponse> {
    return this.perform('create', endpoint, objectPath, (root, p) => createRequest(root, p, payload));
  }

  async delete(endpoint: string, path: string): Promise<Lwm2mResponse> {
    return this.perform('delete', endpoint, path, (root, p) => deleteRequest(root, p));
  }

  async observe(endpoint: string, path: string, options: ReadOptions = {}): Promise<Observation> {
    const canonical = checkPath('observe', path);
    const registration = this.registered(endpoint, 'observe');
    const rootPath = registration.objectLinks.rootPath;
    const token = randomBytes(8);
    const request = observeRequest(rootPath, canonical, options.accept, token, false);
    const { state, ended } = this.observations.create({
      endpoint,
      registrationId: registration.id,
      path: canonical,
      token,
      request,
      bufferSize: this.options.notificationBuffer ?? 256,
      onDrop: () => (this.counters.notificationsDropped += 1),
    });
    let message: CoapMessage;
    try {
      message = await this.outboxFor(registration).submit(request, `observe ${canonical} on ${endpoint}`, (peer) => (state.peer = peer));
    } catch (error) {
      state.end('not-observable');
      throw error;
    }
    if (!isSuccess(message.code)) {
      state.end('ended-by-device');
      throw new Lwm2mResponseError(message.code, endpoint, 'observe', canonical, payloadOf(message));
    }
    const sequence = uintOption(message, Option.OBSERVE);
    if (sequence === undefined) state.end('not-observable');
    else if (state.lastSequence === undefined) {
      state.lastSequence = sequence;
      state.lastAt = this.scheduler.now();
    }
    return this.observationHandle(state, ended, this.toResponse(message, rootPath), sequence !== undefined, options.accept);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.store.clear();
      this.endpoint.close();
      await this.transport.close();
    })();
    return this.closing;
  }

  private observationHandle(state: ObservationState, ended: Promise<ObservationEnd>, initial: Lwm2mResponse, established: boolean, accept: number | undefined): Observation {
    return {
      id: state.id,
      endpoint: state.endpoint,
      path: state.path,
      initial,
      established,
      notifications: state.stream,
      ended,
      cancel: async (mode = 'reset') => {
        if (state.stream.ended) return undefined;
        // Forgotten first: from now on a notification on this token is answered with RST.
        state.end('cancelled');
        if (mode === 'reset') return undefined;
        return this.perform('cancel-observation', state.endpoint, state.path, (root, p) => observeRequest(root, p, accept, state.token, true));
      },
    };
  }

  private registered(endpoint: string, operation: string): Registration {
    const registration = this.store.byEndpointName(endpoint);
    if (registration === undefined) throw new Lwm2mError('not-registered', `${operation}: no device '${endpoint}' is registered with this server`);
    return registration;
  }

  private outboxFor(registration: Registration): DeviceOutbox {
    let outbox = this.outboxes.get(registration.endpoint);
    if (outbox === undefined) {
      outbox = this.makeOutbox(registration.endpoint, registration);
      this.outboxes.set(registration.endpoint, outbox);
    }
    return outbox;
  }

  private async perform(
    operation: Operation,
    endpoint: string,
    path: string,
    build: (rootPath: string, canonicalPath: string) => OutgoingRequest,
  ): Promise<Lwm2mResponse> {
    const canonical = checkPath(operation, path);
    const registration = this.registered(endpoint, operation);
    const rootPath = registration.objectLinks.rootPath;
    const message = await this.outboxFor(registration).submit(build(rootPath, canonical), `${operation} ${canonical} on ${endpoint}`);
    if (!isSuccess(message.code)) throw new Lwm2mResponseError(message.code, endpoint, operation, canonical, payloadOf(message));
    return this.toResponse(message, rootPath);
  }

  private toResponse(message: CoapMessage, rootPath: string): Lwm2mResponse {
    const payload = payloadOf(message);
    const location = message.code === Code.CREATED ? locationOf(message, rootPath) : undefined;
    return {
      code: formatCode(message.code),
      ...(payload !== undefined ? { payload } : {}),
      ...(location !== undefined ? { location } : {}),
    };
  }

  private route(request: InboundRequest): OutboundResponse {
    const answer = handleRegistrationInterface(this.registrationContext, request) ?? handleSendInterface(this.sendContext, request);
    if (answer !== undefined) return answer;
    const uri = `/${request.message.options.filter((o) => o.number === Option.URI_PATH).map((o) => o.value.toString('utf8')).join('/')}`;
    this.reject('not-found', request.peer, `no resource at ${uri}; this server serves /rd and /dp`);
    return { code: Code.NOT_FOUND, payload: Buffer.from(`no resource at ${uri}; this server serves /rd and /dp`) };
  }

  private onNotification(peer: PeerAddress, message: CoapMessage): 'accept' | 'reject' {
    const state = this.observations.match(peer, message.token);
    if (state === undefined) return 'reject';
    const now = this.scheduler.now();
    const sequence = uintOption(message, Option.OBSERVE);
    if (isSuccess(message.code) && sequence !== undefined) {
      if (state.lastSequence !== undefined && !isFresher(state.lastSequence, state.lastAt, sequence, now)) {
        this.counters.staleNotifications += 1;
        return 'accept';
      }
      state.lastSequence = sequence;
      state.lastAt = now;
    }
    const receivedAt = this.isoNow();
    if (firstOption(message, Option.BLOCK2) === undefined) {
      this.deliver(state, message, receivedAt);
      return 'accept';
    }
    void this.endpoint.completeBlockwise(peer, state.request, message).then(
      (whole) => this.deliver(state, whole, receivedAt),
      (error: unknown) => this.log.warn({ endpoint: state.endpoint, path: state.path, err: error }, 'a block-wise notification could not be completed; it is dropped'),
    );
    return 'accept';
  }

  private deliver(state: ObservationState, message: CoapMessage, receivedAt: string): void {
    if (state.stream.ended) return;
    const notification = toNotification(state, message, receivedAt);
    this.counters.notifications += 1;
    state.stream.push(notification);
    this.emit('notification', notification);
    if (notification.final) state.end('ended-by-device');
  }

  private onRegistered(registration: Registration, replaced: Registration | undefined): void {
    this.counters.registered += 1;
    // The outbox belongs to the endpoint name: requests queued for a sleeping device go to its new address.
    const existing = this.outboxes.get(registration.endpoint);
    if (existing !== undefined) existing.retarget({ address: registration.address, queueMode: registration.queueMode });
    else this.outboxes.set(registration.endpoint, this.makeOutbox(registration.endpoint, registration));
    this.emit('registered', { registration, ...(replaced !== undefined ? { replaced } : {}) });
  }

  private onUpdated(registration: Registration, previous: Registration): void {
    this.counters.updated += 1;
    this.outboxes.get(registration.endpoint)?.retarget({ address: registration.address, queueMode: registration.queueMode });
    // The location proves it is the same client: its observations follow it to the new address.
    if (peerKey(registration.address) !== peerKey(previous.address)) {
      for (const state of this.observations.forEndpoint(registration.endpoint)) {
        if (state.peer !== undefined && peerKey(state.peer) === peerKey(previous.address)) state.peer = registration.address;
      }
    }
    this.emit('updated', { registration, previous });
  }

  private onRemoved(registration: Registration, reason: RemovalReason): void {
    for (const state of this.observations.forEndpoint(registration.endpoint)) state.end(reason);
    if (reason === 'replaced') {
      this.counters.replaced += 1;
      return;
    }
    const outbox = this.outboxes.get(registration.endpoint);
    this.outboxes.delete(registration.endpoint);
    outbox?.failWaiting(
      reason === 'server-closed'
        ? new Lwm2mError('closed', `the server closed before the request to ${registration.endpoint} was sent`)
        : new Lwm2mError('device-gone', `${registration.endpoint} ${reason} before the request was sent; it will not be sent`),
    );
    if (reason === 'deregistered') {
      this.counters.deregistered += 1;
      this.emit('deregistered', { registration });
    } else if (reason === 'expired') {
      this.counters.expired += 1;
      this.log.info({ endpoint: registration.endpoint, lifetimeSeconds: registration.lifetimeSeconds }, 'a registration expired: no Update within its lifetime');
      this.emit('expired', { registration });
    }
  }

  private reject(kind: RejectionKind, peer: PeerAddress, reason: string): void {
    this.counters.rejected[kind] += 1;
    this.warn(kind, { peer: `${peer.address}:${peer.port}` }, reason);
  }

  private emit<K extends keyof Lwm2mServerEvents>(name: K, ...args: Lwm2mServerEvents[K]): void {
    // rawListeners keeps `once` wrappers, so once-listeners still remove themselves.
    for (const listener of this.events.rawListeners(name) as ((...a: unknown[]) => unknown)[]) {
      try {
        const result = listener.apply(this.events, args);
        if (result instanceof Promise) result.catch((error: unknown) => this.listenerFailed(name, error));
      } catch (error) {
        this.listenerFailed(name, error);
      }
    }
  }

  private listenerFailed(name: string, error: unknown): void {
    this.counters.listenerErrors += 1;
    this.log.error({ event: name, err: error }, 'an event listener failed; the server carries on');
  }

  private isoNow(): string {
    return new Date(this.scheduler.now()).toISOString();
  }
}
