import { Readable } from 'node:stream';
import { InvalidObjectRequestError, quoteKey, type ObjectBody } from './objectStore.ts';

/** The body as one buffer when its length is known up front (buffer or string), else undefined. */
export const wholeBody = (body: ObjectBody): Buffer | undefined => {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return undefined;
};

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';

/** Fails before any I/O when `body` is none of the accepted kinds. */
export const checkBody = (key: string, body: unknown): ObjectBody => {
  if (typeof body === 'string' || body instanceof Uint8Array || body instanceof Readable || isAsyncIterable(body)) return body as ObjectBody;
  throw new InvalidObjectRequestError(
    `Body for ${quoteKey(key)} must be a Buffer, Uint8Array, string, Readable or async iterable of bytes, not ${body === null ? 'null' : typeof body}.`,
  );
};

/** The body as a sequence of buffers, pulled one at a time (streams are never gathered). */
export async function* bodyChunks(body: ObjectBody): AsyncGenerator<Buffer> {
  const whole = wholeBody(body);
  if (whole) {
    yield whole;
    return;
  }
  for await (const chunk of body as AsyncIterable<unknown>) {
    if (typeof chunk === 'string') yield Buffer.from(chunk, 'utf8');
    else if (chunk instanceof Uint8Array) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    else throw new InvalidObjectRequestError(`A body stream yielded ${typeof chunk}; it must yield bytes (Buffer or Uint8Array) or strings.`);
  }
}

/** Reads a stream to its end into one buffer. */
export const readAll = async (stream: AsyncIterable<unknown>): Promise<Buffer> => {
  const parts: Buffer[] = [];
  for await (const chunk of bodyChunks(stream as ObjectBody)) parts.push(chunk);
  return Buffer.concat(parts);
};

/**
 * Re-cuts a byte stream into blocks of exactly `size` bytes (the last may be shorter, or empty when
 * the stream is). Memory stays at about one block.
 */
export async function* blocksOf(chunks: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let yielded = false;
  for await (let chunk of chunks) {
    while (pendingBytes + chunk.length >= size) {
      const take = size - pendingBytes;
      pending.push(chunk.subarray(0, take));
      chunk = chunk.subarray(take);
      yield Buffer.concat(pending, size);
      yielded = true;
      pending = [];
      pendingBytes = 0;
    }
    if (chunk.length > 0) {
      pending.push(chunk);
      pendingBytes += chunk.length;
    }
  }
  if (pendingBytes > 0 || !yielded) yield Buffer.concat(pending, pendingBytes);
}

/** Marks an error thrown by the caller's body stream, so adapters rethrow it as it is, not as a storage failure. */
export class BodyStreamError extends Error {
  constructor(readonly original: unknown) {
    super('the body stream failed', { cause: original });
  }
}

/** Wraps the body's own errors in BodyStreamError (errors of the consumer never pass through here). */
export async function* guarded(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* chunks;
  } catch (error) {
    throw new BodyStreamError(error);
  }
}
