import type { Readable } from 'node:stream';
import { csvRecords } from './csvRecords.ts';
import { csvRowInput, isBlankRecord, readCsvHeader, type CsvColumn } from './csvHeader.ts';
import { decodeText } from './decodeText.ts';
import type { ManifestFormat } from './detectFormat.ts';
import { ManifestError } from './errors.ts';
import { shown } from './fieldRules.ts';
import { jsonArrayPieces, ndjsonPieces, type JsonPiece } from './jsonPieces.ts';
import { resolveLimits, splitAdvice, type ManifestLimits } from './limits.ts';
import { checkRow, type ManifestRow, type RowProblem } from './manifestRow.ts';
import { rowFromPiece } from './rowFromObject.ts';

export type RowResult =
  | { readonly rowNumber: number; readonly ok: true; readonly row: ManifestRow }
  | {
      readonly rowNumber: number;
      readonly ok: false;
      readonly problems: readonly RowProblem[];
      /** The serial as written, when the row has one, so a report can name the device. */
      readonly serial?: string;
    };

export interface ManifestSummary {
  readonly format: ManifestFormat;
  /** Device rows read (blank lines and the CSV header excluded). */
  readonly rows: number;
  readonly valid: number;
  readonly invalid: number;
  readonly bytes: number;
}

export interface ParseManifestOptions {
  readonly format: ManifestFormat;
  readonly limits?: Partial<ManifestLimits>;
}

/** Rows as they are read, then `summary` once the iteration has finished. Iterate once. */
export interface ManifestParse extends AsyncIterable<RowResult> {
  readonly summary: ManifestSummary;
}

/** A serial longer than a thing name can be is cut to this in results: it is wrong anyway. */
const SERIAL_SHOWN = 128;

interface Candidate {
  readonly rowNumber: number;
  readonly input: Record<string, unknown> | undefined;
  readonly problems: readonly RowProblem[];
}

/**
 * Streams a manifest: rows come out while the upload is still arriving, each checked on its own.
 * A whole-file problem (a limit, a broken header, not text) throws a ManifestError; rows already
 * yielded stay valid. Memory holds one chunk, one row, and the serials seen (for duplicates).
 */
export const parseManifest = (input: AsyncIterable<Buffer | string> | Readable, options: ParseManifestOptions): ManifestParse => {
  const limits = resolveLimits(options.limits);
  const format = options.format;
  if (!['csv', 'json', 'ndjson'].includes(format)) {
    throw new ManifestError('unknown-format', `format ${JSON.stringify(format)} is not a manifest format.`, 'Use "csv", "json" or "ndjson" (detectFormat tells which).');
  }
  if (input === null || typeof input !== 'object' || !(Symbol.asyncIterator in input)) {
    throw new ManifestError('bad-input', 'the manifest input is not a stream.', 'Pass a Readable or an async iterable of Buffer or string chunks.');
  }
  const meter = { bytes: 0 };
  let summary: ManifestSummary | undefined;
  let started = false;

  async function* rows(): AsyncGenerator<RowResult> {
    const text = decodeText(input as AsyncIterable<unknown>, limits, meter);
    const candidates = format === 'csv' ? csvCandidates(text, limits) : jsonCandidates(format === 'json' ? jsonArrayPieces(text, limits) : ndjsonPieces(text, limits));
    const judge = rowJudge(limits);
    let valid = 0;
    let invalid = 0;
    for await (const candidate of candidates) {
      const result = judge(candidate);
      if (result.ok) valid += 1;
      else invalid += 1;
      yield result;
    }
    summary = { format, rows: valid + invalid, valid, invalid, bytes: meter.bytes };
  }

  return {
    [Symbol.asyncIterator]() {
      if (started) throw new Error('a ManifestParse can be iterated only once: parse the upload again to read it again.');
      started = true;
      return rows();
    },
    get summary(): ManifestSummary {
      if (!summary) throw new Error('the manifest summary is ready only after every row has been read.');
      return summary;
    },
  };
};

async function* csvCandidates(text: AsyncIterable<string>, limits: ManifestLimits): AsyncGenerator<Candidate> {
  let columns: CsvColumn[] | undefined;
  for await (const { rowNumber, cells } of csvRecords(text, limits)) {
    if (isBlankRecord(cells)) continue;
    if (!columns) {
      columns = readCsvHeader(cells);
      continue;
    }
    const { input, problems } = csvRowInput(columns, cells);
    yield { rowNumber, input, problems };
  }
  if (!columns) {
    throw new ManifestError('empty', 'the manifest is empty: there is no header row.', 'Upload a CSV whose first row names the columns, e.g. serial,tenant,latitude,longitude.');
  }
}

async function* jsonCandidates(pieces: AsyncIterable<JsonPiece>): AsyncGenerator<Candidate> {
  for await (const piece of pieces) {
    const { input, problems } = rowFromPiece(piece);
    yield { rowNumber: piece.rowNumber, input, problems };
  }
}

/**
 * Checks one candidate and the rules across rows: the row limit, and that a serial (ignoring
 * letter case: people and AWS consoles confuse "sn-1" and "SN-1") or a PSK identity appears once
 * (counting the serial of a row without a pskIdentity, the identity its PSK gets by default).
 */
const rowJudge = (limits: ManifestLimits) => {
  const serials = new Map<string, { rowNumber: number; serial: string }>();
  const pskIdentities = new Map<string, number>();
  // Serials of rows without a pskIdentity: their devices' PSKs get the serial as identity.
  const defaultIdentities = new Map<string, number>();
  let count = 0;
  return ({ rowNumber, input, problems: found }: Candidate): RowResult => {
    count += 1;
    if (count > limits.maxRows) {
      throw new ManifestError('too-many-rows', `the manifest has more than ${limits.maxRows} device rows (maxRows = ${limits.maxRows}).`, splitAdvice(limits), {
        rowNumber,
        limit: { name: 'maxRows', value: limits.maxRows },
      });
    }
    const problems = [...found];
    const check = input === undefined ? undefined : checkRow(input);
    if (check && !check.ok) problems.push(...check.problems);
    const serial = typeof input?.serial === 'string' ? input.serial.trim() : undefined;
    if (serial !== undefined && !problems.some((p) => p.field === 'serial')) {
      const earlier = serials.get(serial.toLowerCase());
      if (earlier) {
        problems.push({
          field: 'serial',
          message: `serial ${shown(serial)} is already on row ${earlier.rowNumber}${earlier.serial === serial ? '' : ` (as ${shown(earlier.serial)}, differing only in letter case)`}.`,
          hint: `Each device appears once per manifest: remove this row or merge it with row ${earlier.rowNumber}.`,
        });
      } else {
        serials.set(serial.toLowerCase(), { rowNumber, serial });
      }
    }
    const identity = typeof input?.pskIdentity === 'string' && input.pskIdentity.trim() !== '' ? input.pskIdentity.trim() : undefined;
    if (identity !== undefined && !problems.some((p) => p.field === 'pskIdentity')) {
      const earlier = pskIdentities.get(identity) ?? defaultIdentities.get(identity);
      if (earlier !== undefined) {
        const byDefault = !pskIdentities.has(identity);
        problems.push({
          field: 'pskIdentity',
          message: byDefault
            ? `pskIdentity ${shown(identity)} is the serial of row ${earlier}, which has no pskIdentity and so handshakes under its serial.`
            : `pskIdentity ${shown(identity)} is already used on row ${earlier}.`,
          hint: 'A DTLS server tells devices apart by PSK identity: give every device its own.',
        });
      } else {
        pskIdentities.set(identity, rowNumber);
      }
    }
    if (identity === undefined && serial !== undefined && serial !== '' && !problems.some((p) => p.field === 'serial')) {
      // A device without its own identity handshakes under its serial: that identity must be free too.
      const claimed = pskIdentities.get(serial);
      if (claimed !== undefined) {
        problems.push({
          field: 'serial',
          message: `serial ${shown(serial)} is the pskIdentity of row ${claimed}; without a pskIdentity of its own, this device would handshake under the same identity.`,
          hint: `Give row ${claimed} another pskIdentity, or this row its own pskIdentity and pskKey.`,
        });
      } else {
        defaultIdentities.set(serial, rowNumber);
      }
    }
    if (check?.ok && problems.length === 0) return { rowNumber, ok: true, row: check.row };
    if (serial === undefined || serial.length === 0) return { rowNumber, ok: false, problems };
    return { rowNumber, ok: false, problems, serial: serial.length > SERIAL_SHOWN ? `${serial.slice(0, SERIAL_SHOWN)}...` : serial };
  };
};
