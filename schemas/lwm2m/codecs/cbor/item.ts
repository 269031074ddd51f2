/**
 * A CBOR data item (RFC 8949) as the LwM2M codecs need it. Integers stay bigints (major types 0
 * and 1 reach -2^64..2^64-1); floats of every width are numbers.
 */
export type CborItem =
  | { kind: 'int'; value: bigint }
  | { kind: 'bytes'; value: Uint8Array }
  | { kind: 'text'; value: string }
  | { kind: 'array'; items: CborItem[] }
  | { kind: 'map'; entries: [CborItem, CborItem][] }
  | { kind: 'tag'; tag: bigint; item: CborItem }
  | { kind: 'float'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' }
  | { kind: 'undefined' }
  | { kind: 'simple'; value: number };

export const describeItem = (item: CborItem): string => {
  switch (item.kind) {
    case 'int':
      return 'an integer';
    case 'bytes':
      return 'a byte string';
    case 'text':
      return 'a text string';
    case 'array':
      return 'an array';
    case 'map':
      return 'a map';
    case 'tag':
      return `tag ${item.tag}`;
    case 'float':
      return 'a float';
    case 'bool':
      return 'a boolean';
    case 'null':
      return 'null';
    case 'undefined':
      return 'undefined';
    case 'simple':
      return `simple value ${item.value}`;
  }
};
