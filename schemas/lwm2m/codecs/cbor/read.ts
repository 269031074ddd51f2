import { CodecError } from '../../errors.ts';
import type { CodecLimits } from '../../limits.ts';
import { fromUtf8 } from '../bytes.ts';
import type { CborItem } from './item.ts';

/**
 * A strict CBOR reader written for hostile input: every declared length is checked against the
 * bytes left before anything is allocated, nesting is bounded by limits.maxDepth, and anything
 * malformed (reserved additional info, a stray break, invalid UTF-8, trailing bytes, chunks of
 * the wrong type in an indefinite string) is a CodecError.
 */
class Reader {
  pos = 0;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly limits: CodecLimits,
    private readonly contentFormat: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private fail(reason: 'truncated' | 'malformed' | 'too-deep', message: string, offset = this.pos): never {
    throw new CodecError(reason, message, { contentFormat: this.contentFormat, offset });
  }

  private need(n: number | bigint, what: string): number {
    const left = this.bytes.length - this.pos;
    if (BigInt(n) > BigInt(left)) this.fail('truncated', `${what} needs ${n} bytes but only ${left} are left`);
    return Number(n);
  }

  private argument(ai: number, start: number): bigint {
    if (ai < 24) return BigInt(ai);
    const size = ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : ai === 27 ? 8 : 0;
    if (size === 0) this.fail('malformed', `additional information ${ai} is reserved`, start);
    this.need(size, 'an argument');
    const at = this.pos;
    this.pos += size;
    if (size === 1) return BigInt(this.view.getUint8(at));
    if (size === 2) return BigInt(this.view.getUint16(at));
    if (size === 4) return BigInt(this.view.getUint32(at));
    return this.view.getBigUint64(at);
  }

  private isBreak(): boolean {
    if (this.pos >= this.bytes.length) this.fail('truncated', 'an indefinite-length item has no break (0xff)');
    if (this.bytes[this.pos] !== 0xff) return false;
    this.pos++;
    return true;
  }

  private string(major: 2 | 3, ai: number, start: number): Uint8Array {
    if (ai !== 31) {
      const length = this.need(this.argument(ai, start), 'a string');
      const out = this.bytes.subarray(this.pos, this.pos + length);
      this.pos += length;
      return out;
    }
    const chunks: Uint8Array[] = [];
    while (!this.isBreak()) {
      const chunkStart = this.pos;
      const head = this.bytes[this.pos++]!;
      if (head >>> 5 !== major || (head & 0x1f) === 31) this.fail('malformed', 'an indefinite string holds only definite strings of its own type', chunkStart);
      chunks.push(this.string(major, head & 0x1f, chunkStart));
    }
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  private halfFloat(bits: number): number {
    const exponent = (bits >>> 10) & 0x1f;
    const fraction = bits & 0x3ff;
    const sign = bits & 0x8000 ? -1 : 1;
    if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
    if (exponent === 31) return fraction === 0 ? sign * Infinity : Number.NaN;
    return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
  }

  item(depth: number): CborItem {
    const start = this.pos;
    this.need(1, 'an item');
    const head = this.bytes[this.pos++]!;
    const major = head >>> 5;
    const ai = head & 0x1f;
    if (ai === 31 && (major === 0 || major === 1 || major === 6)) this.fail('malformed', `major type ${major} has no indefinite length`, start);
    switch (major) {
      case 0:
        return { kind: 'int', value: this.argument(ai, start) };
      case 1:
        return { kind: 'int', value: -1n - this.argument(ai, start) };
      case 2:
        return { kind: 'bytes', value: this.string(2, ai, start).slice() };
      case 3: {
        const text = fromUtf8(this.string(3, ai, start));
        if (text === undefined) this.fail('malformed', 'a text string is not valid UTF-8', start);
        return { kind: 'text', value: text };
      }
      case 4:
      case 5:
      case 6: {
        if (depth + 1 > this.limits.maxDepth) this.fail('too-deep', `nested deeper than ${this.limits.maxDepth} (limits.maxDepth)`, start);
        if (major === 6) return { kind: 'tag', tag: this.argument(ai, start), item: this.item(depth + 1) };
        const pairs = major === 5 ? 2 : 1;
        if (ai === 31) {
          const items: CborItem[] = [];
          while (!this.isBreak()) {
            for (let i = 0; i < pairs; i++) items.push(this.item(depth + 1));
          }
          return major === 4 ? { kind: 'array', items } : { kind: 'map', entries: toEntries(items) };
        }
        // Each item takes at least a byte: a count beyond the bytes left is a lie, refused before allocating.
        const count = this.need(this.argument(ai, start) * BigInt(pairs), major === 4 ? 'an array' : 'a map');
        const items: CborItem[] = [];
        for (let i = 0; i < count; i++) items.push(this.item(depth + 1));
        return major === 4 ? { kind: 'array', items } : { kind: 'map', entries: toEntries(items) };
      }
      default:
        return this.simple(ai, start);
    }
  }

  private simple(ai: number, start: number): CborItem {
    switch (ai) {
      case 20:
        return { kind: 'bool', value: false };
      case 21:
        return { kind: 'bool', value: true };
      case 22:
        return { kind: 'null' };
      case 23:
        return { kind: 'undefined' };
      case 24: {
        this.need(1, 'a simple value');
        const value = this.bytes[this.pos++]!;
        if (value < 32) this.fail('malformed', `simple value ${value} must be written in one byte`, start);
        return { kind: 'simple', value };
      }
      case 25:
        this.need(2, 'a half float');
        this.pos += 2;
        return { kind: 'float', value: this.halfFloat(this.view.getUint16(this.pos - 2)) };
      case 26:
        this.need(4, 'a float');
        this.pos += 4;
        return { kind: 'float', value: this.view.getFloat32(this.pos - 4) };
      case 27:
        this.need(8, 'a double');
        this.pos += 8;
        return { kind: 'float', value: this.view.getFloat64(this.pos - 8) };
      case 31:
        return this.fail('malformed', 'a break (0xff) outside an indefinite-length item', start);
      default:
        if (ai < 20) return { kind: 'simple', value: ai };
        return this.fail('malformed', `additional information ${ai} is reserved`, start);
    }
  }

  done(): void {
    if (this.pos !== this.bytes.length) this.fail('malformed', `${this.bytes.length - this.pos} bytes follow the CBOR item`);
  }
}

const toEntries = (items: CborItem[]): [CborItem, CborItem][] => {
  const entries: [CborItem, CborItem][] = [];
  for (let i = 0; i < items.length; i += 2) entries.push([items[i]!, items[i + 1]!]);
  return entries;
};

/** Reads exactly one CBOR item filling `bytes`. Throws only CodecError (the caller checks maxBytes first). */
export const readCbor = (bytes: Uint8Array, limits: CodecLimits, contentFormat: number): CborItem => {
  const reader = new Reader(bytes, limits, contentFormat);
  if (bytes.length === 0) throw new CodecError('truncated', 'the payload is empty; CBOR needs one item', { contentFormat });
  const item = reader.item(0);
  reader.done();
  return item;
};
