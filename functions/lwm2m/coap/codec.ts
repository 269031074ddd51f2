import { MESSAGE_TYPES, type CoapMessage, type CoapOption, type MessageType } from './message.ts';

/** What could be read of a message that failed to decode: enough to answer a CON with RST. */
export interface PartialHeader {
  readonly type: MessageType;
  readonly code: number;
  readonly messageId: number;
}

export type DecodeResult =
  | { readonly ok: true; readonly message: CoapMessage }
  | {
      readonly ok: false;
      /** RFC 7252 §3: unknown versions are silently ignored, every other failure is a message format error. */
      readonly failure: 'unsupported-version' | 'format-error';
      readonly reason: string;
      readonly header?: PartialHeader | undefined;
    };

const PAYLOAD_MARKER = 0xff;
const MAX_OPTION_NUMBER = 0xffff;

/** Reads one datagram as a CoAP message (RFC 7252 §3). Never throws: bad input gets a reason. */
export const decodeCoap = (bytes: Uint8Array): DecodeResult => {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 4) return { ok: false, failure: 'format-error', reason: `${buf.length} bytes: shorter than the 4-byte CoAP header` };
  const first = buf[0]!;
  const header: PartialHeader = {
    type: MESSAGE_TYPES[(first >> 4) & 0x03]!,
    code: buf[1]!,
    messageId: buf.readUInt16BE(2),
  };
  const version = first >> 6;
  if (version !== 1) return { ok: false, failure: 'unsupported-version', reason: `version ${version}; only 1 is defined`, header };
  const fail = (reason: string): DecodeResult => ({ ok: false, failure: 'format-error', reason, header });
  const tokenLength = first & 0x0f;
  if (tokenLength > 8) return fail(`token length ${tokenLength} is reserved (0 to 8 allowed)`);
  if (header.code === 0 && (tokenLength !== 0 || buf.length !== 4)) return fail('an Empty message (0.00) must end after the Message ID');
  if (buf.length < 4 + tokenLength) return fail(`truncated: token of ${tokenLength} bytes but ${buf.length - 4} left`);
  const token = Buffer.from(buf.subarray(4, 4 + tokenLength));

  const options: CoapOption[] = [];
  let at = 4 + tokenLength;
  let number = 0;
  let payload = Buffer.alloc(0);
  while (at < buf.length) {
    const byte = buf[at]!;
    if (byte === PAYLOAD_MARKER) {
      if (at + 1 === buf.length) return fail('payload marker with no payload after it');
      payload = Buffer.from(buf.subarray(at + 1));
      break;
    }
    at += 1;
    const delta = readExtended(byte >> 4, buf, at);
    if (typeof delta === 'string') return fail(`option delta: ${delta}`);
    at += delta.consumed;
    const length = readExtended(byte & 0x0f, buf, at);
    if (typeof length === 'string') return fail(`option length: ${length}`);
    at += length.consumed;
    number += delta.value;
    if (number > MAX_OPTION_NUMBER) return fail(`option number ${number} is above 65535`);
    if (at + length.value > buf.length) return fail(`truncated: option ${number} wants ${length.value} bytes, ${buf.length - at} left`);
    options.push({ number, value: Buffer.from(buf.subarray(at, at + length.value)) });
    at += length.value;
  }
  return { ok: true, message: { type: header.type, code: header.code, messageId: header.messageId, token, options, payload } };
};

/** Option delta/length nibble with its extension bytes (RFC 7252 §3.1). */
const readExtended = (nibble: number, buf: Buffer, at: number): { value: number; consumed: number } | string => {
  if (nibble < 13) return { value: nibble, consumed: 0 };
  if (nibble === 13) {
    if (at + 1 > buf.length) return 'truncated 1-byte extension';
    return { value: buf[at]! + 13, consumed: 1 };
  }
  if (nibble === 14) {
    if (at + 2 > buf.length) return 'truncated 2-byte extension';
    return { value: buf.readUInt16BE(at) + 269, consumed: 2 };
  }
  return 'nibble 15 is reserved outside the payload marker';
};

const nibbleFor = (n: number): { nibble: number; extension: Buffer } => {
  if (n < 13) return { nibble: n, extension: Buffer.alloc(0) };
  if (n < 269) return { nibble: 13, extension: Buffer.from([n - 13]) };
  const extension = Buffer.alloc(2);
  extension.writeUInt16BE(n - 269);
  return { nibble: 14, extension };
};

export interface EncodableMessage {
  readonly type: MessageType;
  readonly code: number;
  readonly messageId: number;
  readonly token?: Buffer | undefined;
  readonly options?: readonly CoapOption[] | undefined;
  readonly payload?: Uint8Array | undefined;
}

/** Writes a message; options are sorted by number (stable, so repeated options keep their order). */
export const encodeCoap = (message: EncodableMessage): Buffer => {
  const token = message.token ?? Buffer.alloc(0);
  if (token.length > 8) throw new RangeError(`token of ${token.length} bytes: at most 8`);
  if (!Number.isInteger(message.messageId) || message.messageId < 0 || message.messageId > 0xffff) {
    throw new RangeError(`message id ${message.messageId} is not 0..65535`);
  }
  const parts: Buffer[] = [
    Buffer.from([0x40 | (MESSAGE_TYPES.indexOf(message.type) << 4) | token.length, message.code, message.messageId >> 8, message.messageId & 0xff]),
    token,
  ];
  const sorted = [...(message.options ?? [])].sort((a, b) => a.number - b.number);
  let previous = 0;
  for (const opt of sorted) {
    if (opt.value.length > 65535 + 269) throw new RangeError(`option ${opt.number} value of ${opt.value.length} bytes is too long`);
    const delta = nibbleFor(opt.number - previous);
    const length = nibbleFor(opt.value.length);
    parts.push(Buffer.from([(delta.nibble << 4) | length.nibble]), delta.extension, length.extension, opt.value);
    previous = opt.number;
  }
  if (message.payload !== undefined && message.payload.length > 0) parts.push(Buffer.from([PAYLOAD_MARKER]), Buffer.from(message.payload));
  return Buffer.concat(parts);
};
