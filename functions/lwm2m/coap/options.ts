import type { CoapMessage, CoapOption } from './message.ts';

/** Option numbers from RFC 7252 §12.2, RFC 7641 (Observe), RFC 7959 (Block, Size2), RFC 7967. */
export const Option = {
  IF_MATCH: 1,
  URI_HOST: 3,
  ETAG: 4,
  IF_NONE_MATCH: 5,
  OBSERVE: 6,
  URI_PORT: 7,
  LOCATION_PATH: 8,
  URI_PATH: 11,
  CONTENT_FORMAT: 12,
  MAX_AGE: 14,
  URI_QUERY: 15,
  ACCEPT: 17,
  LOCATION_QUERY: 20,
  BLOCK2: 23,
  BLOCK1: 27,
  SIZE2: 28,
  PROXY_URI: 35,
  PROXY_SCHEME: 39,
  SIZE1: 60,
  NO_RESPONSE: 258,
} as const;

/** RFC 7252 §5.4.6: odd option numbers are critical. */
export const isCritical = (optionNumber: number): boolean => (optionNumber & 1) === 1;

interface OptionRule {
  readonly minLength: number;
  readonly maxLength: number;
  readonly repeatable: boolean;
}

/** Value lengths and repeatability (RFC 7252 Table 4, RFC 7641 §2, RFC 7959 §2.1/§4). */
const RULES: ReadonlyMap<number, OptionRule> = new Map([
  [Option.IF_MATCH, { minLength: 0, maxLength: 8, repeatable: true }],
  [Option.URI_HOST, { minLength: 1, maxLength: 255, repeatable: false }],
  [Option.ETAG, { minLength: 1, maxLength: 8, repeatable: true }],
  [Option.IF_NONE_MATCH, { minLength: 0, maxLength: 0, repeatable: false }],
  [Option.OBSERVE, { minLength: 0, maxLength: 3, repeatable: false }],
  [Option.URI_PORT, { minLength: 0, maxLength: 2, repeatable: false }],
  [Option.LOCATION_PATH, { minLength: 0, maxLength: 255, repeatable: true }],
  [Option.URI_PATH, { minLength: 0, maxLength: 255, repeatable: true }],
  [Option.CONTENT_FORMAT, { minLength: 0, maxLength: 2, repeatable: false }],
  [Option.MAX_AGE, { minLength: 0, maxLength: 4, repeatable: false }],
  [Option.URI_QUERY, { minLength: 0, maxLength: 255, repeatable: true }],
  [Option.ACCEPT, { minLength: 0, maxLength: 2, repeatable: false }],
  [Option.LOCATION_QUERY, { minLength: 0, maxLength: 255, repeatable: true }],
  [Option.BLOCK2, { minLength: 0, maxLength: 3, repeatable: false }],
  [Option.BLOCK1, { minLength: 0, maxLength: 3, repeatable: false }],
  [Option.SIZE2, { minLength: 0, maxLength: 4, repeatable: false }],
  [Option.PROXY_URI, { minLength: 1, maxLength: 1034, repeatable: false }],
  [Option.PROXY_SCHEME, { minLength: 1, maxLength: 255, repeatable: false }],
  [Option.SIZE1, { minLength: 0, maxLength: 4, repeatable: false }],
  [Option.NO_RESPONSE, { minLength: 0, maxLength: 1, repeatable: false }],
]);

/**
 * The first critical option this side cannot honour, or undefined. RFC 7252 §5.4.3 and §5.4.5:
 * a known option with a bad length, or a second copy of a non-repeatable one, counts as unrecognized.
 * `understood` is the set of critical options the caller acts on.
 */
export const firstUnrecognizedCritical = (options: readonly CoapOption[], understood: ReadonlySet<number>): number | undefined => {
  const seen = new Set<number>();
  for (const option of options) {
    const rule = RULES.get(option.number);
    const valid =
      rule !== undefined &&
      option.value.length >= rule.minLength &&
      option.value.length <= rule.maxLength &&
      (rule.repeatable || !seen.has(option.number));
    seen.add(option.number);
    if (isCritical(option.number) && (!valid || !understood.has(option.number))) return option.number;
  }
  return undefined;
};

/** Minimal big-endian unsigned integer (RFC 7252 §3.2): 0 is the empty string. */
export const encodeUint = (value: number): Buffer => {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`option uint out of range: ${value}`);
  if (value === 0) return Buffer.alloc(0);
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from(bytes);
};

export const decodeUint = (value: Buffer): number => {
  let n = 0;
  for (const byte of value) n = n * 256 + byte;
  return n;
};

export const option = (number: number, value: Buffer | string | number): CoapOption => ({
  number,
  value: typeof value === 'number' ? encodeUint(value) : typeof value === 'string' ? Buffer.from(value, 'utf8') : value,
});

export const optionValues = (message: Pick<CoapMessage, 'options'>, number: number): Buffer[] =>
  message.options.filter((o) => o.number === number).map((o) => o.value);

export const firstOption = (message: Pick<CoapMessage, 'options'>, number: number): Buffer | undefined =>
  message.options.find((o) => o.number === number)?.value;

export const uintOption = (message: Pick<CoapMessage, 'options'>, number: number): number | undefined => {
  const value = firstOption(message, number);
  return value === undefined ? undefined : decodeUint(value);
};

export const stringOptions = (message: Pick<CoapMessage, 'options'>, number: number): string[] =>
  optionValues(message, number).map((v) => v.toString('utf8'));

/** Uri-Path segments joined with '/', with a leading '/': '/rd/abc'. */
export const uriPath = (message: Pick<CoapMessage, 'options'>): string => `/${stringOptions(message, Option.URI_PATH).join('/')}`;

export const pathOptions = (path: string, number: number = Option.URI_PATH): CoapOption[] =>
  path
    .split('/')
    .filter((segment) => segment.length > 0)
    .map((segment) => option(number, segment));
