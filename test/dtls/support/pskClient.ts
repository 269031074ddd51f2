import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { u16, u8, vector16, vector8 } from '../../../functions/dtls/bytes.ts';
import { cipherSuiteByName, type CipherSuite, type CipherSuiteName } from '../../../functions/dtls/cipherSuites.ts';
import { generateEphemeralKey } from '../../../functions/dtls/ecdhe.ts';
import { fragmentHandshakeMessage, handshakeMessage, parseHandshakeFragments } from '../../../functions/dtls/handshakeFragment.ts';
import { extendedMasterSecret, finishedVerifyData, masterSecret, pskPremasterSecret, sha256 } from '../../../functions/dtls/prf.ts';
import { ContentType, DTLS_1_2, ExtensionType, HandshakeType, NamedGroup } from '../../../functions/dtls/protocol.ts';
import { parseRecords, recordHeader, type DtlsRecord } from '../../../functions/dtls/record.ts';
import { createProtection, deriveKeys, type RecordProtection } from '../../../functions/dtls/recordProtection.ts';

/**
 * A deliberately small DTLS 1.2 PSK client for protocol-behaviour tests: it exposes each step
 * (hello, cookie, key exchange, Finished) and the raw records, so a test can lose, repeat, reorder,
 * fragment or replay them. Interoperability is proven against OpenSSL, GnuTLS and node-dtls-client
 * elsewhere; this client shares the server's crypto helpers and so proves nothing about them.
 */
export interface PskClientOptions {
  readonly port: number;
  readonly host?: string;
  readonly identity: string | Buffer;
  readonly psk: Buffer;
  readonly suite?: CipherSuiteName;
  readonly extendedMasterSecret?: boolean;
  /** Reuse a socket (same source port): a "rebooted" client. */
  readonly socket?: Socket;
}

export interface ServerFlight {
  readonly records: DtlsRecord[];
  readonly messages: Array<{ msgType: number; messageSeq: number; body: Buffer; raw: Buffer }>;
}

const WAIT_MS = 5000;

export class PskClient {
  readonly socket: Socket;
  private readonly queue: Buffer[] = [];
  private waiter: ((d: Buffer) => void) | undefined;
  readonly suite: CipherSuite;
  readonly random = randomBytes(32);
  private write0Seq = 0;
  private write1Seq = 0;
  private messageSeq = 0;
  private transcript: Buffer[] = [];
  private serverRandom: Buffer = Buffer.alloc(32);
  private master: Buffer = Buffer.alloc(0);
  private writeProtection: RecordProtection | undefined;
  private readProtection: RecordProtection | undefined;
  private serverKeyShare: Buffer | undefined;
  private finished: Buffer = Buffer.alloc(0);
  cookie: Buffer = Buffer.alloc(0);
  sessionId: Buffer = Buffer.alloc(0);

  private constructor(
    private readonly options: PskClientOptions,
    socket: Socket,
  ) {
    this.socket = socket;
    this.suite = cipherSuiteByName(options.suite ?? 'TLS_PSK_WITH_AES_128_CCM_8');
    socket.on('message', (d) => {
      if (this.waiter !== undefined) {
        const w = this.waiter;
        this.waiter = undefined;
        w(d);
      } else this.queue.push(d);
    });
  }

  static async open(options: PskClientOptions): Promise<PskClient> {
    const socket = options.socket ?? createSocket('udp4');
    if (options.socket === undefined) await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new PskClient(options, socket);
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  close() {
    this.socket.removeAllListeners('message');
    if (this.options.socket === undefined) this.socket.close();
  }

  /** Detaches from the socket without closing it, so another client can take the same port. */
  detach() {
    this.socket.removeAllListeners('message');
  }

  sendRaw(datagram: Buffer) {
    this.socket.send(datagram, this.options.port, this.options.host ?? '127.0.0.1');
  }

  /** The next datagram from the server; rejects after `ms` so a test never hangs. */
  nextDatagram(ms = WAIT_MS): Promise<Buffer> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no datagram from the server within ${ms} ms`));
      }, ms);
      this.waiter = (d) => {
        clearTimeout(timer);
        resolve(d);
      };
    });
  }

  async nextRecords(ms = WAIT_MS): Promise<DtlsRecord[]> {
    return parseRecords(await this.nextDatagram(ms)).records;
  }

  // ---- building --------------------------------------------------------------------------------

  helloBody(cookie: Buffer): Buffer {
    const exts: Buffer[] = [Buffer.concat([u16(ExtensionType.renegotiationInfo), vector16(vector8(Buffer.alloc(0)))])];
    if (this.options.extendedMasterSecret ?? true) exts.push(Buffer.concat([u16(ExtensionType.extendedMasterSecret), vector16(Buffer.alloc(0))]));
    if (this.suite.keyExchange === 'ecdhe_psk') {
      exts.push(Buffer.concat([u16(ExtensionType.supportedGroups), vector16(vector16(u16(NamedGroup.x25519)))]));
      exts.push(Buffer.concat([u16(ExtensionType.ecPointFormats), vector16(vector8(Buffer.of(0)))]));
    }
    return Buffer.concat([u16(DTLS_1_2), this.random, vector8(this.sessionId), vector8(cookie), vector16(u16(this.suite.id)), vector8(Buffer.of(0)), vector16(Buffer.concat(exts))]);
  }

  plainRecord(type: number, payload: Buffer, sequence = this.write0Seq++): Buffer {
    return Buffer.concat([recordHeader(type, DTLS_1_2, 0, sequence, payload.length), payload]);
  }

  protectedRecord(type: number, payload: Buffer, sequence = this.write1Seq++): Buffer {
    const fragment = this.writeProtection!.seal(type, DTLS_1_2, 1, sequence, payload);
    return Buffer.concat([recordHeader(type, DTLS_1_2, 1, sequence, fragment.length), fragment]);
  }

  /** ClientHello as a record; message_seq advances unless `seq` is given (a retransmission). */
  helloRecord(cookie: Buffer, seq?: number): { record: Buffer; message: Buffer } {
    const message = handshakeMessage(HandshakeType.clientHello, seq ?? this.messageSeq++, this.helloBody(cookie));
    return { record: this.plainRecord(ContentType.handshake, message), message };
  }

  // ---- steps -----------------------------------------------------------------------------------

  /** ClientHello without a cookie; returns the HelloVerifyRequest's record and stores the cookie. */
  async getCookie(): Promise<DtlsRecord> {
    this.sendRaw(this.helloRecord(Buffer.alloc(0)).record);
    const [record] = await this.nextRecords();
    const [hvr] = parseHandshakeFragments(record!.fragment);
    if (hvr?.msgType !== HandshakeType.helloVerifyRequest) throw new Error(`expected HelloVerifyRequest, got ${hvr?.msgType}`);
    this.cookie = Buffer.from(hvr.body.subarray(3, 3 + hvr.body[2]!));
    return record!;
  }

  /** Sends ClientHello with the cookie; returns the record so that a test can repeat it. */
  sendHelloWithCookie(): Buffer {
    const { record, message } = this.helloRecord(this.cookie);
    this.transcript = [message];
    return record;
  }

  /** Reads the server's flight up to ServerHelloDone (or its Finished when resuming). */
  async readServerFlight(ms = WAIT_MS): Promise<ServerFlight> {
    const records: DtlsRecord[] = [];
    const messages: ServerFlight['messages'] = [];
    for (;;) {
      for (const r of await this.nextRecords(ms)) {
        records.push(r);
        if (r.type === ContentType.alert) throw new Error(`server sent alert ${r.fragment[1]} (level ${r.fragment[0]})`);
        if (r.type !== ContentType.handshake || r.epoch !== 0) continue;
        for (const f of parseHandshakeFragments(r.fragment)) {
          messages.push({ msgType: f.msgType, messageSeq: f.messageSeq, body: Buffer.from(f.body), raw: handshakeMessage(f.msgType, f.messageSeq, f.body) });
        }
      }
      if (messages.some((m) => m.msgType === HandshakeType.serverHelloDone)) return { records, messages };
    }
  }

  /** Takes in the ServerHello flight (once) and prepares keys for the client's flight. */
  acceptServerFlight(flight: ServerFlight) {
    for (const m of flight.messages) {
      this.transcript.push(m.raw);
      if (m.msgType === HandshakeType.serverHello) {
        this.serverRandom = m.body.subarray(2, 34);
        this.sessionId = Buffer.from(m.body.subarray(35, 35 + m.body[34]!));
      }
      if (m.msgType === HandshakeType.serverKeyExchange && this.suite.keyExchange === 'ecdhe_psk') {
        const hintLength = m.body.readUInt16BE(0);
        const at = 2 + hintLength + 3;
        this.serverKeyShare = Buffer.from(m.body.subarray(at + 1, at + 1 + m.body[at]!));
      }
    }
  }

  /** ClientKeyExchange, ChangeCipherSpec, Finished as records (not yet sent): tests decide how they travel. */
  clientFlightRecords(fragmentCke = 0): Buffer[] {
    const identity = typeof this.options.identity === 'string' ? Buffer.from(this.options.identity) : this.options.identity;
    let other: Buffer | undefined;
    let ckeBody = vector16(identity);
    if (this.suite.keyExchange === 'ecdhe_psk') {
      const mine = generateEphemeralKey('x25519');
      other = mine.deriveSecret(this.serverKeyShare!);
      ckeBody = Buffer.concat([ckeBody, vector8(mine.publicKey)]);
    }
    const cke = handshakeMessage(HandshakeType.clientKeyExchange, this.messageSeq++, ckeBody);
    this.transcript.push(cke);
    const premaster = pskPremasterSecret(this.options.psk, other);
    const ems = this.options.extendedMasterSecret ?? true;
    this.master = ems ? extendedMasterSecret(premaster, sha256(this.transcript)) : masterSecret(premaster, this.random, this.serverRandom);
    const keys = deriveKeys(this.suite, this.master, this.random, this.serverRandom);
    this.writeProtection = createProtection(this.suite, keys.client);
    this.readProtection = createProtection(this.suite, keys.server);
    const finished = handshakeMessage(HandshakeType.finished, this.messageSeq++, finishedVerifyData(this.master, 'client', sha256(this.transcript)));
    this.transcript.push(finished);
    this.finished = finished;
    const ckeRecords = (fragmentCke > 0 ? fragmentHandshakeMessage(cke, fragmentCke) : [cke]).map((f) => this.plainRecord(ContentType.handshake, f));
    return [...ckeRecords, this.plainRecord(ContentType.changeCipherSpec, Buffer.of(1)), this.protectedRecord(ContentType.handshake, finished)];
  }

  /** Our Finished again with a fresh record number, as a retransmitting client sends it. */
  finishedRecordAgain(): Buffer {
    return this.protectedRecord(ContentType.handshake, this.finished);
  }

  /** Waits for the server's ChangeCipherSpec and Finished and checks its verify_data. */
  async readServerFinished(ms = WAIT_MS): Promise<DtlsRecord[]> {
    const seen: DtlsRecord[] = [];
    for (;;) {
      for (const r of await this.nextRecords(ms)) {
        seen.push(r);
        if (r.epoch === 0 && r.type === ContentType.alert) throw new Error(`server sent alert ${r.fragment[1]} (level ${r.fragment[0]})`);
        if (r.epoch !== 1 || r.type !== ContentType.handshake) continue;
        const plain = this.open(r);
        if (plain === undefined) throw new Error('server Finished did not authenticate');
        const [f] = parseHandshakeFragments(plain);
        const expected = finishedVerifyData(this.master, 'server', sha256(this.transcript));
        if (f?.msgType !== HandshakeType.finished || !timingSafeEqual(f.body, expected)) throw new Error('server Finished verify_data is wrong');
        return seen;
      }
    }
  }

  /** The whole handshake with no tricks. */
  async handshake(): Promise<void> {
    await this.getCookie();
    this.sendRaw(this.sendHelloWithCookie());
    this.acceptServerFlight(await this.readServerFlight());
    for (const r of this.clientFlightRecords()) this.sendRaw(r);
    await this.readServerFinished();
  }

  open(record: DtlsRecord): Buffer | undefined {
    return this.readProtection?.open(record.type, record.version, record.epoch, record.sequence, record.fragment);
  }

  /** An application-data record (epoch 1); send it with sendRaw, or keep it to replay. */
  applicationData(data: Buffer): Buffer {
    return this.protectedRecord(ContentType.applicationData, data);
  }

  /** The next application-data (or alert) record from the server, decrypted. */
  async receive(ms = WAIT_MS): Promise<{ type: number; data: Buffer }> {
    for (;;) {
      for (const r of await this.nextRecords(ms)) {
        if (r.epoch !== 1) continue;
        const data = this.open(r);
        if (data !== undefined && r.type !== ContentType.handshake && r.type !== ContentType.changeCipherSpec) return { type: r.type, data };
      }
    }
  }

  /** A ClientHello inside the session (a renegotiation attempt). */
  renegotiationHello(): Buffer {
    return this.protectedRecord(ContentType.handshake, handshakeMessage(HandshakeType.clientHello, this.messageSeq++, this.helloBody(Buffer.alloc(0))));
  }

  alertRecord(level: number, description: number, epoch: 0 | 1): Buffer {
    const payload = Buffer.concat([u8(level), u8(description)]);
    return epoch === 0 ? this.plainRecord(ContentType.alert, payload) : this.protectedRecord(ContentType.alert, payload);
  }
}
