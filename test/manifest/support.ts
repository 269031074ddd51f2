import { Readable } from 'node:stream';
import { expect } from 'vitest';
import { ManifestError, parseManifest, type ManifestErrorCode, type ManifestFormat, type ManifestLimits, type ManifestSummary, type RowResult } from '../../schemas/manifest/index.ts';

/** A byte stream as an upload delivers it, in the pieces given. */
export const chunks = (...parts: (string | Buffer)[]): Readable =>
  Readable.from(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part)));

export interface Parsed {
  readonly results: RowResult[];
  readonly summary: ManifestSummary | undefined;
  readonly error: unknown;
}

/** Reads a whole manifest; a thrown error is returned alongside the rows yielded before it. */
export const parseAll = async (
  input: AsyncIterable<Buffer | string>,
  format: ManifestFormat,
  limits: Partial<ManifestLimits> = {},
): Promise<Parsed> => {
  const parse = parseManifest(input, { format, limits });
  const results: RowResult[] = [];
  try {
    for await (const result of parse) results.push(result);
    return { results, summary: parse.summary, error: undefined };
  } catch (error) {
    return { results, summary: undefined, error };
  }
};

export const parseText = (text: string, format: ManifestFormat, limits: Partial<ManifestLimits> = {}): Promise<Parsed> =>
  parseAll(chunks(text), format, limits);

export const expectManifestError = (error: unknown, code: ManifestErrorCode): ManifestError => {
  expect(error).toBeInstanceOf(ManifestError);
  const e = error as ManifestError;
  expect(e.code, e.message).toBe(code);
  expect(e.hint.length).toBeGreaterThan(10);
  return e;
};

/** The problems of the one row in a parse, failing if it was valid. */
export const problemsOf = (parsed: Parsed, rowNumber: number) => {
  expect(parsed.error).toBeUndefined();
  const result = parsed.results.find((r) => r.rowNumber === rowNumber);
  if (!result) throw new Error(`no result for row ${rowNumber}`);
  if (result.ok) throw new Error(`row ${rowNumber} was valid: ${JSON.stringify(result.row)}`);
  return result.problems;
};

export const HEADER = 'serial,tenant,latitude,longitude';
