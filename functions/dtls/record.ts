import { decodeError } from './errors.ts';
import { MAX_CIPHERTEXT, RECORD_HEADER_LENGTH } from './protocol.ts';

/** One DTLSPlaintext/DTLSCiphertext record as it came off the wire (RFC 6347 §4.1). */
export interface DtlsRecord {
  readonly type: number;
  readonly version: number;
  readonly epoch: number;
  readonly sequence: number;
  /** The protected (or, in epoch 0, plain) payload: a view into the datagram. */
  readonly fragment: Buffer;
}

export type RecordParse = { readonly records: DtlsRecord[]; readonly error?: string };

/**
 * Splits a datagram into records (RFC 6347 §4.1.1: several records may share a datagram, none
 * spans two). A malformed record ends the walk: the records before it still count, the rest of
 * the datagram is dropped, because its boundaries can no longer be trusted.
 */
export const parseRecords = (datagram: Buffer): RecordParse => {
  const records: DtlsRecord[] = [];
  let offset = 0;
  while (offset < datagram.length) {
    if (datagram.length - offset < RECORD_HEADER_LENGTH) return { records, error: 'truncated_header' };
    const type = datagram[offset]!;
    const version = datagram.readUInt16BE(offset + 1);
    const epoch = datagram.readUInt16BE(offset + 3);
    const sequence = datagram.readUIntBE(offset + 5, 6);
    const length = datagram.readUInt16BE(offset + 11);
    // DTLS versions have major 254; anything else is not DTLS at all.
    if (version >> 8 !== 0xfe) return { records, error: 'bad_version' };
    if (type < 20 || type > 23) return { records, error: 'bad_content_type' };
    if (length > MAX_CIPHERTEXT) return { records, error: 'record_overflow' };
    const start = offset + RECORD_HEADER_LENGTH;
    if (start + length > datagram.length) return { records, error: 'truncated_record' };
    records.push({ type, version, epoch, sequence, fragment: datagram.subarray(start, start + length) });
    offset = start + length;
  }
  return { records };
};

export const recordHeader = (type: number, version: number, epoch: number, sequence: number, length: number): Buffer => {
  if (length > MAX_CIPHERTEXT) throw decodeError(`record of ${length} bytes exceeds ${MAX_CIPHERTEXT}`);
  const h = Buffer.allocUnsafe(RECORD_HEADER_LENGTH);
  h[0] = type;
  h.writeUInt16BE(version, 1);
  h.writeUInt16BE(epoch, 3);
  h.writeUIntBE(sequence, 5, 6);
  h.writeUInt16BE(length, 11);
  return h;
};

/**
 * The 13 bytes that TLS 1.2 authenticates with every record (RFC 5246 §6.2.3.1/§6.2.3.3):
 * seq_num || type || version || length, where DTLS's seq_num is epoch || sequence_number
 * (RFC 6347 §4.1.2.1). Not the header order: the sequence number comes first.
 */
export const additionalData = (type: number, version: number, epoch: number, sequence: number, length: number): Buffer => {
  const a = Buffer.allocUnsafe(13);
  a.writeUInt16BE(epoch, 0);
  a.writeUIntBE(sequence, 2, 6);
  a[8] = type;
  a.writeUInt16BE(version, 9);
  a.writeUInt16BE(length, 11);
  return a;
};
