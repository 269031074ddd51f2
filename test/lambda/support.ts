import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createIotDataPlaneClient } from '../../functions/lambda/iotDataPlanePublisher.ts';
import type { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';

export interface ReceivedPublish {
  readonly method: string;
  /** The path as sent, still percent-encoded. */
  readonly path: string;
  /** The topic, decoded from the path (`/topics/{topic}`). */
  readonly topic: string;
  readonly query: Record<string, string>;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface LocalDataPlane {
  /** http://127.0.0.1:<port>, for the SDK client's `endpoint`. */
  readonly endpoint: string;
  readonly received: ReceivedPublish[];
  /** The next request is answered with this error, as the IoT data plane answers (x-amzn-ErrorType). */
  refuseNext(status: number, errorType: string, message: string): void;
  /** A client of this endpoint, as the Lambdas build theirs, with test credentials. */
  client(options?: { readonly logger?: Logger }): IoTDataPlaneClient;
  close(): Promise<void>;
}

export interface Logger {
  debug(...content: unknown[]): void;
  info(...content: unknown[]): void;
  warn(...content: unknown[]): void;
  error(...content: unknown[]): void;
}

/**
 * An HTTP server on a loopback ephemeral port standing in for the IoT data plane's REST endpoint:
 * it records each request as it arrives on the wire (method, path, query, headers, body) and
 * answers 200 `{}` as Publish does, or the refusal it was told to give.
 */
export const startLocalDataPlane = async (): Promise<LocalDataPlane> => {
  const received: ReceivedPublish[] = [];
  const refusals: { status: number; errorType: string; message: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://local');
      const path = url.pathname;
      received.push({
        method: req.method ?? '',
        path,
        topic: path.startsWith('/topics/') ? decodeURIComponent(path.slice('/topics/'.length)) : '',
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      const refusal = refusals.shift();
      if (refusal) {
        res.writeHead(refusal.status, { 'content-type': 'application/json', 'x-amzn-errortype': refusal.errorType, 'x-amzn-requestid': `req-${received.length}` });
        res.end(JSON.stringify({ message: refusal.message }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': `req-${received.length}` });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: IoTDataPlaneClient[] = [];
  return {
    endpoint,
    received,
    refuseNext: (status, errorType, message) => void refusals.push({ status, errorType, message }),
    client(options = {}) {
      const client = createIotDataPlaneClient({
        endpoint,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' },
        // One attempt: a refusal the test asks for is the one the adapter sees.
        maxAttempts: 1,
        ...(options.logger ? { logger: options.logger } : {}),
      });
      clients.push(client);
      return client;
    },
    async close() {
      for (const c of clients) c.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
};

/** Every line an SDK logger was given, as text (bytes spelled out as the text they hold, so a key cannot hide in a Buffer). */
export const capturingLogger = () => {
  const lines: string[] = [];
  const bytesAsText = (_k: string, x: unknown): unknown => {
    if (x instanceof Uint8Array) return Buffer.from(x).toString('utf8');
    // A Buffer has already become { type: 'Buffer', data: [...] } through its toJSON.
    const o = x as { type?: unknown; data?: unknown } | null;
    if (o !== null && typeof o === 'object' && o.type === 'Buffer' && Array.isArray(o.data)) return Buffer.from(o.data as number[]).toString('utf8');
    return x;
  };
  const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v, bytesAsText));
  const push =
    (level: string) =>
    (...content: unknown[]) =>
      void lines.push(`${level} ${content.map(show).join(' ')}`);
  return { lines, logger: { debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') } };
};

/** The error a call fails with; a call that succeeds fails the test instead. */
export const failureOf = async (call: Promise<unknown>): Promise<Error> => {
  try {
    await call;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`the call failed with a non-Error: ${String(error)}`);
  }
  throw new Error('the call succeeded, but it was expected to fail');
};
