import { DTLS_1_2, MAX_SEQUENCE } from './protocol.ts';
import { recordHeader, type DtlsRecord } from './record.ts';
import type { RecordProtection } from './recordProtection.ts';
import { ReplayWindow } from './replayWindow.ts';

/** Thrown when a write epoch would reuse a sequence number (2^48 records): the session must end. */
export class SequenceExhaustedError extends Error {
  constructor(epoch: number) {
    super(`epoch ${epoch} has used every 48-bit sequence number; the session must be closed and a new handshake made`);
    this.name = 'SequenceExhaustedError';
  }
}

/** Our side of one epoch: its protection (none in epoch 0) and the next record sequence number. */
export class WriteEpoch {
  constructor(
    readonly epoch: number,
    private readonly protection: RecordProtection | undefined,
    public nextSequence = 0,
  ) {}

  /** A whole record (header + protected fragment) carrying this plaintext. */
  record(type: number, plaintext: Buffer): Buffer {
    if (this.nextSequence > MAX_SEQUENCE) throw new SequenceExhaustedError(this.epoch);
    const sequence = this.nextSequence++;
    const fragment = this.protection === undefined ? plaintext : this.protection.seal(type, DTLS_1_2, this.epoch, sequence, plaintext);
    return Buffer.concat([recordHeader(type, DTLS_1_2, this.epoch, sequence, fragment.length), fragment]);
  }
}

export type OpenOutcome = { readonly ok: true; readonly plaintext: Buffer } | { readonly ok: false; readonly reason: 'replayed' | 'bad_record_mac' };

/** The peer's side of one epoch: protection plus the anti-replay window (RFC 6347 §4.1.2.6). */
export class ReadEpoch {
  private readonly window: ReplayWindow;

  constructor(
    readonly epoch: number,
    private readonly protection: RecordProtection | undefined,
    windowSize = 64,
  ) {
    this.window = new ReplayWindow(windowSize);
  }

  open(record: DtlsRecord): OpenOutcome {
    if (!this.window.accepts(record.sequence)) return { ok: false, reason: 'replayed' };
    const plaintext =
      this.protection === undefined ? record.fragment : this.protection.open(record.type, record.version, record.epoch, record.sequence, record.fragment);
    if (plaintext === undefined) return { ok: false, reason: 'bad_record_mac' };
    this.window.mark(record.sequence);
    return { ok: true, plaintext };
  }
}

/** One item of a flight: a whole handshake message in a given epoch, or a ChangeCipherSpec. */
export type FlightItem = { readonly kind: 'handshake'; readonly epoch: number; readonly message: Buffer } | { readonly kind: 'ccs' };

export const CHANGE_CIPHER_SPEC = Buffer.of(1);

/** Packs records into as few datagrams as fit the MTU (RFC 6347 §4.1.1 allows several per datagram). */
export const packDatagrams = (records: readonly Buffer[], mtu: number): Buffer[] => {
  const out: Buffer[] = [];
  let current: Buffer[] = [];
  let size = 0;
  for (const r of records) {
    if (size > 0 && size + r.length > mtu) {
      out.push(Buffer.concat(current));
      current = [];
      size = 0;
    }
    current.push(r);
    size += r.length;
  }
  if (current.length > 0) out.push(Buffer.concat(current));
  return out;
};
