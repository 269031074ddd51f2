import { ByteReader, u16, u24, u8 } from './bytes.ts';
import { decodeError } from './errors.ts';
import { HANDSHAKE_HEADER_LENGTH } from './protocol.ts';

/** One handshake message fragment (RFC 6347 §4.2.2, §4.2.3). */
export interface HandshakeFragment {
  readonly msgType: number;
  /** Length of the whole message body, not of this fragment. */
  readonly length: number;
  readonly messageSeq: number;
  readonly fragmentOffset: number;
  readonly body: Buffer;
}

/** A handshake record payload may carry several fragments back to back. */
export const parseHandshakeFragments = (payload: Buffer): HandshakeFragment[] => {
  const r = new ByteReader(payload);
  const out: HandshakeFragment[] = [];
  while (r.remaining > 0) {
    const msgType = r.u8('msg_type');
    const length = r.u24('length');
    const messageSeq = r.u16('message_seq');
    const fragmentOffset = r.u24('fragment_offset');
    const fragmentLength = r.u24('fragment_length');
    if (fragmentOffset + fragmentLength > length) {
      throw decodeError(`handshake fragment [${fragmentOffset}, +${fragmentLength}) runs past the message length ${length}`);
    }
    out.push({ msgType, length, messageSeq, fragmentOffset, body: r.bytes(fragmentLength, 'handshake fragment') });
  }
  return out;
};

const header = (msgType: number, length: number, messageSeq: number, offset: number, fragmentLength: number) =>
  Buffer.concat([u8(msgType), u24(length), u16(messageSeq), u24(offset), u24(fragmentLength)]);

/**
 * A whole message as one fragment. This is also the form the Finished hash and the extended master
 * secret's session hash cover, however the message travelled (RFC 6347 §4.2.6).
 */
export const handshakeMessage = (msgType: number, messageSeq: number, body: Buffer): Buffer =>
  Buffer.concat([header(msgType, body.length, messageSeq, 0, body.length), body]);

/** Splits a whole message (as built by handshakeMessage) into fragments of at most maxBody body bytes. */
export const fragmentHandshakeMessage = (message: Buffer, maxBody: number): Buffer[] => {
  const body = message.subarray(HANDSHAKE_HEADER_LENGTH);
  if (body.length <= maxBody) return [message];
  const msgType = message[0]!;
  const messageSeq = message.readUInt16BE(4);
  const out: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += maxBody) {
    const part = body.subarray(offset, offset + maxBody);
    out.push(Buffer.concat([header(msgType, body.length, messageSeq, offset, part.length), part]));
  }
  return out;
};
