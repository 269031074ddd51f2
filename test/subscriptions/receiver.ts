import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the webhook receiver got it: raw body text, headers lower-cased by Node. */
export interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export type Reply = { readonly status: number; readonly headers?: Record<string, string>; readonly body?: string } | 'hold';

/**
 * A real HTTP receiver on loopback (ephemeral port) for webhook tests. `respond` decides each
 * answer; 'hold' never answers (the request stays open until the sender gives up or the receiver
 * closes). `until(n)` resolves once n requests have arrived: tests wait on it, never on time.
 */
export const startReceiver = async (respond: (request: Received, index: number) => Reply = () => ({ status: 200 })) => {
  const received: Received[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const held: ServerResponse[] = [];
  let answer = respond;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const index = received.push(request) - 1;
      const reply = answer(request, index);
      if (reply === 'hold') held.push(res);
      else res.writeHead(reply.status, reply.headers).end(reply.body ?? '');
      for (const w of [...waiters]) {
        if (received.length >= w.count) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    /** Changes how later requests are answered. */
    answerWith(next: (request: Received, index: number) => Reply) {
      answer = next;
    },
    until: (count: number) =>
      new Promise<void>((resolve) => {
        if (received.length >= count) resolve();
        else waiters.push({ count, resolve });
      }),
    /** Answers every held request now. */
    release(status = 200) {
      for (const res of held.splice(0)) if (!res.writableEnded) res.writeHead(status).end();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
