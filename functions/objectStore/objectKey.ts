import {
  DEFAULT_CONTENT_TYPE,
  InvalidObjectKeyError,
  InvalidObjectRequestError,
  MAX_LIST_LIMIT,
  quoteKey,
  type ListOptions,
  type PutOptions,
} from './objectStore.ts';

/** S3's limit for a whole key. */
export const MAX_KEY_BYTES = 1024;
/**
 * Ours, not S3's: every adapter must be able to store a segment as a file name (255 bytes on common
 * filesystems) with room for the folder store's suffixes, so a key that works embedded works on AWS.
 */
export const MAX_SEGMENT_BYTES = 200;
/** S3's limit for user metadata: names and values, UTF-8 bytes, summed. */
export const MAX_METADATA_BYTES = 2048;

/**
 * Characters S3's object key naming guidelines say to avoid. Refusing them keeps keys identical in
 * URLs, event payloads and file names; the folder store relies on `~` never appearing in a key.
 */
const AVOIDED = '\\{}^%`[]"<>~#|';

/** The first C0 or C1 control character (or DEL) and its position. */
const findControl = (s: string): { char: string; index: number } | undefined => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return { char: s[i]!, index: i };
  }
  return undefined;
};
const loneSurrogate = /\p{Surrogate}/u;

const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');

const codePoint = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** Throws InvalidObjectKeyError naming the first rule the key breaks. */
export const validateObjectKey = (key: unknown): string => {
  if (typeof key !== 'string') throw new InvalidObjectKeyError(String(key), `must be a string, not ${typeof key}`);
  if (key.length === 0) throw new InvalidObjectKeyError(key, 'must not be empty');
  if (loneSurrogate.test(key)) throw new InvalidObjectKeyError(key, 'is not valid Unicode (it has a lone surrogate)');
  const bytes = utf8Bytes(key);
  if (bytes > MAX_KEY_BYTES) throw new InvalidObjectKeyError(key, `is ${bytes} bytes in UTF-8; S3 allows at most ${MAX_KEY_BYTES}`);
  const control = findControl(key);
  if (control) {
    throw new InvalidObjectKeyError(key, `contains the control character ${codePoint(control.char)} at position ${control.index}; use printable characters only`);
  }
  for (const ch of key) {
    if (AVOIDED.includes(ch)) {
      throw new InvalidObjectKeyError(key, `contains '${ch}', one of the characters S3's naming guidelines say to avoid (${AVOIDED}); replace it, e.g. with '-'`);
    }
  }
  if (key.startsWith('/')) throw new InvalidObjectKeyError(key, "must not start with '/': keys are relative to their area");
  for (const segment of key.split('/')) {
    if (segment === '') throw new InvalidObjectKeyError(key, "has an empty segment (a doubled or trailing '/')");
    if (segment === '.' || segment === '..') {
      throw new InvalidObjectKeyError(key, `has a '${segment}' segment; keys name objects, they are not paths to resolve`);
    }
    if (utf8Bytes(segment) > MAX_SEGMENT_BYTES) {
      throw new InvalidObjectKeyError(key, `has a segment of ${utf8Bytes(segment)} bytes; at most ${MAX_SEGMENT_BYTES} bytes between slashes`);
    }
  }
  return key;
};

/** A prefix is any beginning of a key: it may end anywhere, but it cannot hold what no key holds. */
export const validatePrefix = (prefix: unknown): string => {
  if (typeof prefix !== 'string') throw new InvalidObjectRequestError(`List prefix must be a string, not ${typeof prefix}.`);
  if (utf8Bytes(prefix) > MAX_KEY_BYTES || findControl(prefix) || loneSurrogate.test(prefix)) {
    throw new InvalidObjectRequestError(
      `Invalid list prefix ${quoteKey(prefix)}: it must be valid Unicode without control characters, at most ${MAX_KEY_BYTES} bytes.`,
    );
  }
  return prefix;
};

export interface CheckedListOptions {
  readonly after: string | undefined;
  readonly limit: number;
}

export const validateListOptions = (options: ListOptions = {}): CheckedListOptions => {
  const { after, limit = MAX_LIST_LIMIT } = options;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new InvalidObjectRequestError(`List limit ${String(limit)} is out of range: use an integer from 1 to ${MAX_LIST_LIMIT}.`);
  }
  if (after !== undefined) {
    if (typeof after !== 'string' || utf8Bytes(after) > MAX_KEY_BYTES || findControl(after)) {
      throw new InvalidObjectRequestError(`List option 'after' must be a key from a previous page (a string of at most ${MAX_KEY_BYTES} bytes).`);
    }
  }
  return { after, limit };
};

const metadataName = /^[a-z0-9][a-z0-9_-]{0,127}$/;
const printableAscii = /^[\x20-\x7e]*$/;
const mediaType = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(\s*;[\x20-\x7e]*)?$/;

export interface CheckedPutOptions {
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
}

export const validatePutOptions = (key: string, options: PutOptions = {}): CheckedPutOptions => {
  const { contentType = DEFAULT_CONTENT_TYPE, metadata = {} } = options;
  if (typeof contentType !== 'string' || contentType.length > 256 || !mediaType.test(contentType)) {
    throw new InvalidObjectRequestError(
      `Content type ${JSON.stringify(String(contentType)).slice(0, 80)} for ${quoteKey(key)} is not a media type: use type/subtype, e.g. text/csv.`,
    );
  }
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new InvalidObjectRequestError(`Metadata for ${quoteKey(key)} must be an object of name → text.`);
  }
  let total = 0;
  const checked: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata)) {
    if (!metadataName.test(name)) {
      throw new InvalidObjectRequestError(
        `Metadata name ${JSON.stringify(name).slice(0, 80)} for ${quoteKey(key)} is not allowed: use lower-case letters, digits, '-' and '_' (S3 lower-cases names).`,
      );
    }
    if (typeof value !== 'string' || !printableAscii.test(value)) {
      // The value is not echoed: metadata is not meant for secrets, but a caller's mistake should not land in a log either.
      throw new InvalidObjectRequestError(
        `Metadata '${name}' for ${quoteKey(key)} must be printable ASCII text (S3 sends it as an HTTP header); encode other values, e.g. base64.`,
      );
    }
    total += utf8Bytes(name) + utf8Bytes(value);
    checked[name] = value;
  }
  if (total > MAX_METADATA_BYTES) {
    throw new InvalidObjectRequestError(`Metadata for ${quoteKey(key)} is ${total} bytes; S3 allows ${MAX_METADATA_BYTES}: store large values in the object.`);
  }
  return { contentType, metadata: checked };
};

/**
 * Orders keys as S3 lists them: by UTF-8 bytes, which is code point order. Plain `<` compares UTF-16
 * units and puts characters above U+FFFF (surrogate pairs) before U+E000..U+FFFF.
 */
export const compareKeys = (a: string, b: string): number => {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xHigh = x >= 0xd800 && x <= 0xdfff;
    const yHigh = y >= 0xd800 && y <= 0xdfff;
    if (xHigh !== yHigh) return xHigh ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
};
