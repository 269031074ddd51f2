import { createHash } from 'node:crypto';
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { ObjectNotFoundError, ObjectStoreError } from '../../functions/objectStore/objectStore.ts';
import { createS3ObjectStore, MIN_PART_SIZE, type S3Sender } from '../../functions/objectStore/s3ObjectStore.ts';
import { testObjectStore } from '../suites/objectStore.suite.ts';
import { FakeS3 } from './fakeS3.ts';
import { failingStream, randomStream, sha256Of } from './streams.ts';

const BUCKET = 'fleet-credentials-123456789012';
const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

testObjectStore('S3 (in-memory S3 at the send boundary)', {
  create: () => Promise.resolve(createS3ObjectStore({ bucket: BUCKET, client: new FakeS3(BUCKET), partSize: MIN_PART_SIZE })),
});

/*
 * Request members as the S3 API reference lists them (Amazon S3 API Reference, "Request Syntax" of each
 * action; the SDK's input names are the same). Every request this adapter sends must use only these.
 */
const documented: Record<string, { required: string[]; optional: string[] }> = {
  PutObject: {
    required: ['Bucket', 'Key'],
    optional: [
      'ACL', 'Body', 'CacheControl', 'ContentDisposition', 'ContentEncoding', 'ContentLanguage', 'ContentLength', 'ContentMD5', 'ContentType',
      'ChecksumAlgorithm', 'ChecksumCRC32', 'ChecksumCRC32C', 'ChecksumCRC64NVME', 'ChecksumSHA1', 'ChecksumSHA256', 'Expires', 'IfMatch',
      'IfNoneMatch', 'GrantFullControl', 'GrantRead', 'GrantReadACP', 'GrantWriteACP', 'WriteOffsetBytes', 'Metadata', 'ServerSideEncryption',
      'StorageClass', 'WebsiteRedirectLocation', 'SSECustomerAlgorithm', 'SSECustomerKey', 'SSECustomerKeyMD5', 'SSEKMSKeyId',
      'SSEKMSEncryptionContext', 'BucketKeyEnabled', 'RequestPayer', 'Tagging', 'ObjectLockMode', 'ObjectLockRetainUntilDate',
      'ObjectLockLegalHoldStatus', 'ExpectedBucketOwner',
    ],
  },
  CreateMultipartUpload: {
    required: ['Bucket', 'Key'],
    optional: [
      'ACL', 'CacheControl', 'ContentDisposition', 'ContentEncoding', 'ContentLanguage', 'ContentType', 'Expires', 'GrantFullControl', 'GrantRead',
      'GrantReadACP', 'GrantWriteACP', 'Metadata', 'ServerSideEncryption', 'StorageClass', 'WebsiteRedirectLocation', 'SSECustomerAlgorithm',
      'SSECustomerKey', 'SSECustomerKeyMD5', 'SSEKMSKeyId', 'SSEKMSEncryptionContext', 'BucketKeyEnabled', 'RequestPayer', 'Tagging',
      'ObjectLockMode', 'ObjectLockRetainUntilDate', 'ObjectLockLegalHoldStatus', 'ExpectedBucketOwner', 'ChecksumAlgorithm', 'ChecksumType',
    ],
  },
  UploadPart: {
    required: ['Bucket', 'Key', 'PartNumber', 'UploadId'],
    optional: [
      'Body', 'ContentLength', 'ContentMD5', 'ChecksumAlgorithm', 'ChecksumCRC32', 'ChecksumCRC32C', 'ChecksumCRC64NVME', 'ChecksumSHA1',
      'ChecksumSHA256', 'SSECustomerAlgorithm', 'SSECustomerKey', 'SSECustomerKeyMD5', 'RequestPayer', 'ExpectedBucketOwner',
    ],
  },
  CompleteMultipartUpload: {
    required: ['Bucket', 'Key', 'UploadId'],
    optional: [
      'MultipartUpload', 'ChecksumCRC32', 'ChecksumCRC32C', 'ChecksumCRC64NVME', 'ChecksumSHA1', 'ChecksumSHA256', 'ChecksumType',
      'MpuObjectSize', 'RequestPayer', 'ExpectedBucketOwner', 'IfMatch', 'IfNoneMatch', 'SSECustomerAlgorithm', 'SSECustomerKey', 'SSECustomerKeyMD5',
    ],
  },
  AbortMultipartUpload: { required: ['Bucket', 'Key', 'UploadId'], optional: ['RequestPayer', 'ExpectedBucketOwner', 'IfMatchInitiatedTime'] },
  ListObjectsV2: {
    required: ['Bucket'],
    optional: ['ContinuationToken', 'Delimiter', 'EncodingType', 'FetchOwner', 'MaxKeys', 'Prefix', 'StartAfter', 'RequestPayer', 'ExpectedBucketOwner', 'OptionalObjectAttributes'],
  },
  GetObject: {
    required: ['Bucket', 'Key'],
    optional: ['IfMatch', 'IfModifiedSince', 'IfNoneMatch', 'IfUnmodifiedSince', 'Range', 'VersionId', 'PartNumber', 'ChecksumMode', 'ExpectedBucketOwner', 'RequestPayer'],
  },
  HeadObject: {
    required: ['Bucket', 'Key'],
    optional: ['IfMatch', 'IfModifiedSince', 'IfNoneMatch', 'IfUnmodifiedSince', 'Range', 'VersionId', 'PartNumber', 'ChecksumMode', 'ExpectedBucketOwner', 'RequestPayer'],
  },
  DeleteObject: {
    required: ['Bucket', 'Key'],
    optional: ['MFA', 'VersionId', 'RequestPayer', 'BypassGovernanceRetention', 'ExpectedBucketOwner', 'IfMatch', 'IfMatchLastModifiedTime', 'IfMatchSize'],
  },
};

/** Every request uses only documented members, with every required one present. */
const expectDocumented = (fake: FakeS3) => {
  for (const { name, input } of fake.sent) {
    const spec = documented[name]!;
    expect(spec, name).toBeDefined();
    for (const member of Object.keys(input)) expect([...spec.required, ...spec.optional], `${name}.${member}`).toContain(member);
    for (const member of spec.required) expect(input[member], `${name}.${member}`).toBeDefined();
  }
};

const s3Error = (name: string, status: number, message = name) =>
  new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', message, $metadata: { httpStatusCode: status } });

const setup = (options: { sse?: boolean; partSize?: number } = {}) => {
  const fake = new FakeS3(BUCKET);
  const store = createS3ObjectStore({
    bucket: BUCKET,
    client: fake,
    partSize: options.partSize ?? MIN_PART_SIZE,
    ...(options.sse === false ? {} : { sse: { kmsKeyId: KMS_KEY } }),
  });
  return { fake, store };
};

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

describe('S3 adapter at the SDK send boundary', () => {
  it('a body of known length is one PutObject with ContentLength, metadata and SSE-KMS', async () => {
    const { fake, store } = setup();
    const pem = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const put = await store.put('dev-1/cert.pem', pem, { contentType: 'application/x-pem-file', metadata: { 'device-id': 'dev-1' } });
    expect(fake.sent).toEqual([
      {
        name: 'PutObject',
        input: {
          Bucket: BUCKET,
          Key: 'dev-1/cert.pem',
          Body: pem,
          ContentLength: pem.length,
          ContentType: 'application/x-pem-file',
          Metadata: { 'device-id': 'dev-1' },
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: KMS_KEY,
        },
      },
    ]);
    expectDocumented(fake);
    // S3 answers with a quoted ETag; the port's etag is the bare value.
    expect(put).toEqual({ key: 'dev-1/cert.pem', size: pem.length, etag: md5(pem) });
    expect(fake.buckets.get(BUCKET)!.get('dev-1/cert.pem')).toMatchObject({ serverSideEncryption: 'aws:kms', kmsKeyId: KMS_KEY });
  });

  it('without sse no encryption fields are sent (the bucket default applies)', async () => {
    const { fake, store } = setup({ sse: false });
    await store.put('reports/r.json', '{}', { contentType: 'application/json' });
    await store.put('reports/s.json', randomStream(10).body);
    expect(fake.sent.map((c) => c.input)).toEqual([
      { Bucket: BUCKET, Key: 'reports/r.json', Body: Buffer.from('{}'), ContentLength: 2, ContentType: 'application/json', Metadata: {} },
      expect.not.objectContaining({ ServerSideEncryption: expect.anything() as unknown }),
    ]);
    expectDocumented(fake);
  });

  it('a stream that fits in one part is one PutObject, never a multipart upload', async () => {
    const { fake, store } = setup();
    const source = randomStream(MIN_PART_SIZE);
    await store.put('uploads/m.csv', source.body, { contentType: 'text/csv' });
    expect(fake.sent.map((c) => c.name)).toEqual(['PutObject']);
    expect(fake.sent[0]!.input).toMatchObject({ ContentLength: MIN_PART_SIZE, ContentType: 'text/csv', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KMS_KEY });
    expect(fake.uploads.size).toBe(0);
  });

  it('a longer stream is a multipart upload: SSE-KMS on create, full parts but the last, ETags in order on complete', async () => {
    const { fake, store } = setup();
    const total = 2 * MIN_PART_SIZE + 123_456;
    const source = randomStream(total);
    const put = await store.put('uploads/big.bin', source.body, { contentType: 'application/zip', metadata: { batch: 'b-9' } });

    expect(fake.sent.map((c) => c.name)).toEqual(['CreateMultipartUpload', 'UploadPart', 'UploadPart', 'UploadPart', 'CompleteMultipartUpload']);
    expectDocumented(fake);
    const [create, ...rest] = fake.sent;
    const parts = rest.slice(0, 3);
    const complete = rest[3]!;
    expect(create!.input).toEqual({
      Bucket: BUCKET,
      Key: 'uploads/big.bin',
      ContentType: 'application/zip',
      Metadata: { batch: 'b-9' },
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KMS_KEY,
    });
    const uploadId = (complete.input as { UploadId: string }).UploadId;
    expect(uploadId).toMatch(/.+/);
    expect(parts.map((p) => ({ ...p.input, Body: (p.input.Body as Buffer).length }))).toEqual([
      { Bucket: BUCKET, Key: 'uploads/big.bin', UploadId: uploadId, PartNumber: 1, Body: MIN_PART_SIZE, ContentLength: MIN_PART_SIZE },
      { Bucket: BUCKET, Key: 'uploads/big.bin', UploadId: uploadId, PartNumber: 2, Body: MIN_PART_SIZE, ContentLength: MIN_PART_SIZE },
      { Bucket: BUCKET, Key: 'uploads/big.bin', UploadId: uploadId, PartNumber: 3, Body: 123_456, ContentLength: 123_456 },
    ]);
    // SSE for a multipart object is chosen once, on create; UploadPart takes only SSE-C fields.
    for (const p of parts) expect(p.input).not.toHaveProperty('ServerSideEncryption');
    const partEtags = parts.map((p) => `"${md5(p.input.Body as Buffer)}"`);
    expect(complete.input).toEqual({
      Bucket: BUCKET,
      Key: 'uploads/big.bin',
      UploadId: uploadId,
      MultipartUpload: { Parts: partEtags.map((ETag, i) => ({ PartNumber: i + 1, ETag })) },
    });
    expect(put.size).toBe(total);
    expect(put.etag).toMatch(/^[0-9a-f]{32}-3$/);
    expect(await sha256Of((await store.get('uploads/big.bin')).body)).toEqual({ digest: source.digest(), size: total });
    expect(await store.head('uploads/big.bin')).toMatchObject({ contentType: 'application/zip', metadata: { batch: 'b-9' }, size: total });
  });

  it('an UploadPart that S3 rejects aborts the upload and reports the S3 error with what to do', async () => {
    const { fake, store } = setup();
    fake.failOn('UploadPart', s3Error('InternalError', 500, 'We encountered an internal error. Please try again.'), 2);
    const error = await store.put('uploads/big.bin', randomStream(3 * MIN_PART_SIZE).body).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectStoreError);
    expect((error as Error).message).toMatch(/S3 UploadPart of "uploads\/big.bin" in bucket fleet-credentials-123456789012 failed \(InternalError: We encountered/);
    expect((error as Error).cause).toBeInstanceOf(S3ServiceException);
    const abort = fake.sent.find((c) => c.name === 'AbortMultipartUpload');
    const create = fake.sent.find((c) => c.name === 'CompleteMultipartUpload');
    expect(create).toBeUndefined();
    expect(abort?.input).toEqual({ Bucket: BUCKET, Key: 'uploads/big.bin', UploadId: expect.any(String) as string });
    expect(fake.uploads.size).toBe(0);
    expect(await store.head('uploads/big.bin')).toBeUndefined();
    expectDocumented(fake);
  });

  it('a body stream that fails after some parts aborts the upload and rethrows the stream’s own error', async () => {
    const { fake, store } = setup();
    const dropped = new Error('client went away');
    await expect(store.put('uploads/big.bin', failingStream(2 * MIN_PART_SIZE + 10, dropped))).rejects.toBe(dropped);
    expect(fake.sent.map((c) => c.name)).toEqual(['CreateMultipartUpload', 'UploadPart', 'UploadPart', 'AbortMultipartUpload']);
    expect(fake.uploads.size).toBe(0);
  });

  it('a CompleteMultipartUpload failure aborts; a failing abort does not hide the original error', async () => {
    const { fake, store } = setup();
    fake.failOn('CompleteMultipartUpload', s3Error('SlowDown', 503, 'Please reduce your request rate.'));
    fake.failOn('AbortMultipartUpload', s3Error('InternalError', 500));
    const error = await store.put('k', randomStream(MIN_PART_SIZE + 1).body).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/S3 CompleteMultipartUpload .* failed \(SlowDown: Please reduce your request rate.\)/);
    expect(fake.count('AbortMultipartUpload')).toBe(1);
  });

  it('ListObjectsV2: Prefix, StartAfter and MaxKeys; follows NextContinuationToken when S3 returns a short truncated page', async () => {
    const { fake, store } = setup();
    for (const k of ['p/1', 'p/2', 'p/3', 'p/4', 'p/5', 'p/6', 'p/7', 'q/1']) await store.put(k, k);
    fake.sent.length = 0;
    fake.listPageCap = 2;
    const page = await store.list('p/', { after: 'p/1', limit: 5 });
    expect(page.objects.map((o) => o.key)).toEqual(['p/2', 'p/3', 'p/4', 'p/5', 'p/6']);
    expect(page.nextAfter).toBe('p/6');
    expect(page.objects[0]).toMatchObject({ size: 3, etag: md5(Buffer.from('p/2')) });
    const requests = fake.sent.map((c) => c.input);
    expect(requests[0]).toEqual({ Bucket: BUCKET, Prefix: 'p/', StartAfter: 'p/1', MaxKeys: 5 });
    expect(requests[1]).toEqual({ Bucket: BUCKET, Prefix: 'p/', ContinuationToken: expect.any(String) as string, MaxKeys: 3 });
    expect(requests[2]).toEqual({ Bucket: BUCKET, Prefix: 'p/', ContinuationToken: expect.any(String) as string, MaxKeys: 1 });
    expect(requests).toHaveLength(3);
    expectDocumented(fake);

    fake.sent.length = 0;
    const last = await store.list('p/', { after: page.nextAfter });
    expect(last).toMatchObject({ objects: [{ key: 'p/7' }], nextAfter: undefined });
    fake.listPageCap = 1000;
    fake.sent.length = 0;
    await store.list('');
    expect(fake.sent).toHaveLength(1);
    expect(fake.sent[0]!.input).toEqual({ Bucket: BUCKET, MaxKeys: 1000 });
  });

  it('GetObject, HeadObject and DeleteObject send Bucket and Key only', async () => {
    const { fake, store } = setup();
    await store.put('a', 'x');
    fake.sent.length = 0;
    await store.getBytes('a');
    await store.head('a');
    await store.delete('a');
    await store.delete('a');
    expect(fake.sent).toEqual(['GetObject', 'HeadObject', 'DeleteObject', 'DeleteObject'].map((name) => ({ name, input: { Bucket: BUCKET, Key: 'a' } })));
    expectDocumented(fake);
  });

  it('maps S3 errors: NoSuchKey and NotFound are not-found; access, bucket and server errors are not', async () => {
    const { fake, store } = setup();
    const missing = await store.get('dev-9/key.pem').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ObjectNotFoundError);
    expect(missing).toMatchObject({ area: BUCKET, key: 'dev-9/key.pem' });
    expect(await store.head('dev-9/key.pem')).toBeUndefined();

    fake.failOn('GetObject', s3Error('AccessDenied', 403, 'Access Denied'));
    const denied = await store.get('dev-9/key.pem').catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(ObjectStoreError);
    expect(denied).not.toBeInstanceOf(ObjectNotFoundError);
    expect((denied as Error).message).toMatch(/AccessDenied: Access Denied\): check the role's S3 and KMS permissions/);

    fake.failOn('HeadObject', s3Error('Forbidden', 403));
    await expect(store.head('x')).rejects.toBeInstanceOf(ObjectStoreError);

    const wrongBucket = createS3ObjectStore({ bucket: 'no-such-bucket', client: fake });
    const noBucket = await wrongBucket.get('x').catch((e: unknown) => e);
    expect(noBucket).not.toBeInstanceOf(ObjectNotFoundError);
    expect((noBucket as Error).message).toMatch(/bucket no-such-bucket does not exist: check the bucket name/);
    await expect(wrongBucket.head('x')).rejects.toThrow(/does not exist/);

    fake.failOn('PutObject', s3Error('KMS.DisabledException', 400, 'arn:aws:kms:... is disabled.'));
    await expect(store.put('k', 'secret body')).rejects.toThrow(/KMS.DisabledException/);
    fake.failOn('PutObject', s3Error('KMS.DisabledException', 400, 'x'));
    const message = await store.put('k', 'secret body').catch((e: unknown) => (e as Error).message);
    expect(message).not.toContain('secret body');
  });

  it('refuses a part size S3 would reject', () => {
    const fake = new FakeS3(BUCKET);
    expect(() => createS3ObjectStore({ bucket: BUCKET, client: fake, partSize: MIN_PART_SIZE - 1 })).toThrow(/part size 5242879 is out of range/);
  });

  it('onPut throws: on AWS the upload trigger is EventBridge "Object Created"', () => {
    const { store } = setup();
    expect(() => store.onPut('manifests/', () => undefined)).toThrow(/EventBridge rule on source aws.s3, detail-type "Object Created"/);
  });

  it('a real S3Client satisfies the S3Sender the adapter needs', () => {
    const client: S3Sender = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' } });
    const store = createS3ObjectStore({ bucket: BUCKET, client });
    expect(store.area).toBe(BUCKET);
  });
});
