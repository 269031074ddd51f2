import type { Readable } from 'node:stream';

/**
 * What `put` accepts. Streams (a Readable or any async iterable of bytes) are consumed chunk by chunk:
 * no adapter holds a whole streamed object in memory.
 */
export type ObjectBody = Buffer | Uint8Array | string | Readable | AsyncIterable<Uint8Array>;

export interface PutOptions {
  /** Defaults to `application/octet-stream`. Printable ASCII, at most 256 characters. */
  readonly contentType?: string;
  /**
   * User metadata. Names are lower case (`[a-z0-9][a-z0-9_-]*`) because S3 lower-cases them; values
   * are printable ASCII because S3 sends them as HTTP headers; 2 KB in total, S3's limit.
   */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface PutResult {
  readonly key: string;
  /** Bytes stored. */
  readonly size: number;
  /** An opaque version tag of the stored bytes (S3's ETag without quotes). */
  readonly etag: string;
}

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly etag: string;
  readonly lastModified: Date;
}

export interface StoredObject extends ObjectInfo {
  /** The object's bytes. Read it to the end or destroy it, or the underlying file/connection stays open. */
  readonly body: Readable;
}

export interface ObjectSummary {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: Date;
}

export interface ListOptions {
  /** Only keys after this one (S3's StartAfter): pass the previous page's `nextAfter`. */
  readonly after?: string | undefined;
  /** Page size, 1..1000 (S3's MaxKeys ceiling). Defaults to 1000. */
  readonly limit?: number;
}

export interface ListPage {
  /** In UTF-8 byte order of their keys, as S3 lists them. */
  readonly objects: readonly ObjectSummary[];
  /** Pass as `after` for the next page; undefined when this page is the last. */
  readonly nextAfter: string | undefined;
}

/** The EventBridge `detail-type` S3 uses for a stored object, and the one this port mirrors. */
export const OBJECT_CREATED_DETAIL_TYPE = 'Object Created';
export const OBJECT_CREATED_SOURCE = 'aws.s3';

/**
 * The `detail` of S3's EventBridge "Object Created" event (source `aws.s3`), field for field, so one
 * handler serves the embedded upload trigger and the AWS rule. `bucket.name` is the area's bucket on
 * AWS and the area's name embedded. S3 also sends `sequencer`, `version-id` and `source-ip-address`
 * when they apply; nothing here depends on them.
 */
export interface ObjectCreatedDetail {
  readonly version: '0';
  readonly bucket: { readonly name: string };
  readonly object: { readonly key: string; readonly size: number; readonly etag: string; readonly sequencer?: string };
  readonly 'request-id': string;
  readonly requester: string;
  readonly reason: 'PutObject' | 'CompleteMultipartUpload';
}

export type ObjectCreatedListener = (detail: ObjectCreatedDetail) => void | Promise<void>;

/**
 * The object store port: one instance per area (uploads, credentials, reports), each its own folder
 * or bucket. Every adapter passes test/suites/objectStore.suite.ts.
 *
 * - keys follow S3's rules plus a few of our own (see objectKey.ts); a bad key fails before any I/O;
 * - `put` replaces atomically: readers see the old object or the new one, never a part;
 * - `get` of a missing key throws ObjectNotFoundError; `head` of one returns undefined;
 * - `delete` is idempotent;
 * - `list` pages in UTF-8 key order.
 */
export interface ObjectStore {
  /** The area's name embedded, the bucket's name on AWS (what `ObjectCreatedDetail.bucket.name` says). */
  readonly area: string;
  put(key: string, body: ObjectBody, options?: PutOptions): Promise<PutResult>;
  get(key: string): Promise<StoredObject>;
  /** The whole object in memory: for small objects (credentials, manifests), never for bulk data. */
  getBytes(key: string): Promise<Buffer>;
  head(key: string): Promise<ObjectInfo | undefined>;
  delete(key: string): Promise<void>;
  list(prefix: string, options?: ListOptions): Promise<ListPage>;
  /**
   * Calls `listener` once for every completed put whose key starts with `prefix`, after the object is
   * readable. Returns a function that removes the listener. Embedded only: on AWS the trigger is an
   * EventBridge rule on "Object Created", and the S3 adapter throws.
   */
  onPut(prefix: string, listener: ObjectCreatedListener): () => void;
}

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
export const MAX_LIST_LIMIT = 1000;

export class ObjectStoreError extends Error {
  override name = 'ObjectStoreError';
}

/** Keys in messages are quoted with JSON escaping, so a control character or a huge key cannot garble a log line. */
export const quoteKey = (key: string): string => {
  const shown = key.length > 120 ? `${key.slice(0, 120)}…` : key;
  return JSON.stringify(shown);
};

export class ObjectNotFoundError extends ObjectStoreError {
  override name = 'ObjectNotFoundError';
  constructor(
    readonly area: string,
    readonly key: string,
  ) {
    super(`No object ${quoteKey(key)} in ${area}: check the key, or put the object first.`);
  }
}

/** The key, prefix, options or page request breaks a rule of the port; nothing was read or written. */
export class InvalidObjectRequestError extends ObjectStoreError {
  override name = 'InvalidObjectRequestError';
}

export class InvalidObjectKeyError extends InvalidObjectRequestError {
  override name = 'InvalidObjectKeyError';
  constructor(
    readonly key: string,
    readonly rule: string,
  ) {
    super(`Invalid object key ${quoteKey(key)}: ${rule}.`);
  }
}
