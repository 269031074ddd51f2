import { decodeUint, encodeUint } from './options.ts';

/** A Block1/Block2 option value (RFC 7959 §2.2): block number, more flag, size exponent. */
export interface BlockValue {
  readonly num: number;
  readonly more: boolean;
  /** Block size is 2 ** (szx + 4): 16 to 1024 bytes. 7 is reserved (BERT, CoAP over TCP only). */
  readonly szx: number;
}

export const blockSize = (szx: number): number => 2 ** (szx + 4);

/** The largest SZX whose block fits in `bytes` (16 at the very least). */
export const szxFor = (bytes: number): number => {
  let szx = 0;
  while (szx < 6 && blockSize(szx + 1) <= bytes) szx += 1;
  return szx;
};

/** Undefined when the value is not a usable block option over UDP (too long, SZX 7, NUM above 2^20-1). */
export const decodeBlock = (value: Buffer): BlockValue | undefined => {
  if (value.length > 3) return undefined;
  const n = decodeUint(value);
  const szx = n & 0x07;
  if (szx === 7) return undefined;
  return { num: Math.floor(n / 16), more: (n & 0x08) !== 0, szx };
};

export const encodeBlock = (block: BlockValue): Buffer => {
  if (block.num < 0 || block.num > 0xfffff || block.szx < 0 || block.szx > 6) {
    throw new RangeError(`block num ${block.num} / szx ${block.szx} out of range`);
  }
  return encodeUint(block.num * 16 + (block.more ? 8 : 0) + block.szx);
};
