import { SenmlError } from './errors.ts';
import { guard } from './guard.ts';
import { checkVersions, readRecord } from './readRecord.ts';
import { limitsOf, profileOf } from './types.ts';
import type { SenmlLimits, SenmlOptions, SenmlPack } from './types.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Refuses [ / { nesting (outside strings) deeper than `limit`, in one pass before parsing. */
const checkNesting = (text: string, limit: number): void => {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) throw new SenmlError('too-large', `nested deeper than ${limit} levels; SenML needs 2`);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
};

const toText = (input: string | Uint8Array, limits: SenmlLimits): string => {
  const bytes = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length;
  if ((typeof input === 'string' && input.length > limits.maxBytes) || bytes > limits.maxBytes) {
    throw new SenmlError('too-large', `the pack is ${bytes} bytes; at most ${limits.maxBytes} are accepted: split it`);
  }
  if (typeof input === 'string') return input;
  try {
    return utf8.decode(input);
  } catch {
    throw new SenmlError('not-json', 'the payload is not valid UTF-8, the only encoding SenML JSON allows (RFC 8428 section 5)');
  }
};

/**
 * Decodes application/senml+json (CoAP content format 110), given as text or UTF-8 bytes, into
 * records. Same checks as decodeSenmlCbor. Throws only SenmlError.
 */
export const decodeSenmlJson = (input: string | Uint8Array, options?: SenmlOptions): SenmlPack =>
  guard('not-json', 'the JSON could not be decoded', () => {
    if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
      throw new SenmlError('bad-argument', 'decodeSenmlJson takes the payload as a string or UTF-8 bytes');
    }
    const limits = limitsOf(options);
    const text = toText(input, limits);
    checkNesting(text, limits.maxDepth);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new SenmlError('not-json', `the payload is not JSON (${(e as Error).message}); a SenML pack is a JSON array of objects`);
    }
    if (!Array.isArray(parsed)) throw new SenmlError('not-an-array', 'the payload is JSON but not an array: a SenML pack is an array of objects (RFC 8428 section 5)');
    if (parsed.length > limits.maxRecords) {
      throw new SenmlError('too-large', `the pack has ${parsed.length} records; at most ${limits.maxRecords} are accepted: split it`);
    }
    const profile = profileOf(options);
    const pack = parsed.map((item: unknown, i) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new SenmlError('not-a-record', 'is not a JSON object', i);
      return readRecord(Object.entries(item), 'json', profile, i);
    });
    checkVersions(pack);
    return pack;
  });
