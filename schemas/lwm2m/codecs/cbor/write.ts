import { ByteWriter, toUtf8 } from '../bytes.ts';
import type { CborItem } from './item.ts';

const head = (w: ByteWriter, major: number, argument: bigint): void => {
  const m = major << 5;
  if (argument < 24n) w.byte(m | Number(argument));
  else if (argument <= 0xffn) w.byte(m | 24).uint(argument, 1);
  else if (argument <= 0xffffn) w.byte(m | 25).uint(argument, 2);
  else if (argument <= 0xffffffffn) w.byte(m | 26).uint(argument, 4);
  else w.byte(m | 27).uint(argument, 8);
};

const write = (w: ByteWriter, item: CborItem): void => {
  switch (item.kind) {
    case 'int':
      if (item.value >= 0n) head(w, 0, item.value);
      else head(w, 1, -1n - item.value);
      return;
    case 'bytes':
      head(w, 2, BigInt(item.value.length));
      w.bytes(item.value);
      return;
    case 'text': {
      const bytes = toUtf8(item.value);
      head(w, 3, BigInt(bytes.length));
      w.bytes(bytes);
      return;
    }
    case 'array':
      head(w, 4, BigInt(item.items.length));
      item.items.forEach((i) => write(w, i));
      return;
    case 'map':
      head(w, 5, BigInt(item.entries.length));
      item.entries.forEach(([k, v]) => {
        write(w, k);
        write(w, v);
      });
      return;
    case 'tag':
      head(w, 6, item.tag);
      write(w, item.item);
      return;
    case 'float':
      // Single precision when it holds the value exactly (RFC 8949 4.2.2 preferred serialization, half precision aside).
      if (Math.fround(item.value) === item.value) w.byte(0xfa).float(item.value, 4);
      else w.byte(0xfb).float(item.value, 8);
      return;
    case 'bool':
      w.byte(item.value ? 0xf5 : 0xf4);
      return;
    case 'null':
      w.byte(0xf6);
      return;
    case 'undefined':
      w.byte(0xf7);
      return;
    case 'simple':
      if (item.value < 24) w.byte(0xe0 | item.value);
      else w.byte(0xf8).byte(item.value);
  }
};

/** Writes one CBOR item with definite lengths and the shortest heads. */
export const writeCbor = (item: CborItem): Uint8Array => {
  const w = new ByteWriter();
  write(w, item);
  return w.toBytes();
};
