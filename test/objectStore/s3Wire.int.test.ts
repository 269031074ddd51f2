import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectNotFoundError } from '../../functions/objectStore/objectStore.ts';
import { createS3ObjectStore, MIN_PART_SIZE } from '../../functions/objectStore/s3ObjectStore.ts';
import { randomStream, sha256Of } from './streams.ts';

/*
 * The adapter through a real S3Client, over HTTP to a small S3 stand-in on loopback: checks what the
 * SDK makes of our inputs on the wire (the documented x-amz-* headers and query parameters), and that
 * the adapter understands what the SDK makes of S3's answers (XML errors, 404 on HEAD, list XML,
 * streaming GetObject bodies).
 */

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

const startS3 = async () => {
  const seen: Seen[] = [];
  const objects = new Map<string, { body: Buffer; headers: Record<string, string> }>();
  const uploads = new Map<string, { key: string; headers: Record<string, string>; parts: Map<number, Buffer> }>();
  let nextUpload = 0;

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://s3.local');
      const [, bucket, ...rest] = url.pathname.split('/');
      const key = decodeURIComponent(rest.join('/'));
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method!, path: url.pathname, query: url.searchParams, headers: req.headers, body });
      const kept = Object.fromEntries(
        Object.entries(req.headers).filter(([h]) => h === 'content-type' || h.startsWith('x-amz-meta-') || h.startsWith('x-amz-server-side-encryption')),
      ) as Record<string, string>;
      const send = (status: number, headers: Record<string, string | number> = {}, payload: string | Buffer = '') => {
        res.writeHead(status, { 'x-amz-request-id': 'REQ1', ...headers });
        res.end(payload);
      };
      const error = (status: number, code: string, message: string) =>
        send(status, { 'content-type': 'application/xml' }, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>REQ1</RequestId></Error>`);

      if (bucket !== 'wire-bucket') return error(404, 'NoSuchBucket', 'The specified bucket does not exist');
      if (req.method === 'GET' && key === '' && url.searchParams.get('list-type') === '2') {
        const prefix = url.searchParams.get('prefix') ?? '';
        const after = url.searchParams.get('continuation-token') ?? url.searchParams.get('start-after') ?? '';
        const max = Number(url.searchParams.get('max-keys') ?? 1000);
        const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
        const page = keys.slice(0, max);
        const truncated = page.length < keys.length;
        const contents = page
          .map((k) => `<Contents><Key>${xml(k)}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>&quot;${md5(objects.get(k)!.body)}&quot;</ETag><Size>${objects.get(k)!.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`)
          .join('');
        return send(
          200,
          { 'content-type': 'application/xml' },
          `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>wire-bucket</Name><Prefix>${xml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${truncated ? `<NextContinuationToken>${xml(page.at(-1)!)}</NextContinuationToken>` : ''}${contents}</ListBucketResult>`,
        );
      }
      if (req.method === 'POST' && url.searchParams.has('uploads')) {
        const id = `upload-${++nextUpload}`;
        uploads.set(id, { key, headers: kept, parts: new Map() });
        return send(200, { 'content-type': 'application/xml' }, `<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><Bucket>wire-bucket</Bucket><Key>${xml(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`);
      }
      const uploadId = url.searchParams.get('uploadId');
      if (uploadId !== null) {
        const upload = uploads.get(uploadId);
        if (!upload) return error(404, 'NoSuchUpload', 'The specified upload does not exist.');
        if (req.method === 'PUT') {
          upload.parts.set(Number(url.searchParams.get('partNumber')), body);
          return send(200, { etag: `"${md5(body)}"` });
        }
        if (req.method === 'POST') {
          const numbers = [...body.toString().matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => Number(m[1]));
          const whole = Buffer.concat(numbers.map((n) => upload.parts.get(n)!));
          objects.set(upload.key, { body: whole, headers: upload.headers });
          uploads.delete(uploadId);
          return send(200, { 'content-type': 'application/xml' }, `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult><Bucket>wire-bucket</Bucket><Key>${xml(upload.key)}</Key><ETag>&quot;${md5(whole)}-${numbers.length}&quot;</ETag></CompleteMultipartUploadResult>`);
        }
        uploads.delete(uploadId);
        return send(204);
      }
      if (req.method === 'PUT') {
        objects.set(key, { body, headers: kept });
        return send(200, { etag: `"${md5(body)}"` });
      }
      const object = objects.get(key);
      if (req.method === 'DELETE') {
        objects.delete(key);
        return send(204);
      }
      if (!object) return req.method === 'HEAD' ? send(404) : error(404, 'NoSuchKey', 'The specified key does not exist.');
      const headers = { ...object.headers, 'content-length': object.body.length, etag: `"${md5(object.body)}"`, 'last-modified': 'Thu, 01 Jan 2026 00:00:00 GMT' };
      return req.method === 'HEAD' ? send(200, headers) : send(200, headers, object.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, port, seen, objects };
};

let s3: Awaited<ReturnType<typeof startS3>>;
let client: S3Client;

beforeAll(async () => {
  s3 = await startS3();
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
