import { EventEmitter } from 'node:events';
import type { CipherSuiteName } from './cipherSuites.ts';
import type { CloseReason } from './stats.ts';

export interface RemoteAddress {
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

export interface DtlsSessionEvents {
  /** One decrypted application-data record: for CoAP, one CoAP message. */
  message: [data: Buffer];
  /** The session is over; `send` rejects from now on. Emitted once. */
  close: [reason: CloseReason];
}

/** What the record layer behind a session offers it. */
export interface SessionLink {
  readonly closed: boolean;
  send(plaintext: Buffer): Promise<void>;
  close(): void;
}

export interface SessionInfo {
  readonly identity: Buffer;
  readonly remote: RemoteAddress;
  readonly cipherSuite: CipherSuiteName;
  readonly resumed: boolean;
  readonly sessionId: Buffer;
  readonly extendedMasterSecret: boolean;
}

/**
 * An established DTLS association with one peer: the PSK identity it proved, where it is, and a
 * datagram-in/datagram-out API. Listeners should not throw: an exception propagates to the socket's
 * message handler and the rest of that datagram is lost.
 */
export class DtlsSession extends EventEmitter<DtlsSessionEvents> implements SessionInfo {
  readonly identity: Buffer;
  readonly remote: RemoteAddress;
  readonly cipherSuite: CipherSuiteName;
  readonly resumed: boolean;
  readonly sessionId: Buffer;
  readonly extendedMasterSecret: boolean;
  readonly establishedAt = new Date();

  constructor(
    private readonly link: SessionLink,
    info: SessionInfo,
  ) {
    super();
    this.identity = info.identity;
    this.remote = info.remote;
    this.cipherSuite = info.cipherSuite;
    this.resumed = info.resumed;
    this.sessionId = info.sessionId;
    this.extendedMasterSecret = info.extendedMasterSecret;
  }

  get closed(): boolean {
    return this.link.closed;
  }

  /** Sends one datagram's worth of plaintext (at most 16,384 bytes) as one protected record. */
  send(plaintext: Buffer | Uint8Array): Promise<void> {
    return this.link.send(Buffer.isBuffer(plaintext) ? plaintext : Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength));
  }

  /** Sends close_notify and ends the session. */
  close(): void {
    this.link.close();
  }
}
