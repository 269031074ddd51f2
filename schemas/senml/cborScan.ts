import { SenmlError } from './errors.ts';
import type { SenmlLimits } from './types.ts';

/**
 * Walks the CBOR bytes once, before any value is built, and refuses what a SenML pack never is:
 * malformed or truncated items, trailing bytes, an indefinite-length top-level array (RFC 8428
 * section 6), indefinite-length strings, tags other than 4 (decimal fraction), simple values other
 * than false/true/null/undefined, record keys that are not integers or text, duplicate labels,
 * invalid UTF-8, more records or deeper nesting than the limits. The walk is linear in the input
 * and every declared length is checked against the bytes left, so hostile input cannot make the
 * decoder allocate, loop or recurse beyond the limits.
 */

const SELF_DESCRIBED = [0xd9, 0xd9, 0xf7]; // tag 55799: "this is CBOR", carries no meaning
const BREAK = 0xff;
const utf8 = new TextDecoder('utf-8', { fatal: true });

interface Head {
  major: number;
  /** The argument (length, integer, tag number); -1 for an indefinite length. */
  arg: number;
  info: number;
}

class Scanner {
  pos = 0;
  recordIndex: number | undefined;

  constructor(
    readonly bytes: Uint8Array,
    readonly limits: SenmlLimits,
  ) {}

  fail(code: 'not-cbor' | 'bad-type' | 'too-large' | 'not-a-record' | 'duplicate-label', message: string): never {
    throw new SenmlError(code, message, this.recordIndex);
  }

  need(n: number): void {
    if (this.pos + n > this.bytes.length) {
      this.fail('not-cbor', `the CBOR ends in the middle of an item at byte ${this.pos}: the pack is truncated`);
    }
  }

  head(): Head {
    this.need(1);
    const at = this.pos;
    const initial = this.bytes[this.pos++]!;
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (info < 24) return { major, arg: info, info };
    if (info === 31) {
      if (major === 0 || major === 1 || major === 6) this.fail('not-cbor', `byte ${at}: major type ${major} cannot be indefinite-length`);
      return { major, arg: -1, info };
    }
    if (info > 27) this.fail('not-cbor', `byte ${at}: reserved additional information ${info}`);
    const size = 1 << (info - 24);
    this.need(size);
    let arg = 0;
    for (let i = 0; i < size; i++) arg = arg * 256 + this.bytes[this.pos++]!;
    return { major, arg, info };
  }

  /** A declared count of items; each takes at least one byte, so more than the bytes left is a lie. */
  count(arg: number, perItem: number): number {
    if (arg * perItem > this.bytes.length - this.pos) {
      this.fail('not-cbor', `an array or map declares ${arg} entries but only ${this.bytes.length - this.pos} bytes are left: the pack is truncated`);
    }
    return arg;
  }

  atBreak(): boolean {
    this.need(1);
    if (this.bytes[this.pos] !== BREAK) return false;
    this.pos++;
    return true;
  }

  /** Skips one item; returns a key identity for integers and text (used to find duplicate labels). */
  item(depth: number): string | undefined {
    if (depth > this.limits.maxDepth) {
      this.fail('too-large', `nested deeper than ${this.limits.maxDepth} levels; SenML needs 3`);
    }
    const h = this.head();
    switch (h.major) {
      case 0:
        return `i${h.arg}`;
      case 1:
        return `i${-1 - h.arg}`;
      case 2:
      case 3: {
        if (h.arg < 0) {
          this.fail('not-cbor', 'indefinite-length strings are not accepted: RFC 8428 section 6 requires definite-length text and byte strings');
        }
        this.need(h.arg);
        const start = this.pos;
        this.pos += h.arg;
        if (h.major === 2) return undefined;
        try {
          return `s${utf8.decode(this.bytes.subarray(start, this.pos))}`;
        } catch {
          return this.fail('not-cbor', `the text string at byte ${start} is not valid UTF-8`);
        }
      }
      case 4:
        if (h.arg < 0) {
          while (!this.atBreak()) this.item(depth + 1);
        } else {
          for (let n = this.count(h.arg, 1); n > 0; n--) this.item(depth + 1);
        }
        return undefined;
      case 5:
        if (h.arg < 0) {
          while (!this.atBreak()) {
            this.item(depth + 1);
            this.item(depth + 1);
          }
        } else {
          for (let n = this.count(h.arg, 2); n > 0; n--) {
            this.item(depth + 1);
            this.item(depth + 1);
          }
        }
        return undefined;
      case 6:
        if (h.arg !== 4) {
          this.fail('bad-type', `CBOR tag ${h.arg} is not a SenML type: the only tag allowed is 4, a decimal fraction (RFC 8428 section 6)`);
        }
        this.decimalFraction(depth + 1);
        return undefined;
      default:
        return this.simple(h);
    }
  }

  /** Tag 4 content: [exponent, mantissa], both plain integers (a bignum mantissa is refused). */
  decimalFraction(depth: number): void {
    if (depth > this.limits.maxDepth) this.fail('too-large', `nested deeper than ${this.limits.maxDepth} levels`);
    const h = this.head();
    if (h.major !== 4 || h.arg !== 2) this.fail('bad-type', 'a decimal fraction (tag 4) must be a two-item array [exponent, mantissa]');
    for (let i = 0; i < 2; i++) {
      const part = this.head();
      if (part.major > 1) this.fail('bad-type', 'a decimal fraction (tag 4) must hold two integers [exponent, mantissa]');
    }
  }

  simple(h: Head): undefined {
    if (h.info >= 20 && h.info <= 23) return undefined; // false, true, null, undefined
    if (h.info >= 25 && h.info <= 27) return undefined; // half, single, double floats
    if (h.info === 31) this.fail('not-cbor', `a "break" byte at ${this.pos - 1} outside an indefinite-length item`);
    return this.fail('bad-type', `CBOR simple value ${h.info === 24 ? h.arg : h.info} is not a SenML type`);
  }

  record(index: number): void {
    this.recordIndex = index;
    const h = this.head();
    if (h.major !== 5) this.fail('not-a-record', 'is not a CBOR map: a SenML pack is an array of maps (RFC 8428 section 6)');
    const seen = new Set<string>();
    const entry = (): void => {
      const keyAt = this.pos;
      const key = this.item(3);
      if (key === undefined) this.fail('bad-type', `the map key at byte ${keyAt} is not an integer or text string; SenML labels are one or the other`);
      if (seen.has(key)) this.fail('duplicate-label', `label ${key.slice(1)} appears twice; a record has each label at most once`);
      seen.add(key);
      this.item(3);
    };
    if (h.arg < 0) {
      while (!this.atBreak()) entry();
    } else {
      for (let n = this.count(h.arg, 2); n > 0; n--) entry();
    }
    this.recordIndex = undefined;
  }

  pack(): void {
    if (this.bytes.length === 0) this.fail('not-cbor', 'the payload is empty: a SenML pack is a CBOR array of maps');
    if (SELF_DESCRIBED.every((b, i) => this.bytes[i] === b)) this.pos = SELF_DESCRIBED.length;
    const h = this.head();
    if (h.major !== 4) {
      throw new SenmlError('not-an-array', `the payload is CBOR major type ${h.major}, not an array: a SenML pack is an array of maps (RFC 8428 section 6)`);
    }
    if (h.arg < 0) {
      throw new SenmlError(
        'not-an-array',
        'the pack is an indefinite-length array, which RFC 8428 section 6 reserves for streaming SensML: send a definite-length array',
      );
    }
    if (h.arg > this.limits.maxRecords) {
      throw new SenmlError('too-large', `the pack has ${h.arg} records; at most ${this.limits.maxRecords} are accepted: split it`);
    }
    const records = this.count(h.arg, 1);
    for (let i = 0; i < records; i++) this.record(i);
    if (this.pos !== this.bytes.length) {
      this.fail('not-cbor', `${this.bytes.length - this.pos} bytes follow the end of the pack: send exactly one CBOR array`);
    }
  }
}

export const scanSenmlCbor = (bytes: Uint8Array, limits: SenmlLimits): void => {
  if (bytes.length > limits.maxBytes) {
    throw new SenmlError('too-large', `the pack is ${bytes.length} bytes; at most ${limits.maxBytes} are accepted: split it`);
  }
  new Scanner(bytes, limits).pack();
};
