import { PatternError, describeValue } from './patternError.ts';

/** An IP address as bytes: 4 for IPv4, 16 for IPv6. */
type Address = Uint8Array;

const parseIPv4 = (text: string): Address | undefined => {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    bytes[i] = n;
  }
  return bytes;
};

const parseGroups = (text: string): number[] | undefined => {
  if (text === '') return [];
  const groups: number[] = [];
  for (const g of text.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    groups.push(parseInt(g, 16));
  }
  return groups;
};

/** RFC 4291 text forms: full, `::`-compressed, and with a trailing dotted IPv4 part. */
const parseIPv6 = (text: string): Address | undefined => {
  let body = text;
  let tail: number[] = [];
  const lastColon = body.lastIndexOf(':');
  if (body.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(body.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    body = body.slice(0, lastColon + 1);
    // "::1.2.3.4" leaves "::", "a::1.2.3.4" leaves "a::", "a:b:...:1.2.3.4" leaves a trailing ":" to drop
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const head = parseGroups(halves[0]!);
    const rest = parseGroups(halves[1]!);
    if (!head || !rest) return undefined;
    const missing = 8 - head.length - rest.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...rest, ...tail];
  } else {
    const all = parseGroups(halves[0]!);
    if (!all) return undefined;
    groups = [...all, ...tail];
  }
  if (groups.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return bytes;
};

export const parseIpAddress = (text: string): Address | undefined => (text.includes(':') ? parseIPv6(text) : parseIPv4(text));

/** A compiled CIDR block: the network bytes and how many leading bits must agree. */
export interface CidrBlock {
  network: Address;
  bits: number;
}

export const parseCidr = (operand: unknown, path: string): CidrBlock => {
  if (typeof operand !== 'string') throw new PatternError(path, `cidr must be a string like "10.0.0.0/24" or "2001:db8::/32", got ${describeValue(operand)}`);
  const slash = operand.indexOf('/');
  const addressText = slash === -1 ? operand : operand.slice(0, slash);
  const network = parseIpAddress(addressText);
  if (!network) throw new PatternError(path, `"${addressText}" is not an IPv4 or IPv6 address`);
  const maxBits = network.length * 8;
  let bits = maxBits;
  if (slash !== -1) {
    const lengthText = operand.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lengthText) || Number(lengthText) > maxBits) {
      throw new PatternError(path, `the prefix length "${lengthText}" must be a whole number from 0 to ${maxBits}`);
    }
    bits = Number(lengthText);
  }
  return { network, bits };
};

/** True when `value` is an IP address (of the block's family) inside the block. */
export const inCidr = (block: CidrBlock, value: string): boolean => {
  const address = parseIpAddress(value);
  if (!address || address.length !== block.network.length) return false;
  const whole = block.bits >> 3;
  for (let i = 0; i < whole; i++) if (address[i] !== block.network[i]) return false;
  const rest = block.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (address[whole]! & mask) === (block.network[whole]! & mask);
};
