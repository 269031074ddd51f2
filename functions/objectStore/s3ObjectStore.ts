import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type AbortMultipartUploadCommandOutput,
  type CompleteMultipartUploadCommandOutput,
  type CompletedPart,
  type CreateMultipartUploadCommandOutput,
  type DeleteObjectCommandOutput,
  type GetObjectCommandOutput,
  type HeadObjectCommandOutput,
  type ListObjectsV2CommandOutput,
  type PutObjectCommandOutput,
  type UploadPartCommandOutput,
} from '@aws-sdk/client-s3';
import { BodyStreamError, blocksOf, bodyChunks, checkBody, guarded, readAll, wholeBody } from './objectBody.ts';
import { validateListOptions, validateObjectKey, validatePrefix, validatePutOptions } from './objectKey.ts';
import {
  DEFAULT_CONTENT_TYPE,
  OBJECT_CREATED_DETAIL_TYPE,
  ObjectNotFoundError,
  ObjectStoreError,
  quoteKey,
  type ObjectInfo,
  type ObjectStore,
  type ObjectSummary,
} from './objectStore.ts';

/** The calls this adapter makes; an S3Client satisfies it, and so does a test double. */
export interface S3Sender {
  send(command: PutObjectCommand): Promise<PutObjectCommandOutput>;
  send(command: GetObjectCommand): Promise<GetObjectCommandOutput>;
  send(command: HeadObjectCommand): Promise<HeadObjectCommandOutput>;
  send(command: DeleteObjectCommand): Promise<DeleteObjectCommandOutput>;
  send(command: ListObjectsV2Command): Promise<ListObjectsV2CommandOutput>;
  send(command: CreateMultipartUploadCommand): Promise<CreateMultipartUploadCommandOutput>;
  send(command: UploadPartCommand): Promise<UploadPartCommandOutput>;
  send(command: CompleteMultipartUploadCommand): Promise<CompleteMultipartUploadCommandOutput>;
  send(command: AbortMultipartUploadCommand): Promise<AbortMultipartUploadCommandOutput>;
}

export interface S3ObjectStoreOptions {
  readonly bucket: string;
  readonly client: S3Sender;
  /** SSE-KMS with this key on every write (the credentials bucket). */
  readonly sse?: { readonly kmsKeyId: string };
  /**
   * Part size for streamed bodies, 5 MiB (S3's minimum for all parts but the last) to 5 GiB. Memory
   * use of a streamed put is about one part. Default 8 MiB, so at most ~78 GiB in 10,000 parts.
   */
  readonly partSize?: number;
}

const MiB = 1024 * 1024;
export const MIN_PART_SIZE = 5 * MiB;
export const MAX_PART_SIZE = 5 * 1024 * MiB;
export const MAX_PARTS = 10_000;
export const DEFAULT_PART_SIZE = 8 * MiB;

const unquote = (etag: string | undefined) => (etag ?? '').replace(/^"|"$/g, '');

const toReadable = (body: GetObjectCommandOutput['Body']): Readable => {
  if (body === undefined) return Readable.from([]);
  if (body instanceof Readable) return body;
  return Readable.from(body as AsyncIterable<Uint8Array>, { objectMode: false });
};

/**
 * The AWS adapter: one bucket per area. Bodies of known length go up in one PutObject. Streams are
 * read one part at a time; a stream that fits in one part is also one PutObject, a longer one is a
 * multipart upload (CreateMultipartUpload, UploadPart per part, CompleteMultipartUpload, and
 * AbortMultipartUpload when anything fails, so no billed parts are left behind). @aws-sdk/lib-storage's
 * `Upload` would do the same, but it is not a dependency and these four calls are all it takes.
 */
export const createS3ObjectStore = ({ bucket, client, sse, partSize = DEFAULT_PART_SIZE }: S3ObjectStoreOptions): ObjectStore => {
  if (!Number.isInteger(partSize) || partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
    throw new ObjectStoreError(`S3 part size ${partSize} is out of range: S3 accepts ${MIN_PART_SIZE} to ${MAX_PART_SIZE} bytes.`);
  }
  const encryption = sse ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: sse.kmsKeyId } : {};

  const failure = (operation: string, key: string, error: unknown): Error => {
    if (error instanceof ObjectStoreError) return error;
    const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
    if (name === 'NoSuchKey' || name === 'NotFound') return new ObjectNotFoundError(bucket, key);
    const hint =
      name === 'NoSuchBucket'
        ? `bucket ${bucket} does not exist: check the bucket name in the configuration`
        : name === 'AccessDenied' || name === 'KMS.AccessDeniedException'
          ? "check the role's S3 and KMS permissions for this bucket"
          : 'retry; if it persists, check the S3 service health and the request';
    return new ObjectStoreError(`S3 ${operation} of ${quoteKey(key)} in bucket ${bucket} failed (${name}: ${message}): ${hint}.`, { cause: error });
  };

  const call = async <T>(operation: string, key: string, request: () => Promise<T>): Promise<T> => {
    try {
      return await request();
    } catch (error) {
      throw failure(operation, key, error);
    }
  };

  const putStream = async (key: string, blocks: AsyncIterator<Buffer>, common: { ContentType: string; Metadata: Record<string, string> }) => {
    const next = await blocks.next();
    const first = next.done ? Buffer.alloc(0) : next.value;
    const second = await blocks.next();
    if (second.done) {
      const body = first;
      const out = await call('PutObject', key, () =>
        client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length, ...common, ...encryption })),
      );
      return { key, size: body.length, etag: unquote(out.ETag) };
    }
    const created = await call('CreateMultipartUpload', key, () =>
      client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...common, ...encryption })),
    );
    const uploadId = created.UploadId;
    if (!uploadId) throw new ObjectStoreError(`S3 CreateMultipartUpload of ${quoteKey(key)} in bucket ${bucket} returned no UploadId: retry.`);
    const parts: CompletedPart[] = [];
    let size = 0;
    const upload = async (block: Buffer) => {
      const partNumber = parts.length + 1;
      if (partNumber > MAX_PARTS) {
        throw new ObjectStoreError(
          `Object ${quoteKey(key)} needs more than ${MAX_PARTS} parts of ${partSize} bytes: raise the S3 store's partSize.`,
        );
      }
      const out = await call('UploadPart', key, () =>
        client.send(
          new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: block, ContentLength: block.length }),
        ),
      );
      if (!out.ETag) throw new ObjectStoreError(`S3 UploadPart ${partNumber} of ${quoteKey(key)} returned no ETag: retry the put.`);
      parts.push({ PartNumber: partNumber, ETag: out.ETag });
      size += block.length;
    };
    try {
      await upload(first);
      await upload(second.value);
      for (let next = await blocks.next(); !next.done; next = await blocks.next()) await upload(next.value);
      const out = await call('CompleteMultipartUpload', key, () =>
        client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } })),
      );
      return { key, size, etag: unquote(out.ETag) };
    } catch (error) {
      // Best effort: if the abort fails too, the bucket's AbortIncompleteMultipartUpload lifecycle
      // rule removes the parts; the put's own error is what the caller needs.
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      throw error;
    }
  };

  const store: ObjectStore = {
    area: bucket,

    async put(key, body, options) {
      validateObjectKey(key);
      const { contentType, metadata } = validatePutOptions(key, options);
      checkBody(key, body);
      const common = { ContentType: contentType, Metadata: { ...metadata } };
      const whole = wholeBody(body);
      if (whole) {
        const out = await call('PutObject', key, () =>
          client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: whole, ContentLength: whole.length, ...common, ...encryption })),
        );
        return { key, size: whole.length, etag: unquote(out.ETag) };
      }
      const blocks = blocksOf(guarded(bodyChunks(body)), partSize)[Symbol.asyncIterator]();
      try {
        return await putStream(key, blocks, common);
      } catch (error) {
        if (error instanceof BodyStreamError) throw error.original;
        throw error;
      } finally {
        await blocks.return?.(undefined);
      }
    },

    async get(key) {
      validateObjectKey(key);
      const out = await call('GetObject', key, () => client.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
      return {
        key,
        size: out.ContentLength ?? 0,
        contentType: out.ContentType ?? DEFAULT_CONTENT_TYPE,
        metadata: { ...out.Metadata },
        etag: unquote(out.ETag),
        lastModified: out.LastModified ?? new Date(0),
        body: toReadable(out.Body),
      };
    },

    async getBytes(key) {
      const { body } = await store.get(key);
      return readAll(body);
    },

    async head(key): Promise<ObjectInfo | undefined> {
      validateObjectKey(key);
      try {
        const out = await call('HeadObject', key, () => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
        return {
          key,
          size: out.ContentLength ?? 0,
          contentType: out.ContentType ?? DEFAULT_CONTENT_TYPE,
          metadata: { ...out.Metadata },
          etag: unquote(out.ETag),
          lastModified: out.LastModified ?? new Date(0),
        };
      } catch (error) {
        if (error instanceof ObjectNotFoundError) return undefined;
        throw error;
      }
    },

    async delete(key) {
      validateObjectKey(key);
      // S3 answers 204 for a key that does not exist: delete is idempotent as it is.
      await call('DeleteObject', key, () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
    },

    async list(prefix, options) {
      validatePrefix(prefix);
      const { after, limit } = validateListOptions(options);
      const objects: ObjectSummary[] = [];
      let token: string | undefined;
      let truncated = false;
      // S3 may return fewer keys than MaxKeys and still be truncated: follow its continuation token
      // until the page is full or the listing ends.
      do {
        const request = {
          Bucket: bucket,
          MaxKeys: limit - objects.length,
          ...(prefix === '' ? {} : { Prefix: prefix }),
          ...(token !== undefined ? { ContinuationToken: token } : after !== undefined ? { StartAfter: after } : {}),
        };
        const out = await call('ListObjectsV2', prefix, () => client.send(new ListObjectsV2Command(request)));
        for (const item of out.Contents ?? []) {
          if (item.Key === undefined) continue;
          objects.push({ key: item.Key, size: item.Size ?? 0, etag: unquote(item.ETag), lastModified: item.LastModified ?? new Date(0) });
        }
        truncated = out.IsTruncated === true;
        token = out.NextContinuationToken;
        if (truncated && token === undefined) {
          throw new ObjectStoreError(`S3 ListObjectsV2 of bucket ${bucket} said the listing is truncated but gave no continuation token: retry.`);
        }
      } while (truncated && objects.length < limit);
      return { objects, nextAfter: truncated ? objects.at(-1)?.key : undefined };
    },

    onPut() {
      throw new ObjectStoreError(
        `onPut is embedded-only. On AWS, puts to bucket ${bucket} trigger through an EventBridge rule on source aws.s3, ` +
          `detail-type "${OBJECT_CREATED_DETAIL_TYPE}" (the bucket must have EventBridge notifications on); subscribe there.`,
      );
    },
  };
  return store;
};
