import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A small S3 stand-in on loopback for one bucket (path-style requests): PUT/GET/HEAD/DELETE of
 * objects with their content type, x-amz-meta-* and SSE headers kept, ListObjectsV2 with paging,
 * and multipart uploads, answering with S3's XML errors: enough for a real S3Client with
 * `forcePathStyle` to talk to.
 * `seen` keeps every request so tests can check what went over the wire.
 */

export interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

export const startS3StandIn = async (bucketName: string) => {
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

      if (bucket !== bucketName) return error(404, 'NoSuchBucket', 'The specified bucket does not exist');
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
          `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xml(bucketName)}</Name><Prefix>${xml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${truncated ? `<NextContinuationToken>${xml(page.at(-1)!)}</NextContinuationToken>` : ''}${contents}</ListBucketResult>`,
        );
      }
      if (req.method === 'POST' && url.searchParams.has('uploads')) {
        const id = `upload-${++nextUpload}`;
        uploads.set(id, { key, headers: kept, parts: new Map() });
        return send(200, { 'content-type': 'application/xml' }, `<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><Bucket>${xml(bucketName)}</Bucket><Key>${xml(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`);
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
          return send(200, { 'content-type': 'application/xml' }, `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult><Bucket>${xml(bucketName)}</Bucket><Key>${xml(upload.key)}</Key><ETag>&quot;${md5(whole)}-${numbers.length}&quot;</ETag></CompleteMultipartUploadResult>`);
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
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { server, port, seen, objects, close, endpoint: `http://127.0.0.1:${port}` };
};

export type S3StandIn = Awaited<ReturnType<typeof startS3StandIn>>;
