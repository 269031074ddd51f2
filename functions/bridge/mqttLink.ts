import mqtt, { ErrorWithSubackPacket, type MqttClient } from 'mqtt';
import type { Lwm2mLog } from '../lwm2m/log.ts';
import { PublishWindow } from './publishWindow.ts';

/**
 * The bridge's MQTT connection: MQTT 3.1.1 over mutual TLS (what aedes and AWS IoT Core share),
 * client id = the bridge's thing name = its certificate's CN, QoS 1 for everything.
 *
 * On every (re)connect it subscribes again and then calls `onConnected`; mqtt.js' own resubscribe
 * is off, so a refused subscription is seen and logged each time rather than assumed. The session
 * is clean: a command sent while the bridge was away has no bridge to wait for (the backend sees
 * the bridge's `offline` will and ignores commands for its devices), and a stale command replayed
 * later would act on a device long after the operator asked.
 */

export interface MqttLinkOptions {
  /** mqtts://host:port */
  readonly url: string;
  /** PEM: the CA that signs the broker's certificate (AWS: Amazon's root CA). */
  readonly ca: string;
  /** PEM: the bridge's certificate and private key. */
  readonly cert: string;
  readonly key: string;
  readonly clientId: string;
  readonly will: { readonly topic: string; readonly payload: string };
  readonly subscriptions: readonly string[];
  /** Pause between reconnect attempts. Default 2 s. */
  readonly reconnectPeriodMs?: number;
  /** The first connection must be up (and subscribed) within this. Default 30 s. */
  readonly connectTimeoutMs?: number;
  /** QoS 1 publishes awaiting their PUBACK at once (publishWindow.ts). Default 100, AWS IoT Core's in-flight quota per client. */
  readonly maxInFlight?: number;
  /** Publishes waiting behind those before new ones are refused. Default 100,000. */
  readonly maxQueued?: number;
  readonly log: Lwm2mLog;
  /** Subscribed: `first` on the first connection, false after a reconnect. */
  readonly onConnected: (first: boolean) => void;
  readonly onMessage: (topic: string, payload: Buffer) => void;
}

export interface MqttLink {
  /** Resolves once connected and subscribed the first time; rejects (and gives up) if that fails. */
  readonly ready: Promise<void>;
  readonly connected: boolean;
  readonly connects: number;
  /** Publishes awaiting their PUBACK, and waiting behind them. */
  readonly inFlight: number;
  readonly queued: number;
  /**
   * QoS 1; resolves on PUBACK. Up to `maxInFlight` are on their way at once (while disconnected
   * they wait in mqtt.js' queue), the rest wait their turn in order; past `maxQueued` waiting, or
   * once the link is closing, it rejects with PublishRefused.
   */
  publish(topic: string, payload: string | Uint8Array, options?: { readonly retain?: boolean }): Promise<void>;
  /** Publishes `last` (waiting at most `timeoutMs` for its PUBACK), then disconnects cleanly. */
  close(last?: { readonly topic: string; readonly payload: string; readonly retain: boolean }, timeoutMs?: number): Promise<void>;
}

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> => {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
};

export const openMqttLink = (options: MqttLinkOptions): MqttLink => {
  const { log } = options;
  const client: MqttClient = mqtt.connect(options.url, {
    protocolVersion: 4,
    clientId: options.clientId,
    clean: true,
    resubscribe: false,
    reconnectPeriod: options.reconnectPeriodMs ?? 2_000,
    connectTimeout: 10_000,
    keepalive: 30,
    ca: options.ca,
    cert: options.cert,
    key: options.key,
    rejectUnauthorized: true,
    will: { topic: options.will.topic, payload: Buffer.from(options.will.payload), qos: 1, retain: true },
  });
  let connects = 0;
  let closing = false;
  let settled = false;
  let resolveReady: () => void = () => undefined;
  let rejectReady: (error: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  const fail = (error: Error) => {
    if (settled) return;
    settled = true;
    rejectReady(error);
  };
  const timer = setTimeout(
    () => fail(new Error(`the bridge could not connect to ${options.url} within ${options.connectTimeoutMs ?? 30_000} ms: check the broker address, its CA and the bridge's certificate`)),
    options.connectTimeoutMs ?? 30_000,
  );
  void ready.then(
    () => clearTimeout(timer),
    () => {
      clearTimeout(timer);
      client.end(true);
    },
  );

  const subscribe = async (): Promise<void> => {
    let granted: number[];
    try {
      granted = (await client.subscribeAsync([...options.subscriptions], { qos: 1 })).map((g) => g.qos);
    } catch (error) {
      if (!(error instanceof ErrorWithSubackPacket) || error.packet.cmd !== 'suback') throw error;
      granted = [...error.packet.granted].map(Number);
    }
    const refused = options.subscriptions.filter((_, i) => (granted[i] ?? 128) >= 128);
    if (refused.length > 0) {
      throw new Error(`the broker refused the subscription to ${refused.join(', ')}: attach the bridge policy (functions/registry/devicePolicy.ts bridgePolicy) to this bridge's certificate`);
    }
  };

  client.on('connect', () => {
    connects += 1;
    const first = connects === 1;
    subscribe().then(
      () => {
        if (first && !settled) {
          settled = true;
          resolveReady();
        }
        options.onConnected(first);
      },
      (error: unknown) => {
        log.error({ err: error }, 'subscribing after connecting failed; commands will not reach this bridge until it reconnects');
        if (first) fail(error as Error);
      },
    );
  });
  client.on('message', (topic, payload) => options.onMessage(topic, payload));
  // Errors are reported here and mqtt.js reconnects by itself; without a listener they would crash the process.
  client.on('error', (error) => {
    if (!settled) fail(new Error(`the bridge could not connect to ${options.url}: ${error.message}`, { cause: error }));
    else log.warn({ err: error }, 'the MQTT connection reported an error; reconnecting');
  });
  client.on('close', () => {
    if (settled && !closing) log.warn({ url: options.url }, 'the MQTT connection closed; reconnecting');
  });

  const outgoing = new PublishWindow<{ topic: string; payload: string | Uint8Array; retain: boolean }>(
    ({ topic, payload, retain }) =>
      new Promise<void>((resolve, reject) => {
        client.publish(topic, typeof payload === 'string' ? payload : Buffer.from(payload), { qos: 1, retain }, (error) => (error ? reject(error) : resolve()));
      }),
    { maxInFlight: options.maxInFlight ?? 100, maxQueued: options.maxQueued ?? 100_000 },
  );
  const publish = (topic: string, payload: string | Uint8Array, publishOptions: { readonly retain?: boolean } = {}) =>
    outgoing.submit({ topic, payload, retain: publishOptions.retain ?? false });

  return {
    ready,
    get connected() {
      return client.connected;
    },
    get connects() {
      return connects;
    },
    get inFlight() {
      return outgoing.inFlight;
    },
    get queued() {
      return outgoing.queued;
    },
    publish,
    async close(last, timeoutMs = 5_000) {
      if (closing) return;
      closing = true;
      fail(new Error('the bridge was closed before it connected'));
      if (last !== undefined && client.connected) {
        // Behind whatever still waits, so the goodbye is the last thing the backend hears.
        const sent = await withTimeout(publish(last.topic, last.payload, { retain: last.retain }).catch(() => 'failed' as const), timeoutMs);
        if (sent !== undefined) log.warn({ topic: last.topic, outcome: sent, stillWaiting: outgoing.queued }, 'the last message before disconnecting was not acknowledged');
      }
      outgoing.close('the bridge disconnected before this message could be published');
      const ended = await withTimeout(client.endAsync(false), timeoutMs);
      if (ended === 'timeout') await client.endAsync(true);
    },
  };
};
