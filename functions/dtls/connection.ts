import type { ClientHello } from './clientHello.ts';
import { ServerHandshake, type HandshakeResult, type HandshakeSettings } from './handshake.ts';
import { parseHandshakeFragments, type HandshakeFragment } from './handshakeFragment.ts';
import { ContentType } from './protocol.ts';
import type { DtlsRecord } from './record.ts';
import type { DtlsSession, RemoteAddress } from './session.ts';
import { SessionChannel } from './sessionChannel.ts';
import type { SessionCache } from './sessionCache.ts';
import type { CloseReason, HandshakeFailure, StatsCounters } from './stats.ts';

export interface HandshakeEnd {
  readonly ok: boolean;
  readonly resumed?: boolean;
  readonly reason?: HandshakeFailure;
  readonly detail?: string;
  readonly identity?: Buffer;
  readonly error?: unknown;
}

/** What a connection needs from the server that owns the socket. */
export interface ConnectionHost {
  readonly counters: StatsCounters;
  readonly settings: HandshakeSettings;
  readonly cache: SessionCache | undefined;
  pskLookup(identity: Buffer): Promise<Buffer | undefined>;
  sendDatagram(remote: RemoteAddress, datagram: Buffer): Promise<void>;
  handshakeStarted(connection: Connection): void;
  handshakeEnded(connection: Connection, end: HandshakeEnd): void;
  sessionOpened(connection: Connection, session: DtlsSession): void;
  sessionClosed(connection: Connection, reason: CloseReason): void;
}

/**
 * Everything the server holds for one peer address: an established session, a handshake in
 * progress, or both while a restarted client makes a new handshake (RFC 6347 §4.2.8: the old
 * association stays until the new handshake completes). Routes each record to the one it belongs to.
 */
export class Connection {
  channel: SessionChannel | undefined;
  handshake: ServerHandshake | undefined;

  constructor(
    private readonly host: ConnectionHost,
    readonly remote: RemoteAddress,
  ) {}

  get isEmpty(): boolean {
    return this.channel === undefined && this.handshake === undefined;
  }

  startHandshake(hello: ClientHello, message: { readonly messageSeq: number; readonly raw: Buffer }, recordSequence: number) {
    const previous = this.handshake;
    const handshake: ServerHandshake = new ServerHandshake(
      {
        settings: this.host.settings,
        cache: this.host.cache,
        pskLookup: (identity) => this.host.pskLookup(identity),
        stats: this.host.counters,
        send: (datagrams) => {
          for (const d of datagrams) this.host.sendDatagram(this.remote, d).catch(() => undefined);
        },
        established: (result) => this.onEstablished(handshake, result),
        failed: (reason, detail, error) => {
          if (this.handshake === handshake) this.handshake = undefined;
          this.host.handshakeEnded(this, { ok: false, reason, detail, error, ...(handshake.pskIdentity === undefined ? {} : { identity: handshake.pskIdentity }) });
        },
      },
      hello,
      message,
      recordSequence,
    );
    // The new handshake takes the slot before the old one is abandoned, so the connection is never
    // empty in between (an empty connection is forgotten by the server).
    this.handshake = handshake;
    this.host.handshakeStarted(this);
    previous?.abort('superseded', 'a new ClientHello from the same address started over');
    handshake.start();
  }

  private onEstablished(handshake: ServerHandshake, result: HandshakeResult) {
    if (this.handshake !== handshake) return;
    this.handshake = undefined;
    const previous = this.channel;
    const channel = new SessionChannel(
      {
        stats: this.host.counters,
        cache: this.host.cache,
        sendDatagram: (d) => this.host.sendDatagram(this.remote, d),
        onClosed: (c, reason) => {
          if (this.channel === c) this.channel = undefined;
          this.host.sessionClosed(this, reason);
        },
      },
      result,
      this.remote,
    );
    this.channel = channel;
    this.host.handshakeEnded(this, { ok: true, resumed: result.resumed, identity: result.identity });
    // The peer proved it lost the old association; its keys are of no use to anyone now.
    previous?.end('replaced', false);
    this.host.sessionOpened(this, channel.session);
  }

  /** Any record except an epoch-0 ClientHello, which the server handles (cookies) before it gets here. */
  onRecord(record: DtlsRecord) {
    if (record.epoch === 0) this.onPlainRecord(record);
    else this.onProtectedRecord(record);
  }

  private onPlainRecord(record: DtlsRecord) {
    const stats = this.host.counters;
    const handshake = this.handshake !== undefined && !this.handshake.terminal ? this.handshake : undefined;
    switch (record.type) {
      case ContentType.handshake: {
        let fragments: HandshakeFragment[];
        try {
          fragments = parseHandshakeFragments(record.fragment);
        } catch {
          stats.drop('malformed_handshake');
          return;
        }
        if (handshake !== undefined) handshake.onHandshakeFragments(fragments, 0);
        else stats.drop('stale_handshake'); // a late retransmission of a finished handshake's ClientKeyExchange
        return;
      }
      case ContentType.changeCipherSpec:
        if (handshake !== undefined) handshake.onChangeCipherSpec(record.fragment);
        return;
      case ContentType.alert:
        // A plaintext alert can only end a handshake; an established session ignores unauthenticated alerts.
        if (handshake !== undefined && record.fragment.length === 2) handshake.onAlert(record.fragment[0]!, record.fragment[1]!);
        else stats.drop('unauthenticated_alert');
        return;
      default:
        stats.drop('unexpected_record');
    }
  }

  private onProtectedRecord(record: DtlsRecord) {
    const stats = this.host.counters;
    const handshake = this.handshake !== undefined && !this.handshake.terminal ? this.handshake : undefined;
    const channel = this.channel !== undefined && !this.channel.closed ? this.channel : undefined;
    const channelMatches = channel !== undefined && channel.readEpoch === record.epoch;

    if (handshake !== undefined && handshake.awaitingKeys && record.epoch === 1) {
      // Either the old session's traffic or the client's Finished arriving ahead of its key exchange.
      if (channelMatches && channel.tryRecord(record) === 'ok') return;
      if (!handshake.holdEarlyRecord(record)) stats.drop('queue_full');
      return;
    }
    const pending = handshake?.readEpoch(record.epoch);
    if (handshake !== undefined && pending !== undefined) {
      const opened = pending.open(record);
      if (opened.ok) {
        handshake.onEpoch1Plaintext(record.type, opened.plaintext);
        return;
      }
      if (opened.reason === 'replayed') {
        stats.drop('replayed');
        return;
      }
      if (channelMatches && channel.tryRecord(record) === 'ok') return;
      stats.drop('bad_record_mac');
      handshake.onAuthenticationFailure();
      return;
    }
    if (channelMatches) {
      const outcome = channel.tryRecord(record);
      if (outcome !== 'ok') stats.drop(outcome);
      return;
    }
    stats.drop('bad_epoch');
  }
}
