import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { blocksOf } from './objectBody.ts';
import { ObjectStoreError, quoteKey } from './objectStore.ts';
import type { MasterKey } from './masterKey.ts';

/*
 * Encrypted object format, version 1 (all integers big-endian):
 *
 *   header  'OSE' | version 0x01 | master key id (8 bytes) | IV (12 random bytes)          24 bytes
 *   record  AES-256-GCM ciphertext of up to 64 KiB of plaintext | its 16-byte tag, repeated
 *
 * Each object gets its own data key, HKDF-SHA256(master key, salt = IV). Record i uses nonce
 * IV xor i and authenticates, as additional data: the header, the object key, the content type and
 * metadata, i, and whether it is the last record. So a record cannot be altered, reordered, dropped,
 * cut off at the end, or moved to another key or header without failing its tag.
 *
 * Why records rather than one tag for the whole object in the header: the tag is known only after the
 * last byte, and `put` streams. Per-record tags also let `get` stream while releasing only verified
 * plaintext; a single GCM tag would hand out unverified bytes until the end.
 */
const MAGIC = Buffer.from('OSE', 'ascii');
const FORMAT_VERSION = 1;
export const HEADER_BYTES = 24;
export const RECORD_PLAINTEXT_BYTES = 64 * 1024;
const TAG_BYTES = 16;
const RECORD_BYTES = RECORD_PLAINTEXT_BYTES + TAG_BYTES;

export class DecryptionError extends ObjectStoreError {
  override name = 'DecryptionError';
  constructor(
    readonly area: string,
    readonly key: string,
    readonly reason: string,
  ) {
    super(`Object ${quoteKey(key)} in ${area} cannot be decrypted: ${reason}.`);
  }
}

/** What the encryption of one object is bound to, besides its bytes. */
export interface CipherContext {
  readonly area: string;
  readonly key: string;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** Sorted, length-prefixed: the same context always gives the same bytes, and no two contexts do. */
const boundData = (header: Buffer, context: CipherContext) => {
  const key = Buffer.from(context.key, 'utf8');
  const entries = Object.entries(context.metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const attributes = Buffer.from(JSON.stringify([context.contentType, entries]), 'utf8');
  return Buffer.concat([header, u32(key.length), key, u32(attributes.length), attributes]);
};

const recordNonce = (iv: Buffer, index: number) => {
  const nonce = Buffer.from(iv);
  nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ index) >>> 0, 8);
  return nonce;
};

const recordAad = (bound: Buffer, index: number, last: boolean) => Buffer.concat([bound, u32(index), Buffer.from([last ? 1 : 0])]);

/** Plaintext size of an encrypted object of `stored` bytes (0 for one too short to be valid). */
export const plaintextSize = (stored: number): number => {
  const rest = stored - HEADER_BYTES;
  if (rest < TAG_BYTES) return 0;
  return rest - TAG_BYTES * Math.ceil(rest / RECORD_BYTES);
};

async function* withLast<T>(items: AsyncIterable<T>): AsyncGenerator<[T, boolean]> {
  let previous: { value: T } | undefined;
  for await (const value of items) {
    if (previous) yield [previous.value, false];
    previous = { value };
  }
  if (previous) yield [previous.value, true];
}

/** Encrypts a plaintext stream into the format above; `onPlaintext` counts what went in. */
export async function* encryptStream(
  plaintext: AsyncIterable<Buffer>,
  masterKey: MasterKey,
  context: CipherContext,
  onPlaintext: (bytes: number) => void,
): AsyncGenerator<Buffer> {
  const iv = randomBytes(12);
  const header = Buffer.concat([MAGIC, Buffer.from([FORMAT_VERSION]), masterKey.idBytes, iv]);
  const dataKey = masterKey.deriveObjectKey(iv);
  const bound = boundData(header, context);
  yield header;
  let index = 0;
  for await (const [block, last] of withLast(blocksOf(plaintext, RECORD_PLAINTEXT_BYTES))) {
    onPlaintext(block.length);
    const cipher = createCipheriv('aes-256-gcm', dataKey, recordNonce(iv, index), { authTagLength: TAG_BYTES });
    cipher.setAAD(recordAad(bound, index, last));
    yield Buffer.concat([cipher.update(block), cipher.final(), cipher.getAuthTag()]);
    index += 1;
  }
}

/** Pulls exact byte counts out of a chunked stream. */
class ByteReader {
  private parts: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  constructor(private readonly source: AsyncIterator<Buffer>) {}

  private async fill(wanted: number) {
    while (this.buffered < wanted && !this.ended) {
      const next = await this.source.next();
      if (next.done) this.ended = true;
      else {
        this.parts.push(next.value);
        this.buffered += next.value.length;
      }
    }
  }

  /** Up to `n` bytes; fewer only at the end of the stream. */
  async read(n: number): Promise<Buffer> {
    await this.fill(n);
    const all = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.buffered);
    const rest = all.subarray(n);
    this.parts = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return all.subarray(0, n);
  }

  async atEnd(): Promise<boolean> {
    await this.fill(1);
    return this.buffered === 0;
  }
}

/**
 * Decrypts the format above, yielding each record's plaintext only after its tag verified. Throws
 * DecryptionError, which never carries plaintext or key material.
 */
export async function* decryptStream(
  stored: AsyncIterable<Buffer>,
  keys: readonly MasterKey[],
  context: CipherContext,
): AsyncGenerator<Buffer> {
  const refuse = (reason: string) => new DecryptionError(context.area, context.key, reason);
  const source = stored[Symbol.asyncIterator]();
  try {
    const reader = new ByteReader(source);
    const header = await reader.read(HEADER_BYTES);
    if (header.length < HEADER_BYTES || !header.subarray(0, 3).equals(MAGIC)) {
      throw refuse('it is not in the encrypted object format (it was written without encryption, or its start is damaged)');
    }
    const version = header[3]!;
    if (version !== FORMAT_VERSION) {
      throw refuse(`it uses format version ${version}, which this release cannot read; upgrade, or restore the object`);
    }
    const keyId = header.subarray(4, 12);
    const masterKey = keys.find((k) => k.idBytes.equals(keyId));
    if (!masterKey) {
      throw refuse(
        `it was encrypted with master key ${keyId.toString('hex')}, and this store holds ${keys.map((k) => k.id).join(', ')}; ` +
          'configure the key file it was written with',
      );
    }
    const iv = header.subarray(12, 24);
    const dataKey = masterKey.deriveObjectKey(iv);
    const bound = boundData(header, context);
    for (let index = 0; ; index++) {
      const record = await reader.read(RECORD_BYTES);
      const last = await reader.atEnd();
      if (record.length < TAG_BYTES) throw refuse('it is truncated');
      const decipher = createDecipheriv('aes-256-gcm', dataKey, recordNonce(iv, index), { authTagLength: TAG_BYTES });
      decipher.setAAD(recordAad(bound, index, last));
      decipher.setAuthTag(record.subarray(record.length - TAG_BYTES));
      const plain = decipher.update(record.subarray(0, record.length - TAG_BYTES));
      try {
        decipher.final();
      } catch {
        plain.fill(0);
        throw refuse(
          'authentication failed: its bytes, content type or metadata were altered, or it was moved here from another key. ' +
            'Restore it from a backup or write it again',
        );
      }
      yield plain;
      if (last) return;
    }
  } finally {
    await source.return?.();
  }
}
