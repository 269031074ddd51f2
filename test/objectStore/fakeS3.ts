import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NoSuchKey,
  NoSuchUpload,
  NotFound,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
  type AbortMultipartUploadCommandOutput,
  type CompleteMultipartUploadCommandOutput,
  type CreateMultipartUploadCommandOutput,
  type DeleteObjectCommandOutput,
  type GetObjectCommandOutput,
  type HeadObjectCommandOutput,
  type ListObjectsV2CommandOutput,
  type PutObjectCommandOutput,
  type UploadPartCommandOutput,
} from '@aws-sdk/client-s3';
import type { S3Sender } from '../../functions/objectStore/s3ObjectStore.ts';

/*
 * An in-memory S3 at the SDK's `send` boundary, implementing only the commands the adapter uses, with
 * the behaviour the S3 API reference documents for them: quoted ETags (MD5 of the bytes; for a
 * multipart object, MD5 of the parts' MD5s plus "-<parts>"), lower-cased metadata names, UTF-8 key
 * order in listings, MaxKeys/StartAfter/ContinuationToken paging, the multipart rules (parts of at least
 * 5 MiB but the last, ascending part numbers, matching ETags), and the SDK's modelled errors.
 */

type Command =
  | PutObjectCommand
  | GetObjectCommand
  | HeadObjectCommand
  | DeleteObjectCommand
  | ListObjectsV2Command
  | CreateMultipartUploadCommand
  | UploadPartCommand
  | CompleteMultipartUploadCommand
  | AbortMultipartUploadCommand;

type Output =
  | PutObjectCommandOutput
  | GetObjectCommandOutput
  | HeadObjectCommandOutput
  | DeleteObjectCommandOutput
  | ListObjectsV2CommandOutput
  | CreateMultipartUploadCommandOutput
  | UploadPartCommandOutput
  | CompleteMultipartUploadCommandOutput
  | AbortMultipartUploadCommandOutput;

export interface StoredFakeObject {
  readonly body: Buffer;
  readonly contentType: string;
  readonly metadata: Record<string, string>;
  readonly etag: string;
  readonly lastModified: Date;
  readonly serverSideEncryption: string | undefined;
  readonly kmsKeyId: string | undefined;
}

interface Upload {
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string;
  readonly metadata: Record<string, string>;
  readonly serverSideEncryption: string | undefined;
  readonly kmsKeyId: string | undefined;
  readonly parts: Map<number, { body: Buffer; etag: string }>;
}

export interface SentCommand {
  readonly name: string;
  readonly input: Record<string, unknown>;
}

const MIN_PART = 5 * 1024 * 1024;
const meta = (status: number) => ({ httpStatusCode: status, requestId: randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase() });
const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest();
const serviceError = (name: string, message: string, status = 400) => new S3ServiceException({ name, $fault: 'client', message, $metadata: meta(status) });

const asBytes = (body: unknown): Buffer => {
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  // The adapter promises to hand S3 bytes of a known length; anything else is a bug to catch here.
  throw new Error(`FakeS3 expected a byte body, got ${Object.prototype.toString.call(body)}`);
};

/** A Readable with the SDK's stream helpers, as GetObject's Body is in Node. */
const sdkStream = (bytes: Buffer) => {
  const stream = Readable.from([bytes], { objectMode: false });
  return Object.assign(stream, {
    transformToByteArray: () => Promise.resolve(new Uint8Array(bytes)),
    transformToString: (encoding?: string) => Promise.resolve(bytes.toString((encoding ?? 'utf8') as BufferEncoding)),
    transformToWebStream: () => Readable.toWeb(stream) as unknown as ReadableStream,
  });
};

export class FakeS3 implements S3Sender {
  readonly sent: SentCommand[] = [];
  readonly buckets = new Map<string, Map<string, StoredFakeObject>>();
  readonly uploads = new Map<string, Upload>();
  /** S3 may return fewer keys than MaxKeys; set this to make it do so. */
  listPageCap = 1000;
  private failures: { name: string; occurrence: number; error: Error }[] = [];

  constructor(...buckets: string[]) {
    for (const b of buckets) this.buckets.set(b, new Map());
  }

  /** Makes the `occurrence`-th next call of command `name` throw `error`. */
  failOn(name: string, error: Error, occurrence = 1) {
    this.failures.push({ name, occurrence, error });
  }

  count(name: string) {
    return this.sent.filter((c) => c.name === name).length;
  }

  send(command: PutObjectCommand): Promise<PutObjectCommandOutput>;
  send(command: GetObjectCommand): Promise<GetObjectCommandOutput>;
  send(command: HeadObjectCommand): Promise<HeadObjectCommandOutput>;
  send(command: DeleteObjectCommand): Promise<DeleteObjectCommandOutput>;
  send(command: ListObjectsV2Command): Promise<ListObjectsV2CommandOutput>;
  send(command: CreateMultipartUploadCommand): Promise<CreateMultipartUploadCommandOutput>;
  send(command: UploadPartCommand): Promise<UploadPartCommandOutput>;
  send(command: CompleteMultipartUploadCommand): Promise<CompleteMultipartUploadCommandOutput>;
  send(command: AbortMultipartUploadCommand): Promise<AbortMultipartUploadCommandOutput>;
  send(command: Command): Promise<Output> {
    const name = this.nameOf(command);
    this.sent.push({ name, input: { ...command.input } });
    const failure = this.failures.find((f) => f.name === name);
    if (failure && --failure.occurrence === 0) {
      this.failures = this.failures.filter((f) => f !== failure);
      return Promise.reject(failure.error);
    }
    try {
      return Promise.resolve(this.handle(command));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private nameOf(command: Command): string {
    if (command instanceof PutObjectCommand) return 'PutObject';
    if (command instanceof GetObjectCommand) return 'GetObject';
    if (command instanceof HeadObjectCommand) return 'HeadObject';
    if (command instanceof DeleteObjectCommand) return 'DeleteObject';
    if (command instanceof ListObjectsV2Command) return 'ListObjectsV2';
    if (command instanceof CreateMultipartUploadCommand) return 'CreateMultipartUpload';
    if (command instanceof UploadPartCommand) return 'UploadPart';
    if (command instanceof CompleteMultipartUploadCommand) return 'CompleteMultipartUpload';
    if (command instanceof AbortMultipartUploadCommand) return 'AbortMultipartUpload';
    throw new Error('FakeS3 does not implement this command');
  }

  private bucket(name: string | undefined) {
    const bucket = name === undefined ? undefined : this.buckets.get(name);
    if (!bucket) throw new NoSuchBucket({ message: 'The specified bucket does not exist', $metadata: meta(404) });
    return bucket;
  }

  private upload(id: string | undefined, bucket: string | undefined, key: string | undefined) {
    const upload = id === undefined ? undefined : this.uploads.get(id);
    if (!upload || upload.bucket !== bucket || upload.key !== key) {
      throw new NoSuchUpload({ message: 'The specified upload does not exist.', $metadata: meta(404) });
    }
    return upload;
  }

  private handle(command: Command): Output {
    if (command instanceof PutObjectCommand) {
      const { Bucket, Key, Body, ContentLength, ContentType, Metadata, ServerSideEncryption, SSEKMSKeyId } = command.input;
      const bucket = this.bucket(Bucket);
      const body = asBytes(Body);
      if (ContentLength !== undefined && ContentLength !== body.length) throw serviceError('IncompleteBody', 'ContentLength does not match the body');
      const etag = `"${md5(body).toString('hex')}"`;
      bucket.set(Key!, this.stored(body, ContentType, Metadata, etag, ServerSideEncryption, SSEKMSKeyId));
      return { $metadata: meta(200), ETag: etag, ...(ServerSideEncryption ? { ServerSideEncryption, SSEKMSKeyId } : {}) };
    }
    if (command instanceof GetObjectCommand || command instanceof HeadObjectCommand) {
      const { Bucket, Key } = command.input;
      const object = this.bucket(Bucket).get(Key!);
      if (!object) {
        // GetObject has a body to say NoSuchKey in; HeadObject only has its 404 status.
        if (command instanceof HeadObjectCommand) throw new NotFound({ message: 'Not Found', $metadata: meta(404) });
        throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: meta(404) });
      }
      const common = {
        $metadata: meta(200),
        ContentLength: object.body.length,
        ContentType: object.contentType,
        Metadata: { ...object.metadata },
        ETag: object.etag,
        LastModified: object.lastModified,
        ...(object.serverSideEncryption ? { ServerSideEncryption: object.serverSideEncryption as 'aws:kms', SSEKMSKeyId: object.kmsKeyId } : {}),
      };
      if (command instanceof HeadObjectCommand) return common;
      return { ...common, Body: sdkStream(object.body) };
    }
    if (command instanceof DeleteObjectCommand) {
      const { Bucket, Key } = command.input;
      this.bucket(Bucket).delete(Key!);
      return { $metadata: meta(204) };
    }
    if (command instanceof ListObjectsV2Command) {
      const { Bucket, Prefix = '', StartAfter, ContinuationToken, MaxKeys = 1000 } = command.input;
      const bucket = this.bucket(Bucket);
      const from = ContinuationToken !== undefined ? Buffer.from(ContinuationToken, 'base64url').toString('utf8') : StartAfter;
      const keys = [...bucket.keys()]
        .filter((k) => k.startsWith(Prefix) && (from === undefined || Buffer.compare(Buffer.from(k), Buffer.from(from)) > 0))
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      const page = keys.slice(0, Math.min(MaxKeys, this.listPageCap));
      const truncated = page.length < keys.length;
      return {
        $metadata: meta(200),
        Name: Bucket,
        Prefix,
        MaxKeys,
        KeyCount: page.length,
        IsTruncated: truncated,
        ...(StartAfter !== undefined ? { StartAfter } : {}),
        ...(ContinuationToken !== undefined ? { ContinuationToken } : {}),
        ...(truncated ? { NextContinuationToken: Buffer.from(page.at(-1)!).toString('base64url') } : {}),
        Contents: page.map((k) => {
          const o = bucket.get(k)!;
          return { Key: k, Size: o.body.length, ETag: o.etag, LastModified: o.lastModified, StorageClass: 'STANDARD' as const };
        }),
      };
    }
    if (command instanceof CreateMultipartUploadCommand) {
      const { Bucket, Key, ContentType, Metadata, ServerSideEncryption, SSEKMSKeyId } = command.input;
      this.bucket(Bucket);
      const UploadId = randomUUID();
      this.uploads.set(UploadId, {
        bucket: Bucket!,
        key: Key!,
        contentType: ContentType ?? 'binary/octet-stream',
        metadata: Object.fromEntries(Object.entries(Metadata ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
        serverSideEncryption: ServerSideEncryption,
        kmsKeyId: SSEKMSKeyId,
        parts: new Map(),
      });
      return { $metadata: meta(200), Bucket, Key, UploadId, ...(ServerSideEncryption ? { ServerSideEncryption, SSEKMSKeyId } : {}) };
    }
    if (command instanceof UploadPartCommand) {
      const { Bucket, Key, UploadId, PartNumber, Body, ContentLength } = command.input;
      const upload = this.upload(UploadId, Bucket, Key);
      if (!Number.isInteger(PartNumber) || PartNumber! < 1 || PartNumber! > 10_000) throw serviceError('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive');
      const body = asBytes(Body);
      if (ContentLength !== undefined && ContentLength !== body.length) throw serviceError('IncompleteBody', 'ContentLength does not match the body');
      const etag = `"${md5(body).toString('hex')}"`;
      upload.parts.set(PartNumber!, { body, etag });
      return { $metadata: meta(200), ETag: etag };
    }
    if (command instanceof CompleteMultipartUploadCommand) {
      const { Bucket, Key, UploadId, MultipartUpload } = command.input;
      const upload = this.upload(UploadId, Bucket, Key);
      const parts = MultipartUpload?.Parts ?? [];
      if (parts.length === 0) throw serviceError('MalformedXML', 'The XML you provided was not well-formed');
      const bodies: Buffer[] = [];
      parts.forEach((p, i) => {
        if (i > 0 && p.PartNumber! <= parts[i - 1]!.PartNumber!) throw serviceError('InvalidPartOrder', 'The list of parts was not in ascending order.');
        const stored = upload.parts.get(p.PartNumber!);
        if (!stored || stored.etag !== p.ETag) throw serviceError('InvalidPart', 'One or more of the specified parts could not be found.');
        if (i < parts.length - 1 && stored.body.length < MIN_PART) throw serviceError('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size');
        bodies.push(stored.body);
      });
      const etag = `"${md5(Buffer.concat(bodies.map(md5))).toString('hex')}-${parts.length}"`;
      this.bucket(Bucket).set(Key!, this.stored(Buffer.concat(bodies), upload.contentType, upload.metadata, etag, upload.serverSideEncryption, upload.kmsKeyId));
      this.uploads.delete(UploadId!);
      return { $metadata: meta(200), Bucket, Key, ETag: etag, Location: `https://${Bucket}.s3.amazonaws.com/${Key}` };
    }
    const { Bucket, Key, UploadId } = command.input;
    this.upload(UploadId, Bucket, Key);
    this.uploads.delete(UploadId!);
    return { $metadata: meta(204) };
  }

  private stored(
    body: Buffer,
    contentType: string | undefined,
    metadata: Record<string, string> | undefined,
    etag: string,
    sse: string | undefined,
    kmsKeyId: string | undefined,
  ): StoredFakeObject {
    return {
      body,
      contentType: contentType ?? 'binary/octet-stream',
      // S3 stores metadata names lower-cased (they travel as x-amz-meta-* headers).
      metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
      etag,
      lastModified: new Date(),
      serverSideEncryption: sse,
      kmsKeyId,
    };
  }
}
