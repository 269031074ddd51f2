import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What /health answers: healthy or not, and why, in words an operator reading the task's logs understands. */
export interface HealthReport {
  readonly healthy: boolean;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The bridge's health endpoint for the load balancer and the container health check: UDP has no
 * health check of its own, so the NLB asks `GET /health` over HTTP. 200 when `check()` says healthy,
 * 503 otherwise, a small JSON body either way; anything else is 404 or 405. It reads no request body
 * and keeps no connection open, so a caller cannot make it hold memory.
 */
export const startHealthServer = async (options: { readonly host: string; readonly port: number; readonly check: () => HealthReport }): Promise<HealthServer> => {
  const server: Server = createServer((req, res) => {
    res.setHeader('connection', 'close');
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/health') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found: the bridge serves GET /health only"}');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' }).end('{"error":"use GET"}');
      return;
    }
    let report: HealthReport;
    try {
      report = options.check();
    } catch (error) {
      report = { healthy: false, detail: { error: error instanceof Error ? error.message : String(error) } };
    }
    const body = JSON.stringify({ status: report.healthy ? 'ok' : 'unhealthy', ...report.detail });
    res.writeHead(report.healthy ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  server.headersTimeout = 5_000;
  server.requestTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
