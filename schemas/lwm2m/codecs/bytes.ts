/** A growable byte buffer: encoders append, then take one exact copy. */
export class ByteWriter {
  private buffer = new Uint8Array(256);
  private view = new DataView(this.buffer.buffer);
  length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }

  byte(b: number): this {
    this.reserve(1);
    this.buffer[this.length++] = b;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buffer.set(b, this.length);
    this.length += b.length;
    return this;
  }

  uint(value: number | bigint, size: 1 | 2 | 4 | 8): this {
    this.reserve(size);
    const at = this.length;
    if (size === 8) this.view.setBigUint64(at, BigInt(value));
    else if (size === 4) this.view.setUint32(at, Number(value));
    else if (size === 2) this.view.setUint16(at, Number(value));
    else this.buffer[at] = Number(value);
    this.length += size;
    return this;
  }

  float(value: number, size: 4 | 8): this {
    this.reserve(size);
    if (size === 4) this.view.setFloat32(this.length, value);
    else this.view.setFloat64(this.length, value);
    this.length += size;
    return this;
  }

  toBytes(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/** UTF-8 to text, or undefined when the bytes are not valid UTF-8 (never replaced silently). */
export const fromUtf8 = (bytes: Uint8Array): string | undefined => {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return undefined;
  }
};

export const toUtf8 = (text: string): Uint8Array => utf8Encoder.encode(text);

/** Two's-complement big-endian integer of 1, 2, 4 or 8 bytes. */
export const readInt = (bytes: Uint8Array, signed: boolean): bigint => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (bytes.length) {
    case 1:
      return BigInt(signed ? view.getInt8(0) : view.getUint8(0));
    case 2:
      return BigInt(signed ? view.getInt16(0) : view.getUint16(0));
    case 4:
      return BigInt(signed ? view.getInt32(0) : view.getUint32(0));
    case 8:
      return signed ? view.getBigInt64(0) : view.getBigUint64(0);
    default:
      throw new RangeError(`integers are 1, 2, 4 or 8 bytes, not ${bytes.length}`);
  }
};

/** The fewest of 1, 2, 4, 8 bytes that hold `value` (signed: two's complement). */
export const intSize = (value: bigint, signed: boolean): 1 | 2 | 4 | 8 => {
  for (const size of [1, 2, 4] as const) {
    const bits = BigInt(size * 8);
    const fits = signed ? value >= -(1n << (bits - 1n)) && value < 1n << (bits - 1n) : value >= 0n && value < 1n << bits;
    if (fits) return size;
  }
  return 8;
};

export const writeInt = (value: bigint, signed: boolean): Uint8Array => {
  const size = intSize(value, signed);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  if (size === 8) {
    if (signed) view.setBigInt64(0, value);
    else view.setBigUint64(0, value);
  } else {
    const v = Number(value);
    if (size === 4) {
      if (signed) view.setInt32(0, v);
      else view.setUint32(0, v);
    } else if (size === 2) {
      if (signed) view.setInt16(0, v);
      else view.setUint16(0, v);
    } else if (signed) view.setInt8(0, v);
    else view.setUint8(0, v);
  }
  return out;
};

/** A float as 4 bytes when single precision holds it exactly, else 8 (LwM2M allows both). */
export const writeFloat = (value: number): Uint8Array => {
  const single = Math.fround(value) === value;
  const out = new Uint8Array(single ? 4 : 8);
  const view = new DataView(out.buffer);
  if (single) view.setFloat32(0, value);
  else view.setFloat64(0, value);
  return out;
};

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64 with padding (RFC 4648 section 4), strictly: undefined for anything else. */
export const fromBase64 = (text: string): Uint8Array | undefined => {
  if (!BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength).slice();
};

export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
