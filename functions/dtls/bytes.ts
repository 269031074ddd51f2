import { decodeError } from './errors.ts';

/**
 * A bounds-checked cursor over a Buffer: every read that would run past the end throws a
 * decode_error naming the field, so a truncated or lying length never reads foreign bytes.
 */
export class ByteReader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}

  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  private need(n: number, field: string) {
    if (this.remaining < n) throw decodeError(`${field}: needs ${n} bytes, ${this.remaining} left`);
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buffer[this.offset++]!;
  }

  u16(field: string): number {
    this.need(2, field);
    const v = this.buffer.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  u24(field: string): number {
    this.need(3, field);
    const v = this.buffer.readUIntBE(this.offset, 3);
    this.offset += 3;
    return v;
  }

  u48(field: string): number {
    this.need(6, field);
    const v = this.buffer.readUIntBE(this.offset, 6);
    this.offset += 6;
    return v;
  }

  /** A view (not a copy) of the next n bytes. */
  bytes(n: number, field: string): Buffer {
    this.need(n, field);
    const v = this.buffer.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** opaque field<min..2^8-1> */
  vector8(field: string, min = 0): Buffer {
    const n = this.u8(`${field} length`);
    if (n < min) throw decodeError(`${field}: ${n} bytes, at least ${min} required`);
    return this.bytes(n, field);
  }

  /** opaque field<min..2^16-1> */
  vector16(field: string, min = 0): Buffer {
    const n = this.u16(`${field} length`);
    if (n < min) throw decodeError(`${field}: ${n} bytes, at least ${min} required`);
    return this.bytes(n, field);
  }

  rest(): Buffer {
    return this.bytes(this.remaining, 'rest');
  }

  /** Structures in TLS have exact lengths: trailing bytes are an error, not padding. */
  end(structure: string) {
    if (this.remaining !== 0) throw decodeError(`${structure}: ${this.remaining} unexpected trailing bytes`);
  }
}

export const u8 = (v: number) => Buffer.of(v & 0xff);

export const u16 = (v: number) => {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(v);
  return b;
};

export const u24 = (v: number) => {
  const b = Buffer.allocUnsafe(3);
  b.writeUIntBE(v, 0, 3);
  return b;
};

export const vector8 = (v: Buffer) => {
  if (v.length > 0xff) throw new RangeError(`a vector<0..2^8-1> cannot hold ${v.length} bytes`);
  return Buffer.concat([u8(v.length), v]);
};

export const vector16 = (v: Buffer) => {
  if (v.length > 0xffff) throw new RangeError(`a vector<0..2^16-1> cannot hold ${v.length} bytes`);
  return Buffer.concat([u16(v.length), v]);
};
