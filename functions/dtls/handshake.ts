import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chooseCipherSuite, type CipherSuite } from './cipherSuites.ts';
import { offersExtendedMasterSecret, pointFormats, renegotiationInfo, supportedGroups, type ClientHello } from './clientHello.ts';
import { chooseGroup, generateEphemeralKey, type EphemeralKey, type GroupName } from './ecdhe.ts';
import { CHANGE_CIPHER_SPEC, packDatagrams, ReadEpoch, WriteEpoch, type FlightItem } from './epoch.ts';
import { DtlsAlertError } from './errors.ts';
import { fragmentHandshakeMessage, handshakeMessage, parseHandshakeFragments, type HandshakeFragment } from './handshakeFragment.ts';
import { extendedMasterSecret, finishedVerifyData, masterSecret, pskPremasterSecret, sha256 } from './prf.ts';
import { AlertDescription, AlertLevel, alertName, ContentType, DTLS_1_2, EMPTY_RENEGOTIATION_INFO_SCSV, ExtensionType, HandshakeType, type AlertName } from './protocol.ts';
import type { DtlsRecord } from './record.ts';
import { HandshakeReassembler, type HandshakeMessage } from './reassembler.ts';
import { createProtection, deriveKeys } from './recordProtection.ts';
import { ecdhePskServerKeyExchangeBody, parseClientKeyExchange, pskServerKeyExchangeBody, serverHelloBody } from './serverMessages.ts';
import type { SessionCache } from './sessionCache.ts';
import type { HandshakeFailure, StatsCounters } from './stats.ts';

export interface HandshakeSettings {
  /** Server preference order. */
  readonly suites: readonly CipherSuite[];
  readonly groups: readonly GroupName[];
  readonly identityHint: Buffer | undefined;
  readonly requireExtendedMasterSecret: boolean;
  readonly retransmitInitialMs: number;
  readonly retransmitMaxMs: number;
  readonly maxRetransmits: number;
  readonly mtu: number;
  readonly maxHandshakeMessageLength: number;
  readonly replayWindowSize: number;
}

export interface HandshakeHooks {
  readonly settings: HandshakeSettings;
  readonly cache: SessionCache | undefined;
  readonly pskLookup: (identity: Buffer) => Promise<Buffer | undefined>;
  readonly stats: StatsCounters;
  send(datagrams: Buffer[]): void;
  established(result: HandshakeResult): void;
  failed(reason: HandshakeFailure, detail: string, error?: unknown): void;
}

export interface HandshakeResult {
  readonly identity: Buffer;
  readonly suite: CipherSuite;
  readonly sessionId: Buffer;
  readonly resumed: boolean;
  readonly extendedMasterSecret: boolean;
  readonly clientRandom: Buffer;
  readonly read: ReadEpoch;
  readonly write: WriteEpoch;
  /** After a full handshake our flight was the last one: a client that missed it retransmits its Finished, and this answers. */
  readonly retained?: ServerHandshake;
}

type Phase = 'checking_resumption' | 'await_key_exchange' | 'await_psk' | 'await_finished' | 'done' | 'failed';

/** Epoch-1 records that arrive before the keys exist (reordering, or a slow pskLookup) wait here, a few at most. */
const MAX_EARLY_RECORDS = 8;
/** Messages past the next expected one that may be buffered (a client flight has at most 3 after the hello). */
const MAX_MESSAGES_AHEAD = 4;
/** Upper bound of the per-record expansion (explicit IV or nonce, MAC or tag, padding) for fragment sizing. */
const MAX_PROTECTION_OVERHEAD = 64;

const failureFor = (alert: AlertName): HandshakeFailure => {
  switch (alert) {
    case 'unknown_psk_identity':
      return 'unknown_psk_identity';
    case 'handshake_failure':
    case 'insufficient_security':
      return 'no_shared_parameters';
    case 'protocol_version':
      return 'protocol_version';
    case 'decrypt_error':
      return 'bad_finished';
    case 'bad_record_mac':
      return 'bad_record_mac';
    default:
      return 'malformed_message';
  }
};

/**
 * The server side of one DTLS 1.2 PSK handshake, from a ClientHello whose cookie checked out to an
 * established epoch 1 (RFC 6347 §4.2, RFC 5246 §7). Full handshake:
 *
 *   ClientHello(+cookie) → ServerHello, [ServerKeyExchange], ServerHelloDone
 *   ClientKeyExchange, ChangeCipherSpec, Finished → ChangeCipherSpec, Finished
 *
 * Abbreviated (session id found in the cache): ClientHello → ServerHello, ChangeCipherSpec,
 * Finished; then the client's ChangeCipherSpec, Finished.
 *
 * Flights are retransmitted on a doubling timer while we wait for the client's next flight
 * (§4.2.4), and again whenever the last message of the client's previous flight shows up twice.
 */
export class ServerHandshake {
  readonly clientRandom: Buffer;
  readonly startedAt = Date.now();
  private phase: Phase = 'await_key_exchange';
  private readonly helloSeq: number;
  private nextReceiveSeq: number;
  private nextSendSeq: number;
  private readonly transcript: Buffer[];
  private readonly reassembler: HandshakeReassembler;
  private readonly write0: WriteEpoch;
  private write1: WriteEpoch | undefined;
  private read1: ReadEpoch | undefined;
  private sentChangeCipherSpec = false;
  private lastFlight: FlightItem[] = [];
  /** message_seq of the last message of the client's previous flight: its repetition means our flight was lost. */
  private lastClientFlightEnd: number;
  private timer: NodeJS.Timeout | undefined;
  private timeoutMs: number;
  private retransmits = 0;
  private earlyRecords: DtlsRecord[] = [];
  private suite: CipherSuite | undefined;
  private ephemeral: EphemeralKey | undefined;
  private readonly ems: boolean;
  private readonly secureRenegotiation: boolean;
  private readonly serverRandom = randomBytes(32);
  private sessionId: Buffer = Buffer.alloc(0);
  private master: Buffer | undefined;
  private identity: Buffer | undefined;
  private pskDigest: Buffer | undefined;
  private resumed = false;

  constructor(
    private readonly hooks: HandshakeHooks,
    private readonly hello: ClientHello,
    helloMessage: { readonly messageSeq: number; readonly raw: Buffer },
    helloRecordSequence: number,
  ) {
    this.clientRandom = Buffer.from(hello.random);
    this.helloSeq = helloMessage.messageSeq;
    this.nextReceiveSeq = helloMessage.messageSeq + 1;
    // Our first message answers the hello with the same message_seq (RFC 6347 §4.2.2: after a
    // HelloVerifyRequest with seq 0, ClientHello and ServerHello both carry 1).
    this.nextSendSeq = helloMessage.messageSeq;
    this.lastClientFlightEnd = helloMessage.messageSeq;
    this.transcript = [Buffer.from(helloMessage.raw)];
    this.reassembler = new HandshakeReassembler(hooks.settings.maxHandshakeMessageLength, MAX_MESSAGES_AHEAD);
    // Continue from the hello's record number, so our records never repeat the HelloVerifyRequest's (§4.2.1).
    this.write0 = new WriteEpoch(0, undefined, helloRecordSequence);
    this.timeoutMs = hooks.settings.retransmitInitialMs;
    this.ems = hello.extensions.has(ExtensionType.extendedMasterSecret);
    this.secureRenegotiation = hello.extensions.has(ExtensionType.renegotiationInfo) || hello.cipherSuites.includes(EMPTY_RENEGOTIATION_INFO_SCSV);
  }

  /** The identity from ClientKeyExchange (or the resumed session), once known. */
  get pskIdentity(): Buffer | undefined {
    return this.identity;
  }

  get terminal(): boolean {
    return this.phase === 'done' || this.phase === 'failed';
  }

  get completed(): boolean {
    return this.phase === 'done';
  }

  /** Keys for the client's epoch 1 do not exist yet: its early epoch-1 records must wait. */
  get awaitingKeys(): boolean {
    return this.phase === 'checking_resumption' || this.phase === 'await_key_exchange' || this.phase === 'await_psk';
  }

  /** The client's Finished is due: an epoch-1 record that fails to authenticate now means a wrong key. */
  get awaitingFinished(): boolean {
    return this.phase === 'await_finished';
  }

  readEpoch(epoch: number): ReadEpoch | undefined {
    return epoch === 1 ? this.read1 : undefined;
  }

  isRetransmissionOf(hello: ClientHello, messageSeq: number): boolean {
    return messageSeq === this.helloSeq && hello.random.equals(this.clientRandom);
  }

  start() {
    try {
      this.checkHello();
      const cached = this.hooks.cache?.get(this.hello.sessionId);
      if (cached !== undefined && this.canResume(cached.suite, cached.extendedMasterSecret)) {
        this.phase = 'checking_resumption';
        // A key rotated or revoked since the session was cached must not be resumable.
        this.hooks.pskLookup(cached.identity).then(
          (psk) => {
            if (this.phase !== 'checking_resumption') return;
            if (psk !== undefined && timingSafeEqual(sha256([psk]), cached.pskDigest)) {
              this.identity = cached.identity;
              this.pskDigest = cached.pskDigest;
              this.guard(() => this.abbreviated(cached.suite, cached.masterSecret, cached.sessionId));
            } else {
              this.hooks.cache?.delete(cached.sessionId);
              this.guard(() => this.full());
            }
          },
          () => {
            if (this.phase === 'checking_resumption') this.guard(() => this.full());
          },
        );
        return;
      }
      this.full();
    } catch (err) {
      this.failWith(err);
    }
  }

  private checkHello() {
    const hello = this.hello;
    // DTLS versions count down: a client that can speak 1.2 offers 0xfefd or lower.
    if (hello.clientVersion > DTLS_1_2) throw new DtlsAlertError('protocol_version', `client offers only version 0x${hello.clientVersion.toString(16)}; this server speaks DTLS 1.2 (0xfefd)`);
    offersExtendedMasterSecret(hello); // throws decode_error when the extension carries data
    if (!hello.compressionMethods.includes(0)) throw new DtlsAlertError('illegal_parameter', 'compression_methods must include null (RFC 5246 §7.4.1.2)');
    const ri = renegotiationInfo(hello);
    if (ri !== undefined && ri.length > 0) throw new DtlsAlertError('handshake_failure', 'renegotiation_info must be empty in an initial handshake (RFC 5746 §3.6)');
    if (this.hooks.settings.requireExtendedMasterSecret && !this.ems) {
      throw new DtlsAlertError('handshake_failure', 'this server requires the extended_master_secret extension (RFC 7627)');
    }
  }

  private canResume(suite: CipherSuite, cachedEms: boolean): boolean {
    // RFC 7627 §5.3: never resume across a change of the extended master secret property; fall back to a full handshake.
    return cachedEms === this.ems && this.hello.cipherSuites.includes(suite.id) && this.hooks.settings.suites.some((s) => s.id === suite.id);
  }

  private extensions(ecdhe: boolean) {
    return {
      renegotiationInfo: this.secureRenegotiation,
      extendedMasterSecret: this.ems,
      ecPointFormats: ecdhe && pointFormats(this.hello) !== undefined,
    };
  }

  private full() {
    const settings = this.hooks.settings;
    const formats = pointFormats(this.hello);
    const groups = supportedGroups(this.hello);
    // ECDHE suites need a shared group and the uncompressed point format; otherwise try the next suite.
    const group = chooseGroup(groups, settings.groups);
    const ecdheOk = group !== undefined && (formats === undefined || formats.includes(0));
    const usable = settings.suites.filter((s) => s.keyExchange === 'psk' || ecdheOk);
    const suite = chooseCipherSuite(usable, this.hello.cipherSuites);
    if (suite === undefined) {
      throw new DtlsAlertError('handshake_failure', `no cipher suite in common: client offers [${this.hello.cipherSuites.map((s) => `0x${s.toString(16)}`).join(', ')}]`);
    }
    this.suite = suite;
    this.sessionId = this.hooks.cache === undefined ? Buffer.alloc(0) : randomBytes(32);
    const ecdhe = suite.keyExchange === 'ecdhe_psk';
    const items: FlightItem[] = [this.message(HandshakeType.serverHello, serverHelloBody(this.serverRandom, this.sessionId, suite.id, this.extensions(ecdhe)))];
    const hint = settings.identityHint ?? Buffer.alloc(0);
    if (ecdhe) {
      this.ephemeral = generateEphemeralKey(group!);
      items.push(this.message(HandshakeType.serverKeyExchange, ecdhePskServerKeyExchangeBody(hint, this.ephemeral.groupId, this.ephemeral.publicKey)));
    } else if (hint.length > 0) {
      items.push(this.message(HandshakeType.serverKeyExchange, pskServerKeyExchangeBody(hint)));
    }
    items.push(this.message(HandshakeType.serverHelloDone, Buffer.alloc(0)));
    this.phase = 'await_key_exchange';
    this.sendFlight(items, true);
  }

  private abbreviated(suite: CipherSuite, master: Buffer, sessionId: Buffer) {
    this.suite = suite;
    this.sessionId = Buffer.from(sessionId);
    this.master = master;
    this.resumed = true;
    this.installKeys();
    const serverHello = this.message(HandshakeType.serverHello, serverHelloBody(this.serverRandom, this.sessionId, suite.id, this.extensions(false)));
    const finished = this.message(HandshakeType.finished, finishedVerifyData(master, 'server', sha256(this.transcript)), 1);
    this.phase = 'await_finished';
    this.sendFlight([serverHello, { kind: 'ccs' }, finished], true);
  }

  /** Builds a message with the next message_seq and adds it to the transcript. */
  private message(msgType: number, body: Buffer, epoch = 0): FlightItem {
    const message = handshakeMessage(msgType, this.nextSendSeq++, body);
    this.transcript.push(message);
    return { kind: 'handshake', epoch, message };
  }

  private installKeys() {
    const keys = deriveKeys(this.suite!, this.master!, this.clientRandom, this.serverRandom);
    this.read1 = new ReadEpoch(1, createProtection(this.suite!, keys.client), this.hooks.settings.replayWindowSize);
    this.write1 = new WriteEpoch(1, createProtection(this.suite!, keys.server));
  }

  // ---- input from the connection -------------------------------------------------------------

  /** The ClientHello that started this handshake came again: our answer was lost. */
  onClientHelloRetransmission() {
    if (this.phase === 'await_key_exchange' || (this.phase === 'await_finished' && this.resumed)) this.retransmit();
  }

  /** Handshake fragments from a record of `epoch` (already decrypted for epoch 1). */
  onHandshakeFragments(fragments: readonly HandshakeFragment[], epoch: number) {
    if (this.terminal && !this.completed) return;
    for (const f of fragments) {
      if (f.messageSeq < this.nextReceiveSeq) {
        // An old message: if it ends the client's previous flight, that whole flight was resent
        // because ours went missing. Answer once per message, not per fragment.
        if (f.messageSeq === this.lastClientFlightEnd && f.fragmentOffset === 0 && this.lastFlight.length > 0) this.retransmit();
        continue;
      }
      if (this.completed) continue;
      const outcome = this.reassembler.add(f, epoch, this.nextReceiveSeq);
      if (outcome !== 'buffered') this.hooks.stats.drop('malformed_handshake');
    }
    this.drain();
  }

  onChangeCipherSpec(payload: Buffer) {
    // The epoch number in each record already says which keys apply, so CCS only needs to be well formed.
    if (!payload.equals(CHANGE_CIPHER_SPEC)) this.fail('malformed_message', 'ChangeCipherSpec must be the single byte 1', 'unexpected_message');
  }

  onAlert(level: number, description: number) {
    this.hooks.stats.alertReceived(alertName(description));
    if (level === AlertLevel.fatal || description === AlertDescription.close_notify) {
      this.fail('peer_alert', `client sent ${level === AlertLevel.fatal ? 'fatal' : 'warning'} alert ${alertName(description)}`);
    }
  }

  /** An epoch-1 record that arrived before the keys: kept (a few) until they exist. */
  holdEarlyRecord(record: DtlsRecord): boolean {
    if (this.earlyRecords.length >= MAX_EARLY_RECORDS) return false;
    this.earlyRecords.push({ ...record, fragment: Buffer.from(record.fragment) });
    return true;
  }

  /** A decrypted epoch-1 record of the handshake. */
  onEpoch1Plaintext(type: number, plaintext: Buffer) {
    switch (type) {
      case ContentType.handshake:
        this.guard(() => this.onHandshakeFragments(parseHandshakeFragments(plaintext), 1));
        return;
      case ContentType.alert:
        if (plaintext.length === 2) this.onAlert(plaintext[0]!, plaintext[1]!);
        else this.hooks.stats.drop('malformed_record');
        return;
      default:
        // Application data cannot come before the handshake is finished (RFC 5246 §7.4.9).
        this.hooks.stats.drop('unexpected_record');
    }
  }

  /** The client's Finished did not authenticate under the keys its PSK gave: the key is wrong. */
  onAuthenticationFailure() {
    if (this.phase !== 'await_finished') return;
    this.fail('bad_record_mac', 'the client\'s Finished record did not authenticate: the client uses a different key for this identity', 'bad_record_mac');
  }

  /** Ends the handshake without an alert (the server is closing, or the client started over). */
  abort(reason: HandshakeFailure, detail: string) {
    this.fail(reason, detail);
  }

  /** After completion: drop what was kept for retransmissions. */
  release() {
    this.clearTimer();
    this.lastFlight = [];
  }

  // ---- the state machine -----------------------------------------------------------------------

  private drain() {
    while (this.phase === 'await_key_exchange' || this.phase === 'await_finished') {
      const message = this.reassembler.take(this.nextReceiveSeq);
      if (message === undefined) return;
      this.nextReceiveSeq++;
      this.guard(() => this.onMessage(message));
    }
  }

  private onMessage(message: HandshakeMessage) {
    if (this.phase === 'await_key_exchange') {
      if (message.msgType !== HandshakeType.clientKeyExchange || message.epoch !== 0) {
        throw new DtlsAlertError('unexpected_message', `expected ClientKeyExchange in epoch 0, got handshake type ${message.msgType} in epoch ${message.epoch}`);
      }
      const cke = parseClientKeyExchange(message.body, this.suite!.keyExchange === 'ecdhe_psk');
      this.transcript.push(message.raw);
      this.phase = 'await_psk';
      this.identity = Buffer.from(cke.identity);
      const publicKey = cke.publicKey === undefined ? undefined : Buffer.from(cke.publicKey);
      this.hooks.pskLookup(this.identity).then(
        (psk) => this.guard(() => this.onPsk(psk, publicKey)),
        (err: unknown) => {
          if (this.phase === 'await_psk') this.fail('psk_lookup_error', `pskLookup failed: ${err instanceof Error ? err.message : String(err)}`, 'internal_error', err);
        },
      );
      return;
    }
    if (this.phase === 'await_finished') {
      if (message.msgType !== HandshakeType.finished || message.epoch !== 1) {
        throw new DtlsAlertError('unexpected_message', `expected Finished in epoch 1, got handshake type ${message.msgType} in epoch ${message.epoch}`);
      }
      this.onClientFinished(message);
    }
  }

  private onPsk(psk: Buffer | undefined, clientPublicKey: Buffer | undefined) {
    if (this.phase !== 'await_psk') return;
    if (psk === undefined || psk.length === 0) {
      throw new DtlsAlertError('unknown_psk_identity', `no PSK for identity ${JSON.stringify(this.identity!.toString('utf8'))}`);
    }
    const other = this.ephemeral === undefined ? undefined : this.ephemeral.deriveSecret(clientPublicKey ?? Buffer.alloc(0));
    const premaster = pskPremasterSecret(psk, other);
    this.master = this.ems ? extendedMasterSecret(premaster, sha256(this.transcript)) : masterSecret(premaster, this.clientRandom, this.serverRandom);
    this.pskDigest = sha256([psk]);
    this.installKeys();
    this.phase = 'await_finished';
    const early = this.earlyRecords;
    this.earlyRecords = [];
    for (const record of early) {
      if (this.terminal) return;
      const opened = this.read1!.open(record);
      if (opened.ok) this.onEpoch1Plaintext(record.type, opened.plaintext);
      else if (opened.reason === 'bad_record_mac') this.onAuthenticationFailure();
    }
    this.drain();
  }

  private onClientFinished(message: HandshakeMessage) {
    const expected = finishedVerifyData(this.master!, 'client', sha256(this.transcript));
    if (message.body.length !== expected.length || !timingSafeEqual(message.body, expected)) {
      throw new DtlsAlertError('decrypt_error', 'the client\'s Finished verify_data does not match the handshake (RFC 5246 §7.4.9)');
    }
    this.transcript.push(message.raw);
    this.lastClientFlightEnd = message.messageSeq;
    if (this.resumed) {
      // The client's Finished ends an abbreviated handshake: nothing more to send.
      this.phase = 'done';
      this.release();
    } else {
      const finished = this.message(HandshakeType.finished, finishedVerifyData(this.master!, 'server', sha256(this.transcript)), 1);
      this.phase = 'done';
      this.sendFlight([{ kind: 'ccs' }, finished], false);
    }
    // A resumed session keeps its original cache entry, so resumption never extends its lifetime.
    if (!this.resumed) this.hooks.cache?.put({
      sessionId: this.sessionId,
      masterSecret: this.master!,
      suite: this.suite!,
      identity: this.identity!,
      extendedMasterSecret: this.ems,
      pskDigest: this.pskDigest!,
    });
    this.hooks.established({
      identity: this.identity!,
      suite: this.suite!,
      sessionId: this.sessionId,
      resumed: this.resumed,
      extendedMasterSecret: this.ems,
      clientRandom: this.clientRandom,
      read: this.read1!,
      write: this.write1!,
      ...(this.resumed ? {} : { retained: this }),
    });
  }

  // ---- output ----------------------------------------------------------------------------------

  private sendFlight(items: FlightItem[], awaitReply: boolean) {
    this.lastFlight = items;
    this.transmit();
    if (awaitReply) {
      this.retransmits = 0;
      this.timeoutMs = this.hooks.settings.retransmitInitialMs;
      this.armTimer();
    } else {
      this.clearTimer();
    }
  }

  /** Every transmission gets fresh record sequence numbers (RFC 6347 §4.2.4). */
  private transmit() {
    const { mtu } = this.hooks.settings;
    const records: Buffer[] = [];
    for (const item of this.lastFlight) {
      if (item.kind === 'ccs') {
        records.push(this.write0.record(ContentType.changeCipherSpec, CHANGE_CIPHER_SPEC));
        this.sentChangeCipherSpec = true;
        continue;
      }
      const epoch = item.epoch === 0 ? this.write0 : this.write1!;
      const maxBody = Math.max(64, mtu - 13 - 12 - MAX_PROTECTION_OVERHEAD);
      for (const fragment of fragmentHandshakeMessage(item.message, maxBody)) records.push(epoch.record(ContentType.handshake, fragment));
    }
    this.hooks.send(packDatagrams(records, mtu));
  }

  private retransmit() {
    if (this.lastFlight.length === 0) return;
    this.transmit();
  }

  private armTimer() {
    this.clearTimer();
    this.timer = setTimeout(() => this.onTimer(), this.timeoutMs);
    this.timer.unref();
  }

  private clearTimer() {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private onTimer() {
    this.timer = undefined;
    if (this.terminal) return;
    if (this.retransmits >= this.hooks.settings.maxRetransmits) {
      this.fail('timeout', `no answer from the client after ${this.retransmits} retransmissions`);
      return;
    }
    this.retransmits++;
    this.timeoutMs = Math.min(this.timeoutMs * 2, this.hooks.settings.retransmitMaxMs);
    this.retransmit();
    this.armTimer();
  }

  private sendAlert(name: AlertName) {
    const epoch = this.sentChangeCipherSpec && this.write1 !== undefined ? this.write1 : this.write0;
    this.hooks.send([epoch.record(ContentType.alert, Buffer.of(AlertLevel.fatal, AlertDescription[name]))]);
    this.hooks.stats.alertSent(name);
  }

  private fail(reason: HandshakeFailure, detail: string, alert?: AlertName, error?: unknown) {
    if (this.terminal) return;
    if (alert !== undefined) this.sendAlert(alert);
    this.phase = 'failed';
    this.clearTimer();
    this.reassembler.clear();
    this.earlyRecords = [];
    this.lastFlight = [];
    this.hooks.failed(reason, detail, error);
  }

  private failWith(err: unknown) {
    if (err instanceof DtlsAlertError) this.fail(failureFor(err.alert), err.message, err.alert);
    else this.fail('malformed_message', `internal error: ${err instanceof Error ? err.message : String(err)}`, 'internal_error', err);
  }

  /** Runs one step; a throw from it (bad peer input, usually) ends the handshake with the matching alert. */
  private guard(step: () => void) {
    try {
      step();
    } catch (err) {
      this.failWith(err);
    }
  }
}
