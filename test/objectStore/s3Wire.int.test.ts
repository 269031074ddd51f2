import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectNotFoundError } from '../../functions/objectStore/objectStore.ts';
import { createS3ObjectStore, MIN_PART_SIZE } from '../../functions/objectStore/s3ObjectStore.ts';
import { md5, startS3StandIn, type S3StandIn } from '../support/s3StandIn.ts';
import { randomStream, sha256Of } from './streams.ts';

/*
 * The adapter through a real S3Client, over HTTP to a small S3 stand-in on loopback: checks what the
 * SDK makes of our inputs on the wire (the documented x-amz-* headers and query parameters), and that
 * the adapter understands what the SDK makes of S3's answers (XML errors, 404 on HEAD, list XML,
 * streaming GetObject bodies).
 */

let s3: S3StandIn;
let client: S3Client;

beforeAll(async () => {
  s3 = await startS3StandIn('wire-bucket');
  client = new S3Client({
    region: 'eu-west-1',
    endpoint: `http://127.0.0.1:${s3.port}`,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  });
});

afterAll(async () => {
  client.destroy();
  await new Promise((resolve) => s3.server.close(resolve));
});

const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('S3 adapter through a real S3Client over HTTP', () => {
  it('PutObject carries content type, x-amz-meta-* and the SSE-KMS headers; GetObject streams the body back', async () => {
    const store = createS3ObjectStore({ bucket: 'wire-bucket', client, sse: { kmsKeyId: KMS_KEY } });
    s3.seen.length = 0;
    await store.put('dev 1/cert.pem', 'PEM BYTES', { contentType: 'application/x-pem-file', metadata: { 'device-id': 'dev-1' } });
    const put = s3.seen[0]!;
    expect(put.method).toBe('PUT');
    expect(put.path).toBe('/wire-bucket/dev%201/cert.pem');
    expect(put.headers).toMatchObject({
      'content-type': 'application/x-pem-file',
      'content-length': '9',
      'x-amz-meta-device-id': 'dev-1',
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': KMS_KEY,
    });
    expect(put.body.toString()).toBe('PEM BYTES');

    const got = await store.get('dev 1/cert.pem');
    expect(got).toMatchObject({ size: 9, contentType: 'application/x-pem-file', metadata: { 'device-id': 'dev-1' }, etag: md5(Buffer.from('PEM BYTES')) });
    expect((await sha256Of(got.body)).size).toBe(9);
    expect((await store.head('dev 1/cert.pem'))?.size).toBe(9);
  });

  it('a streamed body goes up as a multipart upload, SSE-KMS headers on its create request', async () => {
    const store = createS3ObjectStore({ bucket: 'wire-bucket', client, sse: { kmsKeyId: KMS_KEY }, partSize: MIN_PART_SIZE });
    s3.seen.length = 0;
    const source = randomStream(MIN_PART_SIZE + 1000);
    const put = await store.put('uploads/big.bin', source.body);
    expect(s3.seen.map((r) => `${r.method} ${[...r.query.keys()].filter((k) => k !== 'x-id').join('&')}`)).toEqual([
      'POST uploads',
      'PUT partNumber&uploadId',
      'PUT partNumber&uploadId',
      'POST uploadId',
    ]);
    expect(s3.seen[0]!.headers).toMatchObject({ 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': KMS_KEY });
    expect(s3.seen[1]!.body.length).toBe(MIN_PART_SIZE);
    expect(s3.seen[2]!.body.length).toBe(1000);
    expect(put.etag).toMatch(/-2$/);
    expect(await sha256Of((await store.get('uploads/big.bin')).body)).toEqual({ digest: source.digest(), size: MIN_PART_SIZE + 1000 });
  });

  it('understands S3 answers: NoSuchKey XML, a bare 404 on HEAD, NoSuchBucket, and list XML with continuation', async () => {
    const store = createS3ObjectStore({ bucket: 'wire-bucket', client });
    await expect(store.get('missing/key')).rejects.toBeInstanceOf(ObjectNotFoundError);
    expect(await store.head('missing/key')).toBeUndefined();
    await expect(createS3ObjectStore({ bucket: 'other-bucket', client }).get('k')).rejects.toThrow(/bucket other-bucket does not exist/);

    for (const k of ['l/a', 'l/b', 'l/c']) await store.put(k, k);
    s3.seen.length = 0;
    const page = await store.list('l/', { limit: 2 });
    expect(page).toMatchObject({ objects: [{ key: 'l/a', size: 3, etag: md5(Buffer.from('l/a')) }, { key: 'l/b' }], nextAfter: 'l/b' });
    expect(Object.fromEntries([...s3.seen[0]!.query].filter(([k]) => k !== 'x-id'))).toEqual({ 'list-type': '2', prefix: 'l/', 'max-keys': '2' });
    expect((await store.list('l/', { after: page.nextAfter })).objects.map((o) => o.key)).toEqual(['l/c']);
    expect(s3.seen.at(-1)!.query.get('start-after')).toBe('l/b');
    await store.delete('l/a');
    expect(await store.head('l/a')).toBeUndefined();
  });
});
