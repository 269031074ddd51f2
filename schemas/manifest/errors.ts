import type { ManifestLimits } from './limits.ts';

/**
 * Every way a whole manifest can be refused. The code is stable (workflows branch on it and it goes
 * into the upload's failure event); the message names what was wrong and the hint what to do.
 * Row-level mistakes are never a ManifestError: they are row problems, and parsing goes on.
 */
export type ManifestErrorCode =
  | 'unknown-format'
  | 'bad-input'
  | 'bad-limits'
  | 'too-large'
  | 'too-many-rows'
  | 'line-too-long'
  | 'field-too-long'
  | 'not-text'
  | 'empty'
  | 'bad-header'
  | 'missing-columns'
  | 'bad-csv'
  | 'not-json'
  | 'not-an-array';

export interface ManifestErrorDetails {
  /** The row (as a person sees it in the file) where parsing stopped, when there is one. */
  readonly rowNumber?: number;
  /** The limit that was breached and its configured value. */
  readonly limit?: { readonly name: keyof ManifestLimits; readonly value: number };
}

export class ManifestError extends Error {
  override name = 'ManifestError';
  readonly code: ManifestErrorCode;
  readonly hint: string;
  readonly rowNumber: number | undefined;
  readonly limit: ManifestErrorDetails['limit'];

  constructor(code: ManifestErrorCode, message: string, hint: string, details: ManifestErrorDetails = {}) {
    const where = details.rowNumber === undefined ? '' : `row ${details.rowNumber}: `;
    super(`${where}${message} ${hint}`);
    this.code = code;
    this.hint = hint;
    this.rowNumber = details.rowNumber;
    this.limit = details.limit;
  }
}

export const isManifestError = (e: unknown): e is ManifestError => e instanceof ManifestError;
