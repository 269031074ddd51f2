import { TextDecoder } from 'node:util';
import { ManifestError } from './errors.ts';
import { formatBytes, splitAdvice, type ManifestLimits } from './limits.ts';

/** Byte signatures of files people upload by mistake, with what to do instead. */
const SIGNATURES: readonly { bytes: readonly number[]; what: string }[] = [
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a ZIP archive (an Excel .xlsx workbook is one)' },
  { bytes: [0xff, 0xfe], what: 'UTF-16 text' },
  { bytes: [0xfe, 0xff], what: 'UTF-16 text' },
  { bytes: [0x1f, 0x8b], what: 'a gzip archive' },
  { bytes: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0], what: 'an old Excel .xls workbook' },
];

const SAVE_AS = 'Save or export the manifest as UTF-8 text (in a spreadsheet: "CSV UTF-8") and upload that file.';

const sniff = (head: Uint8Array): void => {
  for (const { bytes, what } of SIGNATURES) {
    if (head.length >= bytes.length && bytes.every((b, i) => head[i] === b)) {
      throw new ManifestError('not-text', `the upload is ${what}, not a text manifest.`, SAVE_AS);
    }
  }
};

/**
 * The upload's bytes as UTF-8 text, chunk by chunk: counts bytes against maxBytes before decoding,
 * refuses binary (known signatures, invalid UTF-8, NUL characters) and drops a leading BOM.
 * Strings are taken as already decoded.
 */
export async function* decodeText(input: AsyncIterable<unknown>, limits: ManifestLimits, meter: { bytes: number }): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let bytes = 0;
  let atStart = true;
  for await (const chunk of input) {
    let text: string;
    const before = bytes;
    if (typeof chunk === 'string') {
      bytes += Buffer.byteLength(chunk, 'utf8');
      meter.bytes = bytes;
      checkSize(bytes, limits);
      text = flush(decoder, before) + chunk;
    } else if (chunk instanceof Uint8Array) {
      bytes += chunk.byteLength;
      meter.bytes = bytes;
      checkSize(bytes, limits);
      if (before === 0) sniff(chunk);
      text = decode(decoder, chunk, before, bytes);
    } else {
      throw new ManifestError(
        'bad-input',
        `the manifest stream produced ${chunk === null ? 'null' : typeof chunk} chunks, not bytes or text.`,
        'Pass a byte stream (Readable, or an async iterable of Buffer or string).',
      );
    }
    if (text.length === 0) continue;
    if (atStart) {
      atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const nul = text.indexOf('\u0000');
    if (nul !== -1) {
      throw new ManifestError('not-text', `the upload has a NUL character near byte ${before + nul}: it is binary, not a text manifest.`, SAVE_AS);
    }
    if (text.length > 0) yield text;
  }
  const rest = flush(decoder, bytes);
  if (rest.length > 0) yield rest;
}

const checkSize = (bytes: number, limits: ManifestLimits): void => {
  if (bytes > limits.maxBytes) {
    throw new ManifestError('too-large', `the manifest is larger than ${formatBytes(limits.maxBytes)} (maxBytes = ${limits.maxBytes}).`, splitAdvice(limits), {
      limit: { name: 'maxBytes', value: limits.maxBytes },
    });
  }
};

const decode = (decoder: TextDecoder, chunk: Uint8Array, from: number, to: number): string => {
  try {
    return decoder.decode(chunk, { stream: true });
  } catch {
    throw new ManifestError('not-text', `the upload is not UTF-8 text: bytes ${from} to ${to} hold an invalid UTF-8 sequence.`, SAVE_AS);
  }
};

const flush = (decoder: TextDecoder, at: number): string => {
  try {
    return decoder.decode();
  } catch {
    throw new ManifestError('not-text', `the upload is not UTF-8 text: it ends in the middle of a character at byte ${at}.`, SAVE_AS);
  }
};
