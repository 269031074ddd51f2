import { createHash, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';
import { Aedes, type AedesPublishPacket, type Client, type PublishPacket, type Subscription } from 'aedes';
import { MAX_TOPIC_BYTES, parseTopic, type ParsedTopic } from '../../schemas/topics/topics.ts';
import { EMBEDDED_ARN, iotResources, type ArnContext } from '../registry/devicePolicy.ts';
import { compilePolicy, type CompiledPolicy } from '../registry/policyEvaluator.ts';
import { emptyRefusals, type BrokerStats, type RefusalKind } from './brokerStats.ts';
import type { PeerIdentity, Principal, PrincipalLookup } from './principals.ts';

/**
 * The embedded MQTT broker: aedes (MQTT 3.1.1) behind mutual TLS, enforcing the same IoT policy
 * documents AWS IoT Core would (functions/registry/devicePolicy.ts) through policyEvaluator.ts.
 *
 * Identity is the client certificate: its CN is the thing name, the MQTT client id must equal it,
 * and the registry (the `lookup` option) must know the certificate; a revoked one is refused. The
 * policy is compiled once per connection; per message the broker does a map lookup per topic.
 * README.md beside this file lists every refusal and what the client sees.
 */

export interface BrokerLog {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

const consoleLog: BrokerLog = {
  warn: (details, message) => console.warn(`[broker] ${message}`, details),
  error: (details, message) => console.error(`[broker] ${message}`, details),
};

export interface PlainTcpOptions {
  /** 0 (default) for an ephemeral port. */
  readonly port?: number;
  readonly host?: string;
  /**
   * Shared development password (at least 16 characters). The CONNECT username is the identity
   * (a thing name or `bridge:<id>`), must equal the client id, and goes through the same lookup
   * and policy as a certificate's CN.
   */
  readonly password: string;
}

export interface EmbeddedBrokerOptions {
  /** TLS port; 0 for an ephemeral one. Default 8883. */
  readonly port?: number;
  /** Default 127.0.0.1: listening on other interfaces is a deliberate choice. */
  readonly host?: string;
  /** PEM of the CA that issues client certificates; the only trust anchor. */
  readonly ca: string;
  /** The broker's certificate and key (PEM). */
  readonly cert: string;
  readonly key: string;
  /** Finds the principal (and its policies) for a certificate. */
  readonly lookup: PrincipalLookup;
  readonly revocations?: { isRevoked(certificateId: string): boolean };
  /** The ARNs the policies name; EMBEDDED_ARN unless the documents were made for another account. */
  readonly arn?: ArnContext;
  /** Development only: a plain TCP listener too. Requires `plainTcp`. */
  readonly allowPlainTcp?: boolean;
  readonly plainTcp?: PlainTcpOptions;
  /** A TLS handshake that takes longer is dropped (default 10 s). */
  readonly handshakeTimeoutMs?: number;
  /** CONNECT must arrive this soon after the handshake (default 10 s). */
  readonly connectTimeoutMs?: number;
  readonly log?: BrokerLog;
  /**
   * Run the onPublish handlers before aedes acknowledges a QoS 1 message, so PUBACK means "the
   * backend has it" and a crash cannot lose an acknowledged message. Off by default, as in AWS
   * IoT Core, where PUBACK means "the broker has it" and rules run afterwards.
   */
  readonly handleBeforeAck?: boolean;
}

/** Who sent a message, as the broker established it at connect time. */
export interface ClientIdentity {
  readonly kind: Principal['kind'];
  readonly thingName: string;
  readonly bridgeId?: string | undefined;
  readonly clientId: string;
  readonly certificateId?: string | undefined;
  readonly transport: PeerIdentity['transport'];
}

export interface InboundMessage {
  readonly topic: string;
  /** The topic read against the topic tree; undefined for a topic outside it (the policy allowed it anyway). */
  readonly route: ParsedTopic | undefined;
  readonly payload: Buffer;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  /** The MQTT packet id (QoS > 0): with the client id it tells a redelivery from a new message. */
  readonly packetId?: number | undefined;
  readonly identity: ClientIdentity;
}

/**
 * Called for every message a client published and the policy allowed (its last will included).
 * The broker waits for the returned promise before reading more from that client, so a slow
 * handler slows the publisher rather than piling up work. QoS 1 is acknowledged before the handler
 * runs unless `handleBeforeAck` is set. A handler that throws is logged and counted; the message
 * is not redelivered.
 */
export type PublishHandler = (message: InboundMessage) => void | Promise<void>;

export interface ServerPublish {
  readonly topic: string;
  readonly payload: Buffer | Uint8Array | string;
  readonly qos?: 0 | 1;
  readonly retain?: boolean;
}

export interface EmbeddedBroker {
  /** Starts listening; resolves to the bound TLS port. */
  start(): Promise<number>;
  /** The bound plain-TCP port, when that listener is on. */
  readonly plainTcpPort: number | undefined;
  onPublish(handler: PublishHandler): () => void;
  /** Publishes from the server side (commands, bootstrap responses); subscribers' iot:Receive still applies. */
  publish(message: ServerPublish): Promise<void>;
  /** Drops every live connection made with this certificate (call after revoking it). Resolves to how many. */
  disconnectCertificate(certificateId: string): Promise<number>;
  stats(): BrokerStats;
  /** Closes aedes, both listeners and every socket, handshaking or not. */
  close(): Promise<void>;
}

interface Session {
  readonly identity: ClientIdentity;
  readonly policy: CompiledPolicy;
  /** Per-topic decisions; a device uses a handful of topics, so this stays tiny. */
  readonly publishDecisions: Map<string, boolean>;
  readonly receiveDecisions: Map<string, boolean>;
  /** handleBeforeAck: the last message still being handled, which the next PUBACK waits for. */
  ackTail?: Promise<void> | undefined;
}

/** Bounds the per-connection decision caches against a client cycling through topics. */
const MAX_CACHED_TOPICS = 256;

class Refusal extends Error {
  constructor(
    readonly kind: RefusalKind,
    readonly returnCode: 3 | 4 | 5,
    message: string,
  ) {
    super(message);
  }
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

const remoteOf = (conn: unknown) => {
  const socket = conn as Partial<Socket>;
  return socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : undefined;
};

const checkServerTopic = (topic: string) => {
  if (typeof topic !== 'string' || topic.length === 0) throw new Error('a server publish needs a topic: pass a non-empty topic name');
  if (/[+#]/.test(topic) || topic.includes('\0')) throw new Error(`topic ${JSON.stringify(topic)} holds a wildcard or NUL: publish to a topic name, not a filter`);
  if (topic.startsWith('$')) throw new Error(`topic ${JSON.stringify(topic)} starts with "$", which is reserved for the broker`);
  if (Buffer.byteLength(topic, 'utf8') > MAX_TOPIC_BYTES) throw new Error(`topic is longer than ${MAX_TOPIC_BYTES} bytes, AWS IoT's limit: shorten it`);
};

export const createEmbeddedBroker = (options: EmbeddedBrokerOptions): EmbeddedBroker => {
  const { host = '127.0.0.1', port = 8883, lookup, revocations, arn = EMBEDDED_ARN, log = consoleLog, handleBeforeAck = false } = options;
  if (!options.ca || !options.cert || !options.key) {
    throw new Error('the broker needs ca, cert and key (PEM): issue them with functions/registry/localCa.ts');
  }
  if (options.allowPlainTcp && !options.plainTcp) {
    throw new Error('allowPlainTcp is set without plainTcp: give plainTcp.password (and a port), or leave plain TCP off');
  }
  if (options.allowPlainTcp && (options.plainTcp?.password.length ?? 0) < 16) {
    throw new Error('plainTcp.password is shorter than 16 characters: even a development listener needs a real secret');
  }
  const plainPasswordDigest = options.allowPlainTcp && options.plainTcp ? sha256(options.plainTcp.password) : undefined;
  const resources = iotResources(arn);

  const refusals = emptyRefusals();
  const counters = { accepted: 0, delivered: 0, handlerErrors: 0 };
  const sessions = new WeakMap<Client, Session>();
  const live = new Set<Client>();
  const handlers = new Set<PublishHandler>();
  const sockets = new Set<Socket>();
  let aedes: Aedes | undefined;
  let tlsServer: Server | undefined;
  let tcpServer: Server | undefined;
  let plainTcpPort: number | undefined;
  let state: 'new' | 'starting' | 'running' | 'closed' = 'new';

  const refuse = (kind: RefusalKind, details: object, message: string) => {
    refusals[kind]++;
    log.warn({ refusal: kind, ...details }, message);
  };

  const identify = (client: Client, username: string | undefined, password: Buffer | undefined): PeerIdentity => {
    const conn = client.conn;
    if (conn instanceof TLSSocket) {
      const peer = conn.getPeerCertificate();
      const cn: unknown = peer?.subject?.CN;
      if (!peer?.raw || typeof cn !== 'string' || cn.length === 0) {
        throw new Refusal('unknown-certificate', 5, 'the client certificate has no single subject CN: issue it with the thing name as CN');
      }
      const certificateId = sha256(peer.raw).toString('hex');
      if (revocations?.isRevoked(certificateId)) {
        throw new Refusal('revoked-certificate', 5, `certificate ${certificateId} of "${cn}" is revoked`);
      }
      return { commonName: cn, certificateId, transport: 'tls' };
    }
    if (!plainPasswordDigest || !username || !password || !timingSafeEqual(sha256(password), plainPasswordDigest)) {
      throw new Refusal('bad-credentials', 4, 'plain TCP needs the development username (thing name) and password');
    }
    return { commonName: username, transport: 'tcp' };
  };

  const openSession = async (client: Client, username: string | undefined, password: Buffer | undefined): Promise<Session> => {
    const peer = identify(client, username, password);
    if (client.id !== peer.commonName) {
      throw new Refusal('client-id-mismatch', 5, `client id ${JSON.stringify(client.id)} is not the identity "${peer.commonName}": connect with the thing name as client id`);
    }
    let principal: Principal | undefined;
    try {
      principal = await lookup(peer);
    } catch (error) {
      log.error({ commonName: peer.commonName, err: error }, 'the principal lookup failed');
      throw new Refusal('lookup-failed', 3, 'the registry could not be asked; try again later');
    }
    if (!principal) throw new Refusal('unknown-certificate', 5, `"${peer.commonName}" is not registered (or its certificate is not attached to it)`);
    if (principal.thingName !== peer.commonName) {
      throw new Refusal('unknown-certificate', 5, `the registry attaches "${peer.commonName}"'s certificate to "${principal.thingName}", not to its CN`);
    }
    let policy: CompiledPolicy;
    try {
      policy = compilePolicy(principal.policies, { thingName: principal.thingName, clientId: client.id, isAttached: true });
    } catch (error) {
      log.error({ thingName: principal.thingName, err: error }, 'the policy attached to this principal cannot be compiled');
      throw new Refusal('policy-invalid', 5, `the policy of "${principal.thingName}" is invalid`);
    }
    if (!policy.allows('iot:Connect', resources.client(client.id))) {
      throw new Refusal('connect-denied', 5, `the policy of "${principal.thingName}" does not allow iot:Connect as ${JSON.stringify(client.id)}`);
    }
    return {
      identity: {
        kind: principal.kind,
        thingName: principal.thingName,
        bridgeId: principal.bridgeId,
        clientId: client.id,
        certificateId: peer.certificateId,
        transport: peer.transport,
      },
      policy,
      publishDecisions: new Map(),
      receiveDecisions: new Map(),
    };
  };

  const decideCached = (cache: Map<string, boolean>, policy: CompiledPolicy, action: 'iot:Publish' | 'iot:Receive', topic: string) => {
    // Longer than the limit in characters means longer in bytes: refused without filling the cache.
    if (topic.length > MAX_TOPIC_BYTES) return false;
    let allowed = cache.get(topic);
    if (allowed === undefined) {
      allowed = Buffer.byteLength(topic, 'utf8') <= MAX_TOPIC_BYTES && policy.allows(action, resources.topic(topic));
      if (cache.size >= MAX_CACHED_TOPICS) cache.clear();
      cache.set(topic, allowed);
    }
    return allowed;
  };

  const authenticate = (client: Client, username: string | undefined, password: Buffer | undefined, done: (error: (Error & { returnCode: number }) | null, ok: boolean | null) => void) => {
    openSession(client, username, password).then(
      (session) => {
        sessions.set(client, session);
        const conn = client.conn as Socket;
        // The socket may have gone while the registry was asked; aedes then drops the client itself.
        if (!conn.destroyed) {
          live.add(client);
          conn.once('close', () => live.delete(client));
        }
        done(null, true);
      },
      (error: unknown) => {
        const refusal = error instanceof Refusal ? error : new Refusal('lookup-failed', 3, `unexpected: ${(error as Error)?.message}`);
        refuse(refusal.kind, { clientId: client.id, remote: remoteOf(client.conn) }, `connection refused: ${refusal.message}`);
        done(Object.assign(new Error(refusal.message), { returnCode: refusal.returnCode }), false);
      },
    );
  };

  const authorizePublish = (client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void) => {
    const session = client ? sessions.get(client) : undefined;
    if (session && decideCached(session.publishDecisions, session.policy, 'iot:Publish', packet.topic)) {
      if (!handleBeforeAck) return callback(null);
      // aedes acknowledges QoS 1 right after this callback: handling first makes PUBACK mean "handled".
      // (A last will is handled here too, just before aedes publishes it.)
      const pending = dispatch(packet, session);
      if (!pending && !session.ackTail) return callback(null);
      // MQTT 3.1.1 wants PUBACKs in PUBLISH order [MQTT-4.6.0-2]: each waits for the one before.
      const tail = (session.ackTail ?? Promise.resolve()).then(() => pending);
      session.ackTail = tail;
      void tail.then(() => {
        if (session.ackTail === tail) session.ackTail = undefined;
        callback(null);
      });
      return;
    }
    // aedes passes the client's last will through here when the connection dies uncleanly.
    const isWill = client !== null && (client as Client & { will?: unknown }).will === packet;
    const kind: RefusalKind = isWill ? 'will-denied' : 'publish-denied';
    refuse(kind, { clientId: client?.id, topic: packet.topic }, isWill ? 'last will dropped: not allowed on its topic' : 'publish denied; the connection is dropped');
    callback(new Error(`iot:Publish to ${JSON.stringify(packet.topic)} is not allowed for ${JSON.stringify(client?.id)}`));
  };

  const authorizeSubscribe = (client: Client, subscription: Subscription, callback: (error: Error | null, subscription?: Subscription | null) => void) => {
    const session = sessions.get(client);
    if (session && Buffer.byteLength(subscription.topic, 'utf8') <= MAX_TOPIC_BYTES && session.policy.allows('iot:Subscribe', resources.topicFilter(subscription.topic))) {
      return callback(null, subscription);
    }
    refuse('subscribe-denied', { clientId: client.id, filter: subscription.topic }, 'subscription denied (SUBACK 0x80)');
    callback(null, null);
  };

  const authorizeForward = (client: Client, packet: AedesPublishPacket): AedesPublishPacket | null => {
    const session = sessions.get(client);
    if (session && decideCached(session.receiveDecisions, session.policy, 'iot:Receive', packet.topic)) return packet;
    refuse('receive-denied', { clientId: client.id, topic: packet.topic }, 'delivery withheld: iot:Receive not allowed');
    return null;
  };

  const onHandlerError = (error: unknown, message: InboundMessage) => {
    counters.handlerErrors++;
    log.error({ topic: message.topic, clientId: message.identity.clientId, err: error }, 'an onPublish handler failed; the message was acknowledged and is not redelivered');
  };

  /** Hands one allowed client message to every handler; a promise when any handler is still working. */
  const dispatch = (packet: PublishPacket, session: Session): Promise<void> | undefined => {
    if (handlers.size === 0) return undefined;
    const message: InboundMessage = {
      topic: packet.topic,
      route: parseTopic(packet.topic),
      payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
      qos: packet.qos,
      retain: packet.retain,
      packetId: packet.messageId,
      identity: session.identity,
    };
    counters.delivered++;
    let pending: Promise<void>[] | undefined;
    for (const handler of handlers) {
      try {
        const result = handler(message);
        if (result) (pending ??= []).push(result.catch((error: unknown) => onHandlerError(error, message)));
      } catch (error) {
        onHandlerError(error, message);
      }
    }
    return pending ? Promise.all(pending).then(() => undefined) : undefined;
  };

  const published = (packet: AedesPublishPacket, client: Client | null, done: (error?: Error | null) => void) => {
    const session = client ? sessions.get(client) : undefined;
    if (!session || handleBeforeAck) return done();
    const pending = dispatch(packet, session);
    // Never hand aedes an error here: it would drop a connection whose message was allowed.
    if (pending) void pending.then(() => done());
    else done();
  };

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const listen = async (server: Server, listenPort: number, listenHost: string) => {
    server.listen(listenPort, listenHost);
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error as Error))]);
    return (server.address() as AddressInfo).port;
  };

  const start = async (): Promise<number> => {
    if (state !== 'new') throw new Error(`the broker was already started (${state}): create a new one to start again`);
    state = 'starting';
    const broker = new Aedes({
      authenticate,
      authorizePublish,
      authorizeSubscribe,
      authorizeForward,
      published,
      // Thing names run to 128 characters; aedes' default (23) is MQTT 3.1's limit.
      maxClientsIdLength: 128,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
    });
    await broker.listen();
    aedes = broker;
    broker.on('connackSent', (packet) => {
      if (packet.returnCode === 0) counters.accepted++;
    });
    // Refused connects and dropped publishers surface here too; they are already counted and logged.
    broker.on('clientError', () => undefined);
    broker.on('connectionError', () => undefined);
    // aedes emits 'error' (e.g. a persistence failure) without declaring it; unhandled, it would crash the process.
    (broker as unknown as NodeJS.EventEmitter).on('error', (error: unknown) => log.error({ err: error }, 'aedes reported an error'));

    const tls = createTlsServer(
      {
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
        handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
      },
      (socket) => broker.handle(socket),
    );
    tls.on('connection', track);
    tls.on('tlsClientError', (error, socket) => {
      refuse('tls-handshake', { remote: remoteOf(socket), reason: error.message }, 'TLS handshake failed');
      socket.destroy();
    });
    tlsServer = tls;
    const tlsPort = await listen(tls, port, host);

    if (options.allowPlainTcp && options.plainTcp) {
      const tcp = createTcpServer((socket) => broker.handle(socket));
      tcp.on('connection', track);
      tcpServer = tcp;
      plainTcpPort = await listen(tcp, options.plainTcp.port ?? 0, options.plainTcp.host ?? host);
      log.warn({ port: plainTcpPort }, 'plain TCP listener is on: development only, never expose it');
    }
    state = 'running';
    return tlsPort;
  };

  const publish = async (message: ServerPublish): Promise<void> => {
    if (!aedes || state !== 'running') throw new Error('the broker is not running: start() it before publishing');
    checkServerTopic(message.topic);
    const packet: PublishPacket = {
      cmd: 'publish',
      topic: message.topic,
      payload: typeof message.payload === 'string' ? Buffer.from(message.payload) : Buffer.from(message.payload),
      qos: message.qos ?? 1,
      retain: message.retain ?? false,
      dup: false,
    };
    const broker = aedes;
    await new Promise<void>((resolve, reject) => broker.publish(packet, (error) => (error ? reject(error) : resolve())));
  };

  const closeClient = (client: Client) => new Promise<void>((resolve) => client.close(() => resolve()));

  const closeServer = (server: Server | undefined) =>
    server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();

  return {
    start,
    get plainTcpPort() {
      return plainTcpPort;
    },
    onPublish(handler) {
      handlers.add(handler);
      return () => void handlers.delete(handler);
    },
    publish,
    async disconnectCertificate(certificateId) {
      const matching = [...live].filter((c) => sessions.get(c)?.identity.certificateId === certificateId);
      await Promise.all(matching.map(closeClient));
      return matching.length;
    },
    stats: () => ({ ...counters, connected: live.size, refusals: { ...refusals } }),
    async close() {
      if (state === 'closed') return;
      state = 'closed';
      const closing = [closeServer(tlsServer), closeServer(tcpServer)];
      const broker = aedes;
      if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await Promise.all(closing);
    },
  };
};
