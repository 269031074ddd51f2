import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_KEY_BYTES, MAX_METADATA_BYTES, MAX_SEGMENT_BYTES } from '../../functions/objectStore/objectKey.ts';
import {
  DEFAULT_CONTENT_TYPE,
  InvalidObjectKeyError,
  InvalidObjectRequestError,
  ObjectNotFoundError,
  type ObjectStore,
} from '../../functions/objectStore/objectStore.ts';
import { collect, failingStream, randomStream, sha256Of } from '../objectStore/streams.ts';

/** What an adapter's test file provides: a fresh, empty store per call, and a cleanup. */
export interface ObjectStoreFactory {
  create(): Promise<ObjectStore>;
  /** Called once after all cases. */
  dispose?(): Promise<void>;
}

const text = async (store: ObjectStore, key: string) => (await store.getBytes(key)).toString('utf8');

const listAll = async (store: ObjectStore, prefix: string, limit: number) => {
  const keys: string[] = [];
  let after: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await store.list(prefix, { after, limit });
    pages += 1;
    expect(page.objects.length).toBeLessThanOrEqual(limit);
    keys.push(...page.objects.map((o) => o.key));
    if (page.nextAfter === undefined) return { keys, pages };
    expect(page.nextAfter).toBe(page.objects.at(-1)?.key);
    after = page.nextAfter;
  }
};

/** UTF-8 byte order, computed the slow and obviously right way. */
const byUtf8 = (keys: string[]) => [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

const badKeys: [key: string, rule: RegExp][] = [
  ['', /must not be empty/],
  ['/absolute/path', /must not start with '\/'/],
  ['a/../b', /'\.\.' segment/],
  ['..', /'\.\.' segment/],
  ['a/./b', /'\.' segment/],
  ['a//b', /empty segment/],
  ['trailing/', /empty segment/],
  ['nul\u0000byte', /control character U\+0000 at position 3/],
  ['line\nbreak', /control character U\+000A/],
  ['del\u007f', /control character U\+007F/],
  ['c1\u0085', /control character U\+0085/],
  ['tilde~name', /'~'.*naming guidelines/],
  ['100%', /'%'/],
  ['back\\slash', /'\\'/],
  ['x'.repeat(MAX_KEY_BYTES + 1), /1025 bytes in UTF-8; S3 allows at most 1024/],
  [`${'é'.repeat(100)}/${'é'.repeat(100)}/${'é'.repeat(100)}/${'é'.repeat(100)}/${'é'.repeat(100)}/${'é'.repeat(20)}`, /bytes in UTF-8; S3 allows at most 1024/],
  ['s'.repeat(MAX_SEGMENT_BYTES + 1), /segment of 201 bytes/],
  ['lone\ud800surrogate', /lone surrogate/],
];

/**
 * The one object store conformance suite (STYLE.md 9): every adapter runs exactly these cases.
 */
export const testObjectStore = (adapter: string, factory: ObjectStoreFactory) => {
  describe(`ObjectStore conformance: ${adapter}`, () => {
    afterAll(async () => {
      await factory.dispose?.();
    });

    it('round-trips text with the default content type, and reports size, etag and time', async () => {
      const store = await factory.create();
      const before = Date.now();
      const put = await store.put('manifests/batch-1.csv', 'serial,tenant\nhé-1,t1\n');
      expect(put).toMatchObject({ key: 'manifests/batch-1.csv', size: Buffer.byteLength('serial,tenant\nhé-1,t1\n') });
      expect(put.etag).toMatch(/^[0-9a-f-]{16,}$/);
      const got = await store.get('manifests/batch-1.csv');
      expect(got).toMatchObject({ key: 'manifests/batch-1.csv', size: put.size, contentType: DEFAULT_CONTENT_TYPE, metadata: {}, etag: put.etag });
      expect(got.lastModified.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(got.lastModified.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
      expect((await collect(got.body)).toString('utf8')).toBe('serial,tenant\nhé-1,t1\n');
    });

    it('round-trips every byte value from a Buffer and from a Uint8Array, and an empty object', async () => {
      const store = await factory.create();
      const forward = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const both = Buffer.concat([forward, Buffer.from(forward).reverse()]);
      await store.put('bin/buffer', both);
      // A view into a larger buffer: only the viewed bytes are the object.
      await store.put('bin/u8', new Uint8Array(both.buffer, both.byteOffset + 10, 100));
      await store.put('bin/empty', Buffer.alloc(0));
      expect(await store.getBytes('bin/buffer')).toEqual(both);
      expect(await store.getBytes('bin/u8')).toEqual(forward.subarray(10, 110));
      expect((await store.getBytes('bin/empty')).length).toBe(0);
      expect((await store.head('bin/empty'))?.size).toBe(0);
      expect((await store.head('bin/u8'))?.size).toBe(100);
    });

    it('streams a 20 MB body in and out chunk by chunk, intact', async () => {
      const store = await factory.create();
      const source = randomStream(20 * 1024 * 1024 + 12_345);
      const put = await store.put('reports/big.bin', source.body, { contentType: 'application/x-test' });
      expect(put.size).toBe(source.produced());
      const got = await store.get('reports/big.bin');
      expect(got.size).toBe(source.produced());
      expect(await sha256Of(got.body)).toEqual({ digest: source.digest(), size: source.produced() });
      expect((await store.head('reports/big.bin'))?.size).toBe(source.produced());
      expect((await store.list('reports/')).objects.map((o) => [o.key, o.size])).toEqual([['reports/big.bin', source.produced()]]);
    });

    it('takes a Readable body, including one in string mode', async () => {
      const store = await factory.create();
      await store.put('readable/bytes', Readable.from([Buffer.from('ab'), Buffer.from('cd')]));
      await store.put('readable/strings', Readable.from(['ü', 'ber']));
      expect(await text(store, 'readable/bytes')).toBe('abcd');
      expect(await text(store, 'readable/strings')).toBe('über');
    });

    it('keeps content type and metadata; head reports them without reading the body', async () => {
      const store = await factory.create();
      const metadata = { 'device-id': 'urn:imei:3520990017', tenant_id: 't-1', empty: '' };
      await store.put('credentials/dev-1/cert.pem', '-----BEGIN CERTIFICATE-----\n', { contentType: 'application/x-pem-file', metadata });
      const head = await store.head('credentials/dev-1/cert.pem');
      expect(head).toMatchObject({ key: 'credentials/dev-1/cert.pem', contentType: 'application/x-pem-file', metadata, size: 28 });
      expect(head).not.toHaveProperty('body');
      const got = await store.get('credentials/dev-1/cert.pem');
      expect(got.metadata).toEqual(metadata);
      expect(got.contentType).toBe('application/x-pem-file');
      got.body.destroy();
    });

    it('replaces an object, its content type and its metadata on a second put', async () => {
      const store = await factory.create();
      const first = await store.put('k', 'version one', { contentType: 'text/plain', metadata: { v: '1' } });
      const second = await store.put('k', 'two', { metadata: { other: 'x' } });
      expect(second.etag).not.toBe(first.etag);
      expect(await text(store, 'k')).toBe('two');
      expect(await store.head('k')).toMatchObject({ size: 3, contentType: DEFAULT_CONTENT_TYPE, metadata: { other: 'x' } });
      expect((await store.list('')).objects.map((o) => o.key)).toEqual(['k']);
    });

    it('concurrent puts of one key leave exactly one of them, whole', async () => {
      const store = await factory.create();
      const bodies = Array.from({ length: 6 }, (_, i) => Buffer.alloc(100_000 + i, 65 + i));
      await Promise.all(bodies.map((b) => store.put('race/key', b)));
      const stored = await store.getBytes('race/key');
      expect(bodies.some((b) => b.equals(stored))).toBe(true);
      expect((await store.head('race/key'))?.size).toBe(stored.length);
    });

    it('a missing key: head is undefined, get and getBytes throw ObjectNotFoundError naming key and area', async () => {
      const store = await factory.create();
      expect(await store.head('nope/missing.json')).toBeUndefined();
      const error = await store.get('nope/missing.json').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ObjectNotFoundError);
      expect(error).toMatchObject({ key: 'nope/missing.json', area: store.area });
      expect((error as Error).message).toContain('"nope/missing.json"');
      expect((error as Error).message).toContain(store.area);
      await expect(store.getBytes('nope/missing.json')).rejects.toBeInstanceOf(ObjectNotFoundError);
    });

    it('delete removes the object and is idempotent', async () => {
      const store = await factory.create();
      await store.put('tmp/a', 'a');
      await store.put('tmp/b', 'b');
      await store.delete('tmp/a');
      await expect(store.get('tmp/a')).rejects.toBeInstanceOf(ObjectNotFoundError);
      expect(await store.head('tmp/a')).toBeUndefined();
      await store.delete('tmp/a');
      await store.delete('never/existed');
      expect((await store.list('')).objects.map((o) => o.key)).toEqual(['tmp/b']);
      await store.put('tmp/a', 'again');
      expect(await text(store, 'tmp/a')).toBe('again');
    });

    it('lists by prefix in UTF-8 key order, page by page, with sizes', async () => {
      const store = await factory.create();
      const keys = [
        'a', 'a.b', 'a/b', 'a/b/c', 'a-b', 'aa', 'b/1', 'b/10', 'b/2', 'B/upper', 'dev/ü/x', 'dev/z',
        'dev/\uff61', 'dev/\u{1f600}', 'dev/e', 'x y/+=:,;!@$&()\'', 'device-1/cert', 'device-10/cert', 'device-1x',
      ];
      for (const [i, key] of keys.entries()) await store.put(key, 'x'.repeat(i));
      const everything = await listAll(store, '', 4);
      expect(everything.keys).toEqual(byUtf8(keys));
      expect(everything.pages).toBe(5);
      // U+FF61 sorts before U+1F600 in UTF-8 (and in S3), unlike JavaScript's UTF-16 `<`.
      expect(everything.keys.indexOf('dev/\uff61')).toBeLessThan(everything.keys.indexOf('dev/\u{1f600}'));
      expect((await listAll(store, 'device-1', 2)).keys).toEqual(['device-1/cert', 'device-10/cert', 'device-1x']);
      expect((await listAll(store, 'device-1/', 1000)).keys).toEqual(['device-1/cert']);
      expect((await listAll(store, 'a/', 1)).keys).toEqual(['a/b', 'a/b/c']);
      expect((await listAll(store, 'dev/', 3)).keys).toEqual(byUtf8(keys.filter((k) => k.startsWith('dev/'))));
      expect((await store.list('zzz')).objects).toEqual([]);
      const page = await store.list('b/', { limit: 1000 });
      expect(page.nextAfter).toBeUndefined();
      expect(page.objects.map((o) => [o.key, o.size])).toEqual([['b/1', 6], ['b/10', 7], ['b/2', 8]]);
      expect(page.objects.every((o) => o.etag.length > 0 && o.lastModified instanceof Date)).toBe(true);
    });

    it('after may be any string: the page starts at the first key greater than it', async () => {
      const store = await factory.create();
      for (const key of ['m/1', 'm/3', 'm/5', 'n/1']) await store.put(key, key);
      expect((await store.list('m/', { after: 'm/2' })).objects.map((o) => o.key)).toEqual(['m/3', 'm/5']);
      expect((await store.list('m/', { after: 'm/3' })).objects.map((o) => o.key)).toEqual(['m/5']);
      expect((await store.list('', { after: 'm' })).objects.map((o) => o.key)).toEqual(['m/1', 'm/3', 'm/5', 'n/1']);
      expect((await store.list('', { after: 'm/5' })).objects.map((o) => o.key)).toEqual(['n/1']);
      expect(await store.list('', { after: 'n/1' })).toEqual({ objects: [], nextAfter: undefined });
      const exact = await store.list('', { limit: 4 });
      expect(exact.objects).toHaveLength(4);
      expect(exact.nextAfter).toBeUndefined();
      const short = await store.list('', { limit: 3 });
      expect(short.nextAfter).toBe('m/5');
    });

    it('a body stream that fails mid-way stores nothing, and an object it would replace stays as it was', async () => {
      const store = await factory.create();
      await store.put('uploads/m.csv', 'the original', { metadata: { v: '1' } });
      const dropped = new Error('client connection dropped');
      await expect(store.put('uploads/m.csv', failingStream(6 * 1024 * 1024, dropped))).rejects.toBe(dropped);
      await expect(store.put('uploads/new.csv', failingStream(100, dropped))).rejects.toBe(dropped);
      expect(await text(store, 'uploads/m.csv')).toBe('the original');
      expect((await store.head('uploads/m.csv'))?.metadata).toEqual({ v: '1' });
      expect(await store.head('uploads/new.csv')).toBeUndefined();
      expect((await store.list('')).objects.map((o) => o.key)).toEqual(['uploads/m.csv']);
    });

    it('accepts keys at the limits: 1024 bytes, 200-byte segments, Unicode and URL-safe punctuation', async () => {
      const store = await factory.create();
      const segment = 'é'.repeat(MAX_SEGMENT_BYTES / 2);
      const longest = [segment, segment, segment, segment, segment, 'x'.repeat(MAX_KEY_BYTES - 5 * (MAX_SEGMENT_BYTES + 1))].join('/');
      expect(Buffer.byteLength(longest)).toBe(MAX_KEY_BYTES);
      const keys = [longest, 'ünïcødé/✓ (1).csv', "x/+=:,;!@$&()'*", 'dots/.hidden', 'dots/a..b', 'emoji/😀'];
      for (const key of keys) await store.put(key, key);
      for (const key of keys) expect(await text(store, key)).toBe(key);
      expect((await listAll(store, '', 1000)).keys).toEqual(byUtf8(keys));
    });

    it('rejects a bad key with the rule it breaks, on every operation, before any I/O', async () => {
      const store = await factory.create();
      for (const [key, rule] of badKeys) {
        for (const attempt of [() => store.put(key, 'x'), () => store.get(key), () => store.head(key), () => store.delete(key), () => store.getBytes(key)]) {
          const error = await attempt().then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error, JSON.stringify(key)).toBeInstanceOf(InvalidObjectKeyError);
          expect((error as Error).message).toMatch(rule);
        }
      }
      expect((await store.list('')).objects).toEqual([]);
    });

    it('rejects bad content types, metadata, list options and bodies with a clear error', async () => {
      const store = await factory.create();
      const bad: [() => Promise<unknown>, RegExp][] = [
        [() => store.put('k', 'x', { contentType: 'not a type' }), /not a media type/],
        [() => store.put('k', 'x', { metadata: { Upper: 'x' } }), /lower-case/],
        [() => store.put('k', 'x', { metadata: { 'x-secret': 'line\nbreak' } }), /printable ASCII/],
        [() => store.put('k', 'x', { metadata: { v: 'é' } }), /printable ASCII/],
        [() => store.put('k', 'x', { metadata: { big: 'x'.repeat(MAX_METADATA_BYTES) } }), /2051 bytes; S3 allows 2048/],
        [() => store.put('k', 42 as unknown as string), /must be a Buffer, Uint8Array, string, Readable or async iterable/],
        [() => store.put('k', null as unknown as string), /not null/],
        [() => store.list('', { limit: 0 }), /integer from 1 to 1000/],
        [() => store.list('', { limit: 1001 }), /integer from 1 to 1000/],
        [() => store.list('', { limit: 2.5 }), /integer from 1 to 1000/],
        [() => store.list('bad\u0000prefix'), /control characters/],
      ];
      for (const [attempt, message] of bad) {
        const error = await attempt().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(InvalidObjectRequestError);
        expect((error as Error).message).toMatch(message);
      }
      // The metadata value itself never lands in the message.
      const leaked = await store.put('k', 'x', { metadata: { token: 'sëcret-value' } }).catch((e: unknown) => e);
      expect((leaked as Error).message).not.toContain('sëcret');
      expect(await store.head('k')).toBeUndefined();
    });
  });
};
