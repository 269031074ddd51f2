import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AttemptResult } from './deliveryPolicy.ts';

export interface WebhookRequest {
  readonly url: URL;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The whole exchange, connect to last response byte (API destinations allow 5 s). */
  readonly timeoutMs: number;
  /** Aborting gives up the attempt without a result (the runtime is stopping). */
  readonly signal?: AbortSignal | undefined;
}

/** Sends one delivery attempt; never rejects except when aborted. */
export type WebhookSender = (request: WebhookRequest) => Promise<AttemptResult>;

export class DeliveryAbortedError extends Error {
  override name = 'DeliveryAbortedError';
}

/** How much of an error response is kept for the dead letter's message. */
const EXCERPT_BYTES = 1024;

/**
 * A webhook attempt over node:http(s): one connection per request (`Connection: close`, as API
 * destinations send), no redirects followed, the response body read only far enough to explain a
 * failure.
 */
export const sendWebhook: WebhookSender = ({ url, method, headers, body, timeoutMs, signal }) =>
  new Promise<AttemptResult>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DeliveryAbortedError('the delivery was aborted before it was sent'));
      return;
    }
    const payload = Buffer.from(body, 'utf8');
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    let req: ReturnType<typeof send>;
    try {
      req = send(url, { method, headers: { ...headers, connection: 'close', 'content-length': String(payload.length) }, agent: false });
    } catch (error) {
      // Headers are checked when the file is loaded; should Node still refuse the request, it counts as a failed attempt.
      resolve({ kind: 'network', message: `the request could not be made: ${(error as Error).message}` });
      return;
    }
    const timer = setTimeout(() => {
      finish(() => resolve({ kind: 'timeout', afterMs: timeoutMs }));
      req.destroy();
    }, timeoutMs);
    const onAbort = () => {
      finish(() => reject(new DeliveryAbortedError('the delivery was aborted: it stays queued and is sent again')));
      req.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error) => finish(() => resolve({ kind: 'network', message: error.message })));
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const retryAfter = res.headers['retry-after'];
      const success = status >= 200 && status < 300;
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on('data', (chunk: Buffer) => {
        if (success || kept >= EXCERPT_BYTES) return;
        chunks.push(chunk);
        kept += chunk.length;
      });
      const done = () =>
        finish(() =>
          resolve({
            kind: 'response',
            status,
            retryAfter,
            ...(success ? {} : { bodyExcerpt: Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8') }),
          }),
        );
      res.on('end', done);
      // A receiver that answered then dropped the connection still answered.
      res.on('error', done);
      res.on('aborted', done);
    });
    req.end(payload);
  });
