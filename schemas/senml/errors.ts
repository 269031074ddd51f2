/**
 * Every way a SenML pack can be refused. The code is stable (it goes into rejection events and
 * tests); the message is for people and says what to do.
 */
export type SenmlErrorCode =
  | 'too-large'
  | 'not-cbor'
  | 'not-json'
  | 'not-an-array'
  | 'not-a-record'
  | 'bad-type'
  | 'duplicate-label'
  | 'must-understand-label'
  | 'multiple-values'
  | 'no-value'
  | 'unexpected-value'
  | 'invalid-name'
  | 'unsupported-version'
  | 'version-mismatch'
  | 'bad-argument';

export class SenmlError extends Error {
  override name = 'SenmlError';
  readonly code: SenmlErrorCode;
  /** Index of the record (0-based) the problem is in, when it is in one. */
  readonly record: number | undefined;

  constructor(code: SenmlErrorCode, message: string, record?: number) {
    super(record === undefined ? message : `record ${record}: ${message}`);
    this.code = code;
    this.record = record;
  }
}

export const isSenmlError = (e: unknown): e is SenmlError => e instanceof SenmlError;
