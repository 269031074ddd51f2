import { createHash, randomBytes } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * A body of `total` random bytes produced lazily in odd-sized chunks (so they never line up with part
 * or record boundaries), with the SHA-256 of what it produced.
 */
export const randomStream = (total: number, chunkSize = 777_777) => {
  const hash = createHash('sha256');
  let produced = 0;
  async function* body(): AsyncGenerator<Buffer> {
    while (produced < total) {
      // Produced as a network stream would be: a chunk per turn of the event loop.
      await nextTurn();
      const chunk = randomBytes(Math.min(chunkSize, total - produced));
      hash.update(chunk);
      produced += chunk.length;
      yield chunk;
    }
  }
  return { body: body(), digest: () => hash.digest('hex'), produced: () => produced };
};

/** Yields `bytes` random bytes, then fails with `error`, like a client connection that drops mid-upload. */
export async function* failingStream(bytes: number, error: Error): AsyncGenerator<Buffer> {
  let sent = 0;
  while (sent < bytes) {
    await nextTurn();
    const chunk = randomBytes(Math.min(1 << 20, bytes - sent));
    sent += chunk.length;
    yield chunk;
  }
  await nextTurn();
  throw error;
}

export const sha256Of = async (stream: AsyncIterable<unknown>) => {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
    hash.update(bytes);
    size += bytes.length;
  }
  return { digest: hash.digest('hex'), size };
};

export const collect = async (stream: AsyncIterable<unknown>) => {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(parts);
};
