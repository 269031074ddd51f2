import { ManifestError } from './errors.ts';
import { JsonScanner, MAX_JSON_DEPTH, isJsonSpace } from './jsonScanner.ts';
import type { ManifestLimits } from './limits.ts';

/** The text of one row, not yet parsed; `tooDeep` pieces carry no text. */
export interface JsonPiece {
  readonly rowNumber: number;
  readonly text: string;
  readonly tooDeep: boolean;
}

const lineTooLong = (rowNumber: number, limits: ManifestLimits, what: string): ManifestError =>
  new ManifestError(
    'line-too-long',
    `${what} is longer than ${limits.maxLineLength} characters (maxLineLength).`,
    'A device row is a few hundred characters; check for a missing closing bracket or quote, or shorten the values.',
    { rowNumber, limit: { name: 'maxLineLength', value: limits.maxLineLength } },
  );

/**
 * The elements of a top-level JSON array, one at a time, as text: an incremental splitter, so
 * a 50 MiB array never sits in memory, only the element being read (at most maxLineLength).
 * Row numbers are element positions (first element is row 1).
 */
export async function* jsonArrayPieces(text: AsyncIterable<string>, limits: ManifestLimits): AsyncGenerator<JsonPiece> {
  type State = 'before' | 'first' | 'next' | 'element' | 'done';
  let state: State = 'before';
  const scanner = new JsonScanner(limits);
  let parts: string[] = [];
  let length = 0;
  let rowNumber = 0;

  const piece = (): JsonPiece => {
    const tooDeep = scanner.deepest > MAX_JSON_DEPTH;
    const done = { rowNumber, text: tooDeep ? '' : parts.join('').trim(), tooDeep };
    parts = [];
    length = 0;
    scanner.reset();
    return done;
  };

  for await (const chunk of text) {
    let i = 0;
    while (i < chunk.length) {
      if (state === 'element') {
        const end = scanner.toBoundary(chunk, i);
        const stop = end === -1 ? chunk.length : end;
        length += stop - i;
        if (length > limits.maxLineLength) throw lineTooLong(rowNumber, limits, 'this array element');
        if (scanner.deepest <= MAX_JSON_DEPTH) parts.push(chunk.slice(i, stop));
        if (end === -1) break;
        yield piece();
        state = chunk.charCodeAt(end) === 0x2c ? 'next' : 'done';
        i = end + 1;
        continue;
      }
      const c = chunk.charCodeAt(i);
      if (isJsonSpace(c)) {
        i += 1;
        continue;
      }
      if (state === 'before') {
        if (c !== 0x5b) throw notAnArray(chunk[i] ?? '');
        state = 'first';
        i += 1;
      } else if (state === 'done') {
        throw new ManifestError('not-json', `there is text after the closing "]" of the array (row ${rowNumber} was the last).`, 'Remove what follows the array; a manifest is one array.');
      } else if (c === 0x5d && state === 'first') {
        state = 'done';
        i += 1;
      } else if (c === 0x5d) {
        throw new ManifestError('not-json', `the array ends with a comma after row ${rowNumber}.`, 'Remove the comma before the closing "]".');
      } else {
        rowNumber += 1;
        scanner.rowNumber = rowNumber;
        state = 'element';
      }
    }
  }
  if (state === 'before') throw new ManifestError('empty', 'the manifest is empty.', 'Upload a JSON array of device rows, e.g. [{"serial": "SN-1", ...}].');
  if (state !== 'done') {
    throw new ManifestError(
      'not-json',
      `the file ends inside the array${rowNumber > 0 ? `, in row ${rowNumber}` : ''}: a closing bracket or quote is missing.`,
      'Check that the upload is complete and the array ends with "]".',
      rowNumber > 0 ? { rowNumber } : {},
    );
  }
}

const notAnArray = (first: string): ManifestError =>
  first === '{'
    ? new ManifestError(
        'not-an-array',
        'the JSON manifest is an object, not an array of rows.',
        'Put the rows in a top-level array: [{"serial": ...}, {"serial": ...}]. If they sit under a key such as {"devices": [...]}, upload only that array; one object per line is the NDJSON format (.ndjson).',
      )
    : new ManifestError('not-json', `the JSON manifest starts with ${JSON.stringify(first)}, not "[".`, 'A JSON manifest is an array of row objects: [{"serial": ...}, ...].');

/**
 * NDJSON: one row object per line; the row number is the line number. Blank lines are skipped
 * but counted. A line is never longer than maxLineLength, so it is held whole.
 */
export async function* ndjsonPieces(text: AsyncIterable<string>, limits: ManifestLimits): AsyncGenerator<JsonPiece> {
  const scanner = new JsonScanner(limits);
  let parts: string[] = [];
  let length = 0;
  let lineNumber = 1;
  let sawRow = false;

  function* finishLine(): Generator<JsonPiece> {
    const line = parts.join('');
    parts = [];
    length = 0;
    const row = line.trim();
    if (row.length > 0) {
      sawRow = true;
      scanner.reset();
      scanner.rowNumber = lineNumber;
      for (let i = scanner.toBoundary(row, 0); i !== -1; i = scanner.toBoundary(row, i + 1));
      const tooDeep = scanner.deepest > MAX_JSON_DEPTH;
      yield { rowNumber: lineNumber, text: tooDeep ? '' : row, tooDeep };
    }
    lineNumber += 1;
  }

  for await (const chunk of text) {
    let from = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', from)) {
      length += nl - from;
      if (length > limits.maxLineLength) throw lineTooLong(lineNumber, limits, 'this line');
      parts.push(chunk.slice(from, nl));
      yield* finishLine();
      from = nl + 1;
    }
    length += chunk.length - from;
    if (length > limits.maxLineLength) throw lineTooLong(lineNumber, limits, 'this line');
    if (from < chunk.length) parts.push(chunk.slice(from));
  }
  yield* finishLine();
  if (!sawRow) throw new ManifestError('empty', 'the manifest has no rows.', 'Upload one JSON row object per line, e.g. {"serial": "SN-1", ...}.');
}
