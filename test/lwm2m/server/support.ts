import { startLwm2mServer, type Lwm2mServer, type Lwm2mServerOptions } from '../../../functions/lwm2m/lwm2mServer.ts';
import type { Lwm2mLog } from '../../../functions/lwm2m/log.ts';

/** Gives a promise its own deadline, so a test that would hang fails with a reason instead. */
export const within = <T>(ms: number, what: string, promise: Promise<T>): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing happened within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
};

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly details: Record<string, unknown>;
  readonly message: string;
}

/** A server log tests can read: every line kept, nothing printed. */
export const recordingLog = (): { log: Lwm2mLog; lines: LogLine[] } => {
  const lines: LogLine[] = [];
  const record = (level: LogLine['level']) => (details: object, message: string) => {
    lines.push({ level, details: details as Record<string, unknown>, message });
  };
  return { log: { info: record('info'), warn: record('warn'), error: record('error') }, lines };
};

/**
 * A server on an ephemeral loopback port. CoAP timing is shorter than the RFC's (a CON nobody
 * acknowledges fails after 100 + 200 + 400 + 800 + 1600 ms instead of 93 s) yet roomy enough that
 * a loaded CI machine never turns a normal exchange into a timeout; the timeout tests set their own.
 */
export const startTestServer = async (overrides: Lwm2mServerOptions = {}): Promise<{ server: Lwm2mServer; lines: LogLine[]; port: number }> => {
  const { log, lines } = recordingLog();
  const server = await startLwm2mServer({
    port: 0,
    log,
    timing: { ackTimeoutMs: 100, ackRandomFactor: 1, maxRetransmit: 4, maxLatencyMs: 1000 },
    random: () => 0,
    ...overrides,
  });
  return { server, lines, port: server.address().port };
};

/** Resolves with the next event of that name (the listener removes itself). */
export const nextEvent = <T>(emitter: { once(name: string, listener: (value: T) => void): unknown }, name: string): Promise<T> =>
  within(5_000, `waiting for '${name}'`, new Promise<T>((resolve) => emitter.once(name, resolve)));
