import { SequenceExhaustedError, type ReadEpoch, type WriteEpoch } from './epoch.ts';
import type { HandshakeResult, ServerHandshake } from './handshake.ts';
import { parseHandshakeFragments, type HandshakeFragment } from './handshakeFragment.ts';
import { AlertDescription, AlertLevel, alertName, ContentType, HandshakeType, MAX_PLAINTEXT } from './protocol.ts';
import type { DtlsRecord } from './record.ts';
import { DtlsSession, type RemoteAddress, type SessionLink } from './session.ts';
import type { SessionCache } from './sessionCache.ts';
import type { CloseReason, StatsCounters } from './stats.ts';

export interface ChannelDeps {
  readonly stats: StatsCounters;
  readonly cache: SessionCache | undefined;
  sendDatagram(datagram: Buffer): Promise<void>;
  onClosed(channel: SessionChannel, reason: CloseReason): void;
}

/** The record layer of an established session: epoch 1 both ways, plus what the handshake left to answer. */
export class SessionChannel implements SessionLink {
  readonly session: DtlsSession;
  readonly clientRandom: Buffer;
  lastActivity = Date.now();
  private isClosed = false;
  private readonly read: ReadEpoch;
  private readonly write: WriteEpoch;
  /** The completed full handshake, kept until the client shows it has our Finished (its first application data). */
  private retained: ServerHandshake | undefined;

  constructor(
    private readonly deps: ChannelDeps,
    result: HandshakeResult,
    remote: RemoteAddress,
  ) {
    this.read = result.read;
    this.write = result.write;
    this.retained = result.retained;
    this.clientRandom = result.clientRandom;
    this.session = new DtlsSession(this, {
      identity: result.identity,
      remote,
      cipherSuite: result.suite.name,
      resumed: result.resumed,
      sessionId: result.sessionId,
      extendedMasterSecret: result.extendedMasterSecret,
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get readEpoch(): number {
    return this.read.epoch;
  }

  /** Tries to open an epoch-1 record with this session's keys; false when it is not ours (or forged, or replayed). */
  tryRecord(record: DtlsRecord): 'ok' | 'replayed' | 'bad_record_mac' {
    const opened = this.read.open(record);
    if (!opened.ok) return opened.reason;
    this.lastActivity = Date.now();
    // RFC 5246 §6.2.1: no plaintext beyond 2^14 bytes, even an authentic one.
    if (opened.plaintext.length > MAX_PLAINTEXT) this.deps.stats.drop('plaintext_too_long');
    else this.onPlaintext(record.type, opened.plaintext);
    return 'ok';
  }

  private onPlaintext(type: number, plaintext: Buffer) {
    switch (type) {
      case ContentType.applicationData:
        if (this.retained !== undefined) {
          this.retained.release();
          this.retained = undefined;
        }
        this.session.emit('message', plaintext);
        return;
      case ContentType.alert:
        this.onAlert(plaintext);
        return;
      case ContentType.handshake:
        this.onHandshake(plaintext);
        return;
      default:
        // A repeated ChangeCipherSpec from a retransmitted flight: nothing to do.
        return;
    }
  }

  private onAlert(plaintext: Buffer) {
    if (plaintext.length !== 2) {
      this.deps.stats.drop('malformed_record');
      return;
    }
    const [level, description] = [plaintext[0]!, plaintext[1]!];
    this.deps.stats.alertReceived(alertName(description));
    if (description === AlertDescription.close_notify) {
      // RFC 5246 §7.2.1: answer close_notify with close_notify; the session stays resumable.
      this.end('peer_close_notify', true);
    } else if (level === AlertLevel.fatal) {
      // RFC 5246 §7.2.2: a session ended by a fatal alert must not be resumed.
      this.deps.cache?.delete(this.session.sessionId);
      this.end('peer_alert', false);
    }
  }

  private onHandshake(plaintext: Buffer) {
    let fragments: HandshakeFragment[];
    try {
      fragments = parseHandshakeFragments(plaintext);
    } catch {
      this.deps.stats.drop('malformed_handshake');
      return;
    }
    for (const f of fragments) {
      if (f.msgType === HandshakeType.clientHello) {
        // Renegotiation is refused (RFC 5746 §4.4 allows it; RFC 5246 §7.2.2 names the warning).
        this.sendAlert(AlertLevel.warning, 'no_renegotiation');
      } else if (this.retained !== undefined) {
        this.retained.onHandshakeFragments([f], 1);
      } else {
        this.deps.stats.drop('unexpected_record');
      }
    }
  }

  send(plaintext: Buffer): Promise<void> {
    if (this.isClosed) {
      return Promise.reject(new Error(`the DTLS session with ${this.session.remote.address}:${this.session.remote.port} is closed; wait for the device's next handshake`));
    }
    if (plaintext.length > MAX_PLAINTEXT) {
      return Promise.reject(new RangeError(`a DTLS record carries at most ${MAX_PLAINTEXT} bytes, got ${plaintext.length}; split the message (CoAP block-wise transfer)`));
    }
    let record: Buffer;
    try {
      record = this.write.record(ContentType.applicationData, plaintext);
    } catch (err) {
      if (err instanceof SequenceExhaustedError) this.end('sequence_exhausted', false);
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return this.deps.sendDatagram(record);
  }

  close(): void {
    this.end('local', true);
  }

  /** Ends the session; `notify` sends close_notify first. Idempotent. */
  end(reason: CloseReason, notify: boolean) {
    if (this.isClosed) return;
    if (notify) this.sendAlert(AlertLevel.warning, 'close_notify');
    this.isClosed = true;
    this.retained?.release();
    this.retained = undefined;
    this.deps.onClosed(this, reason);
    this.session.emit('close', reason);
  }

  private sendAlert(level: number, name: keyof typeof AlertDescription) {
    try {
      this.deps.sendDatagram(this.write.record(ContentType.alert, Buffer.of(level, AlertDescription[name]))).catch(() => undefined);
      this.deps.stats.alertSent(name);
    } catch {
      // The write epoch is exhausted: the alert cannot be protected, and the session is ending anyway.
    }
  }
}
