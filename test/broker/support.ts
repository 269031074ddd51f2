import mqtt, { ErrorWithSubackPacket, type IClientOptions, type MqttClient } from 'mqtt';
import type { BrokerLog } from '../../functions/broker/embeddedBroker.ts';
import type { IssuedCertificate } from '../../functions/registry/localCa.ts';

/**
 * Gives a promise its own deadline. A denied publish drops the connection and the mqtt client's
 * promise for it may never settle, so every wait in these tests goes through here.
 */
export const within = <T>(ms: number, what: string, promise: Promise<T>): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing happened within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
};

export interface LogEntry {
  readonly level: 'warn' | 'error';
  readonly details: Record<string, unknown>;
  readonly message: string;
}

/** A broker log that tests can wait on: "the n-th refusal of this kind has been logged". */
export const recordingLog = () => {
  const entries: LogEntry[] = [];
  const waiters: { kind: string; count: number; resolve: () => void }[] = [];
  const count = (kind: string) => entries.filter((e) => e.details.refusal === kind).length;
  const record = (level: LogEntry['level']) => (details: object, message: string) => {
    entries.push({ level, details: details as Record<string, unknown>, message });
    for (const w of [...waiters]) {
      if (count(w.kind) >= w.count) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const log: BrokerLog = { warn: record('warn'), error: record('error') };
  return {
    log,
    entries,
    count,
    /** Resolves once `n` refusals of `kind` have been logged in all (at once if they already have). */
    untilCount: (kind: string, n: number) =>
      within(5_000, `waiting for refusal #${n} of kind ${kind}`, new Promise<void>((resolve) => {
        if (count(kind) >= n) resolve();
        else waiters.push({ kind, count: n, resolve });
      })),
  };
};

export interface Connection {
  readonly client: MqttClient;
  /** Settles with the outcome of the connection attempt: CONNACK 0, or the error. */
  readonly connected: Promise<void>;
  /** Resolves when the connection is gone for good. */
  readonly closed: Promise<void>;
}

export interface ConnectOptions {
  readonly port: number;
  readonly clientId: string;
  readonly caPem: string;
  readonly identity?: IssuedCertificate;
  readonly will?: IClientOptions['will'];
  readonly protocol?: 'mqtts' | 'mqtt';
  readonly username?: string;
  readonly password?: string;
}

/** A real MQTT 3.1.1 client that never reconnects, so one refusal is one outcome. */
export const connect = (options: ConnectOptions): Connection => {
  const client = mqtt.connect({
    protocol: options.protocol ?? 'mqtts',
    host: '127.0.0.1',
    port: options.port,
    clientId: options.clientId,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ca: options.caPem,
    ...(options.identity ? { cert: options.identity.certificatePem, key: options.identity.privateKeyPem } : {}),
    ...(options.will ? { will: options.will } : {}),
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
  });
  // Errors are observed through `connected`; an unhandled 'error' event must not crash the run.
  client.on('error', () => undefined);
  const connected = within(
    8_000,
    `connecting ${options.clientId}`,
    new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error(`${options.clientId}: connection closed before CONNACK`)));
    }),
  );
  connected.catch(() => undefined);
  const closed = new Promise<void>((resolve) => {
    if (client.disconnected) resolve();
    client.once('close', () => resolve());
  });
  return { client, connected, closed };
};

export const end = (client: MqttClient) => within(5_000, 'closing a client', client.endAsync(true));

/**
 * The SUBACK return code per filter (1 granted at QoS 1, 128 refused). mqtt.js rejects a SUBACK that
 * holds a failure, with the packet attached; this reads the codes either way.
 */
export const subscribeCodes = async (client: MqttClient, filters: string | string[], qos: 0 | 1 | 2 = 1): Promise<number[]> => {
  try {
    const granted = await within(5_000, 'SUBACK', client.subscribeAsync(filters, { qos }));
    return granted.map((g) => g.qos);
  } catch (error) {
    if (error instanceof ErrorWithSubackPacket && error.packet.cmd === 'suback') return [...error.packet.granted].map(Number);
    throw error;
  }
};

/** The next message the client receives, as [topic, payload]. */
export const nextMessage = (client: MqttClient, what: string) =>
  within(5_000, what, new Promise<[string, Buffer]>((resolve) => client.once('message', (topic, payload) => resolve([topic, payload]))));
