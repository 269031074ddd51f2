import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { parseClientHello, type ClientHello } from './clientHello.ts';
import { Connection, type ConnectionHost, type HandshakeEnd } from './connection.ts';
import { CookieJar } from './cookie.ts';
import type { HandshakeSettings } from './handshake.ts';
import { handshakeMessage, parseHandshakeFragments, type HandshakeFragment } from './handshakeFragment.ts';
import { resolveOptions, type DtlsServerOptions, type ResolvedOptions } from './options.ts';
import { ContentType, DTLS_1_0, HandshakeType } from './protocol.ts';
import { parseRecords, recordHeader, type DtlsRecord } from './record.ts';
import { helloVerifyRequestBody } from './serverMessages.ts';
import type { DtlsSession, RemoteAddress } from './session.ts';
import { SessionCache } from './sessionCache.ts';
import { StatsCounters, type CloseReason, type DtlsServerStats, type HandshakeFailure } from './stats.ts';

export interface DtlsServerConfig {
  /** A dgram socket to serve on (bound or not). The server never closes a socket it was given. */
  readonly socket?: Socket;
  /** Without a socket: where to bind a new one. Port 0 (the default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
  readonly type?: 'udp4' | 'udp6';
  /**
   * The PSK for a client's identity, or undefined when the identity is unknown (the client then gets
   * unknown_psk_identity). Called once per full handshake and once per resumption (a revoked or
   * changed key must not resume). A rejection ends that handshake with internal_error.
   */
  readonly pskLookup: (identity: Buffer) => Promise<Buffer | undefined>;
  readonly options?: DtlsServerOptions;
}

export interface HandshakeFailedEvent {
  readonly remote: RemoteAddress;
  readonly reason: HandshakeFailure;
  readonly detail: string;
  /** The PSK identity, when the client got as far as sending it. */
  readonly identity?: Buffer;
  /** What pskLookup threw, for psk_lookup_error. */
  readonly error?: unknown;
}

export interface DtlsServerEvents {
  /** A handshake completed: the session is ready to send and receive. */
  session: [session: DtlsSession];
  handshakeFailed: [event: HandshakeFailedEvent];
}

export interface DtlsServer extends EventEmitter<DtlsServerEvents> {
  address(): AddressInfo;
  stats(): DtlsServerStats;
  /** Established sessions, one per peer address. */
  sessions(): DtlsSession[];
  /** Starts a new cookie secret now (the previous one stays valid for one period). */
  rotateCookieSecret(): void;
  /** Sends close_notify to every session, abandons handshakes, and closes the socket if the server made it. */
  close(): Promise<void>;
}

const keyOf = (address: string, port: number) => `${address}|${port}`;

class Server extends EventEmitter<DtlsServerEvents> implements DtlsServer, ConnectionHost {
  readonly counters = new StatsCounters();
  readonly settings: HandshakeSettings;
  readonly cache: SessionCache | undefined;
  private readonly connections = new Map<string, Connection>();
  private readonly handshakesByAddress = new Map<string, number>();
  private handshakesInProgress = 0;
  private sessionsOpen = 0;
  private readonly cookies: CookieJar;
  private readonly sweeper: NodeJS.Timeout;
  private closing = false;
  private inflight = 0;
  private drained: (() => void) | undefined;
  private readonly listener = (msg: Buffer, rinfo: RemoteInfo) => this.onDatagram(msg, rinfo);
  private readonly socketErrorListener = () => {
    this.counters.sendErrors++;
  };

  constructor(
    private readonly socket: Socket,
    private readonly ownsSocket: boolean,
    private readonly lookup: (identity: Buffer) => Promise<Buffer | undefined>,
    private readonly options: ResolvedOptions,
  ) {
    super();
    this.settings = options.handshake;
    this.cache = options.sessionCache === false ? undefined : new SessionCache(options.sessionCache.maxEntries, options.sessionCache.ttlMs);
    this.cookies = new CookieJar(options.cookieRotationMs);
    socket.on('message', this.listener);
    socket.on('error', this.socketErrorListener);
    const every = Math.max(20, Math.min(options.idleTimeoutMs / 4, options.handshakeTimeoutMs / 4, 10_000));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref();
  }

  address(): AddressInfo {
    return this.socket.address();
  }

  sessions(): DtlsSession[] {
    const out: DtlsSession[] = [];
    for (const c of this.connections.values()) if (c.channel !== undefined && !c.channel.closed) out.push(c.channel.session);
    return out;
  }

  rotateCookieSecret() {
    this.cookies.rotate();
  }

  pskLookup(identity: Buffer): Promise<Buffer | undefined> {
    try {
      return this.lookup(identity);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  // ---- input -----------------------------------------------------------------------------------

  private onDatagram(datagram: Buffer, rinfo: RemoteInfo) {
    if (this.closing) return;
    this.counters.datagramsReceived++;
    const { records, error } = parseRecords(datagram);
    if (error !== undefined) this.counters.drop('malformed_record');
    const key = keyOf(rinfo.address, rinfo.port);
    const remote: RemoteAddress = { address: rinfo.address, port: rinfo.port, family: rinfo.family === 'IPv6' ? 'IPv6' : 'IPv4' };
    for (const record of records) {
      if (this.closing) return;
      if (record.epoch === 0 && record.type === ContentType.handshake && record.fragment[0] === HandshakeType.clientHello) {
        this.onClientHello(record, remote, key);
        continue;
      }
      const connection = this.connections.get(key);
      if (connection === undefined) this.counters.drop('no_association');
      else connection.onRecord(record);
    }
  }

  /**
   * RFC 6347 §4.2.1: until a ClientHello carries a cookie we made for this address, we answer with
   * a HelloVerifyRequest and keep nothing, so spoofed sources cost us one HMAC and one small reply.
   */
  private onClientHello(record: DtlsRecord, remote: RemoteAddress, key: string) {
    let fragment: HandshakeFragment;
    let hello: ClientHello;
    try {
      const fragments = parseHandshakeFragments(record.fragment);
      if (fragments.length !== 1) {
        this.counters.drop('malformed_handshake');
        return;
      }
      fragment = fragments[0]!;
      if (fragment.fragmentOffset !== 0 || fragment.body.length !== fragment.length) {
        // Reassembling it would mean keeping state for an unverified address.
        this.counters.drop('fragmented_client_hello');
        return;
      }
      hello = parseClientHello(fragment.body);
    } catch {
      this.counters.drop('malformed_handshake');
      return;
    }
    const connection = this.connections.get(key);
    if (connection?.handshake !== undefined && connection.handshake.isRetransmissionOf(hello, fragment.messageSeq)) {
      connection.handshake.onClientHelloRetransmission();
      return;
    }
    if (connection?.channel !== undefined && hello.random.equals(connection.channel.clientRandom)) {
      // A late copy of the hello that made the current session: not a restart (the random is the same).
      this.counters.drop('stale_handshake');
      return;
    }
    if (!this.cookies.verify(hello, remote.address, remote.port)) {
      this.sendHelloVerifyRequest(record, fragment, hello, remote);
      return;
    }
    // The client is reachable at this address. Now it may cost us state, within limits.
    const replacing = connection?.handshake !== undefined;
    if (!replacing) {
      const perAddress = this.handshakesByAddress.get(remote.address) ?? 0;
      if (this.handshakesInProgress >= this.options.maxHandshakes || perAddress >= this.options.maxHandshakesPerAddress) {
        this.counters.drop('handshake_limit');
        return;
      }
      if (connection?.channel === undefined && this.sessionsOpen + this.handshakesInProgress >= this.options.maxSessions) {
        this.counters.drop('session_limit');
        return;
      }
    }
    let target = connection;
    if (target === undefined) {
      target = new Connection(this, remote);
      this.connections.set(key, target);
    }
    target.startHandshake(hello, { messageSeq: fragment.messageSeq, raw: handshakeMessage(HandshakeType.clientHello, fragment.messageSeq, fragment.body) }, record.sequence);
  }

  private sendHelloVerifyRequest(record: DtlsRecord, fragment: HandshakeFragment, hello: ClientHello, remote: RemoteAddress) {
    const message = handshakeMessage(HandshakeType.helloVerifyRequest, fragment.messageSeq, helloVerifyRequestBody(this.cookies.issue(hello, remote.address, remote.port)));
    // §4.2.1: the HelloVerifyRequest reuses the ClientHello's record sequence number, so we keep no counter.
    const datagram = Buffer.concat([recordHeader(ContentType.handshake, DTLS_1_0, 0, record.sequence, message.length), message]);
    this.counters.helloVerifyRequestsSent++;
    this.sendDatagram(remote, datagram).catch(() => undefined);
  }

  // ---- ConnectionHost ----------------------------------------------------------------------------

  sendDatagram(remote: RemoteAddress, datagram: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.inflight++;
      const done = (err: Error | null) => {
        this.inflight--;
        if (this.inflight === 0) this.drained?.();
        if (err !== null) {
          this.counters.sendErrors++;
          reject(err);
        } else resolve();
      };
      try {
        this.socket.send(datagram, remote.port, remote.address, done);
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  handshakeStarted(connection: Connection) {
    this.handshakesInProgress++;
    const a = connection.remote.address;
    this.handshakesByAddress.set(a, (this.handshakesByAddress.get(a) ?? 0) + 1);
  }

  handshakeEnded(connection: Connection, end: HandshakeEnd) {
    this.handshakesInProgress--;
    const a = connection.remote.address;
    const left = (this.handshakesByAddress.get(a) ?? 1) - 1;
    if (left <= 0) this.handshakesByAddress.delete(a);
    else this.handshakesByAddress.set(a, left);
    if (end.ok) {
      this.counters.completed++;
      if (end.resumed === true) this.counters.resumed++;
    } else {
      const reason = end.reason ?? 'malformed_message';
      this.counters.failed[reason]++;
      this.forgetIfEmpty(connection);
      this.emit('handshakeFailed', {
        remote: connection.remote,
        reason,
        detail: end.detail ?? '',
        ...(end.identity === undefined ? {} : { identity: end.identity }),
        ...(end.error === undefined ? {} : { error: end.error }),
      });
    }
  }

  sessionOpened(_connection: Connection, session: DtlsSession) {
    this.sessionsOpen++;
    this.emit('session', session);
  }

  sessionClosed(connection: Connection, reason: CloseReason) {
    this.sessionsOpen--;
    this.counters.closed[reason]++;
    this.forgetIfEmpty(connection);
  }

  private forgetIfEmpty(connection: Connection) {
    const key = keyOf(connection.remote.address, connection.remote.port);
    if (connection.isEmpty && this.connections.get(key) === connection) this.connections.delete(key);
  }

  // ---- housekeeping ------------------------------------------------------------------------------

  private sweep() {
    const now = Date.now();
    for (const c of [...this.connections.values()]) {
      if (c.channel !== undefined && now - c.channel.lastActivity > this.options.idleTimeoutMs) c.channel.end('idle', true);
      if (c.handshake !== undefined && now - c.handshake.startedAt > this.options.handshakeTimeoutMs) {
        c.handshake.abort('timeout', `handshake still unfinished after ${this.options.handshakeTimeoutMs} ms`);
      }
    }
  }

  stats(): DtlsServerStats {
    return this.counters.snapshot(this.sessionsOpen, this.handshakesInProgress);
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.sweeper);
    for (const c of [...this.connections.values()]) {
      c.handshake?.abort('server_closed', 'the server is closing');
      c.channel?.end('server_closed', true);
    }
    this.connections.clear();
    this.cache?.clear();
    // Let the close_notify alerts leave before the socket goes.
    if (this.inflight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.socket.off('message', this.listener);
    if (this.ownsSocket) {
      await new Promise<void>((resolve) => this.socket.close(() => resolve()));
    }
    this.socket.off('error', this.socketErrorListener);
  }
}

const bind = (socket: Socket, port: number, host: string | undefined) =>
  new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(new Error(`cannot bind the DTLS socket to ${host ?? '*'}:${port}: ${err.message}`));
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.off('error', onError);
      resolve();
    });
  });

const isBound = (socket: Socket) => {
  try {
    socket.address();
    return true;
  } catch {
    return false;
  }
};

/**
 * Starts a DTLS 1.2 PSK server (see README.md). Resolves once the socket is bound; listen for
 * 'session' to get each established association.
 */
export const createDtlsServer = async (config: DtlsServerConfig): Promise<DtlsServer> => {
  if (typeof config.pskLookup !== 'function') throw new TypeError('createDtlsServer needs pskLookup(identity) => Promise<Buffer | undefined>');
  const options = resolveOptions(config.options);
  const socket = config.socket ?? createSocket({ type: config.type ?? (config.host?.includes(':') === true ? 'udp6' : 'udp4') });
  if (!isBound(socket)) await bind(socket, config.port ?? 0, config.host);
  return new Server(socket, config.socket === undefined, config.pskLookup, options);
};
