import { once, type EventEmitter } from 'node:events';
import { createDtlsServer, type DtlsServer, type DtlsServerOptions, type DtlsSession, type HandshakeFailedEvent } from '../../../functions/dtls/index.ts';

/** The key every test device uses unless a test says otherwise (16 bytes, as RFC 7925 §4.2 recommends). */
export const KEY = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

export interface TestServer {
  readonly server: DtlsServer;
  readonly port: number;
  readonly sessions: DtlsSession[];
  readonly failures: HandshakeFailedEvent[];
  /** identity → key; tests may change it to rotate or revoke keys. */
  readonly keys: Map<string, Buffer>;
}

export const startServer = async (options: DtlsServerOptions = {}, keys = new Map([['dev1', KEY]])): Promise<TestServer> => {
  const server = await createDtlsServer({ host: '127.0.0.1', port: 0, pskLookup: (id) => Promise.resolve(keys.get(id.toString('utf8'))), options });
  const sessions: DtlsSession[] = [];
  const failures: HandshakeFailedEvent[] = [];
  server.on('session', (s) => sessions.push(s));
  server.on('handshakeFailed', (f) => failures.push(f));
  return { server, port: server.address().port, sessions, failures, keys };
};

/** The next emission of `event`, failing the test after `ms` instead of hanging it. */
export const nextEvent = async <T = unknown>(emitter: EventEmitter, event: string, ms = 5000): Promise<T> => {
  const [value] = (await once(emitter, event, { signal: AbortSignal.timeout(ms) })) as [T];
  return value;
};
