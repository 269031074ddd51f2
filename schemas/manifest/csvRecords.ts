import { parse, type CsvError } from 'csv-parse';
import { ManifestError } from './errors.ts';
import type { ManifestLimits } from './limits.ts';

export interface CsvRecord {
  /** The spreadsheet row: the header is row 1. Blank lines count, as a spreadsheet shows them. */
  readonly rowNumber: number;
  readonly cells: readonly string[];
}

/**
 * RFC 4180 records from text chunks through csv-parse's stream. Records are taken in `on_record`
 * as the parser meets them and handed on after each chunk, so a record is out before the next
 * chunk arrives, and the records before a fatal error are still handed on before the error.
 * Line ends may be CRLF, LF or CR, even mixed; quotes inside an unquoted cell are kept as text;
 * spaces around a cell are dropped (the schema trims values anyway).
 */
export async function* csvRecords(text: AsyncIterable<string>, limits: ManifestLimits): AsyncGenerator<CsvRecord> {
  const pending: string[][] = [];
  const parser = parse({
    bom: false, // decodeText already dropped it
    relax_column_count: true,
    relax_quotes: true,
    trim: true, // spaces around a quoted cell (`a, "b"`) are layout, not content
    skip_empty_lines: false,
    record_delimiter: ['\r\n', '\n', '\r'],
    max_record_size: limits.maxLineLength,
    on_record: (record: string[]) => {
      pending.push(record);
      return null; // nothing goes to the readable side: the queue above is the output
    },
  });
  parser.on('error', () => undefined); // the write/end callbacks below carry the error
  parser.resume();
  let rowNumber = 0;
  function* drain(): Generator<CsvRecord> {
    for (const cells of pending.splice(0)) {
      rowNumber += 1;
      for (const cell of cells) {
        if (cell.length > limits.maxFieldLength) {
          throw new ManifestError(
            'field-too-long',
            `a cell has ${cell.length} characters; at most ${limits.maxFieldLength} are allowed (maxFieldLength).`,
            'Shorten the cell; attribute values hold at most 800 characters anyway.',
            { rowNumber, limit: { name: 'maxFieldLength', value: limits.maxFieldLength } },
          );
        }
      }
      yield { rowNumber, cells };
    }
  }
  try {
    for await (const chunk of text) {
      const failure = await new Promise<Error | null | undefined>((resolve) => parser.write(chunk, resolve));
      yield* drain();
      if (failure) throw fromCsvError(failure, rowNumber + 1, limits);
    }
    const failure = await new Promise<Error | null | undefined>((resolve) => {
      parser.once('error', resolve);
      parser.end(() => resolve(undefined));
    });
    yield* drain();
    if (failure) throw fromCsvError(failure, rowNumber + 1, limits);
  } finally {
    parser.destroy();
  }
}

const fromCsvError = (error: Error, rowNumber: number, limits: ManifestLimits): ManifestError => {
  if (error instanceof ManifestError) return error;
  const code = (error as Partial<CsvError>).code;
  if (code === 'CSV_MAX_RECORD_SIZE') {
    return new ManifestError(
      'line-too-long',
      `the row is longer than ${limits.maxLineLength} characters (maxLineLength); a quote that opens a cell and is never closed also does this.`,
      'Check the quotes in this row; if the row really is that long, shorten its values.',
      { rowNumber, limit: { name: 'maxLineLength', value: limits.maxLineLength } },
    );
  }
  if (code === 'CSV_QUOTE_NOT_CLOSED') {
    return new ManifestError('bad-csv', 'a quoted cell that starts in this row is never closed.', 'Close the quote; write a quote inside a quoted cell as two quotes ("").', { rowNumber });
  }
  return new ManifestError('bad-csv', `the CSV cannot be read here: ${error.message}`, 'Check the quotes and separators in this row.', { rowNumber });
};
