/**
 * Why a payload could not be decoded or encoded. The reason is stable (the CoAP server maps
 * `unsupported-content-format` to 4.15 and the rest to 4.00; rejection events store it); the
 * message is for people and says what to do.
 */
export type CodecErrorReason =
  /** A content format no codec here reads or writes (CoAP 4.15). */
  | 'unsupported-content-format'
  /** More bytes than `limits.maxBytes`, or a TLV value longer than its 24-bit length allows. */
  | 'too-large'
  /** Nested deeper than `limits.maxDepth`. */
  | 'too-deep'
  /** More values (or SenML records) than `limits.maxRecords`. */
  | 'too-many-records'
  /** The bytes end inside a header, length or value. */
  | 'truncated'
  /** Bytes that are not the content format at all: bad nesting, trailing bytes, not CBOR/JSON. */
  | 'malformed'
  /** A path (requested, or named in the payload) that is not an LwM2M path, or not one a value can sit at. */
  | 'invalid-path'
  /** A value for a path that lies outside the path the request was about. */
  | 'outside-requested-path'
  /** The payload disagrees with the object model: a value for an executable resource, instances of a single resource, a text for a number. */
  | 'model-mismatch'
  /** Bytes that are not a value of the resource's type: a 3-byte integer, a boolean 2, invalid UTF-8, NaN. */
  | 'invalid-value'
  /** The caller passed something the codec cannot use (not bytes, a value that does not match its own type). */
  | 'bad-argument';

export interface CodecErrorDetails {
  /** The content format being read or written, when known. */
  contentFormat?: number;
  /** The LwM2M path the problem is at, when it is at one ("/3/0/13"). */
  path?: string;
  /** Byte offset in the payload, for binary formats. */
  offset?: number;
  /** The error this one wraps (a SenmlError, a PathError). */
  cause?: unknown;
}

export class CodecError extends Error {
  override name = 'CodecError';
  readonly reason: CodecErrorReason;
  readonly contentFormat: number | undefined;
  readonly path: string | undefined;
  readonly offset: number | undefined;

  constructor(reason: CodecErrorReason, message: string, details: CodecErrorDetails = {}) {
    const where = [details.path, details.offset === undefined ? undefined : `byte ${details.offset}`].filter((w) => w !== undefined);
    super(where.length > 0 ? `${where.join(', ')}: ${message}` : message, details.cause === undefined ? undefined : { cause: details.cause });
    this.reason = reason;
    this.contentFormat = details.contentFormat;
    this.path = details.path;
    this.offset = details.offset;
  }
}

export const isCodecError = (e: unknown): e is CodecError => e instanceof CodecError;

/** What is wrong with a path string. */
export type PathErrorCode =
  | 'not-a-string'
  | 'empty'
  | 'no-leading-slash'
  | 'empty-segment'
  | 'not-a-number'
  | 'leading-zero'
  | 'id-too-large'
  | 'reserved-id'
  | 'too-deep'
  | 'wrong-level';

export class PathError extends Error {
  override name = 'PathError';
  readonly code: PathErrorCode;
  /** The path as given (a string, or the ids joined), for the caller's problem report. */
  readonly input: string;

  constructor(code: PathErrorCode, input: string, message: string) {
    super(`"${input}" is not a valid LwM2M path: ${message}`);
    this.code = code;
    this.input = input;
  }
}

export const isPathError = (e: unknown): e is PathError => e instanceof PathError;
