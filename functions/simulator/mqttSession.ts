import mqtt, { type MqttClient } from 'mqtt';
import type { MqttCredentials } from './mqttCredentials.ts';

/**
 * The device's MQTT connection, made from the credentials the bootstrap wrote to object 18830:
 * MQTT 3.1.1 (what aedes and most constrained devices speak), mutual TLS with the delivered
 * certificate and key, the trust anchor as the only CA, the client id as written. mqtt.js keeps
 * reconnecting with its own timer (`reconnectMs`); the simulator's clock does not drive it.
 */

export interface MqttSessionHooks {
  readonly connected: () => void;
  readonly disconnected: () => void;
  readonly error: (message: string) => void;
}

export interface MqttSessionOptions {
  /** Pause between reconnection attempts. Default 5000 ms; 0 never reconnects. */
  readonly reconnectMs?: number;
  /** Default 10,000 ms. */
  readonly connectTimeoutMs?: number;
}

export class MqttSession {
  private readonly client: MqttClient;
  private stopped = false;
  /** QoS 1 publishes sent and not yet acknowledged. */
  inFlight = 0;

  constructor(
    readonly credentials: MqttCredentials,
    hooks: MqttSessionHooks,
    options: MqttSessionOptions = {},
  ) {
    const { tls } = credentials;
    this.client = mqtt.connect(credentials.uri, {
      clientId: credentials.clientId,
      protocolVersion: 4,
      clean: credentials.cleanSession,
      keepalive: credentials.keepAliveSeconds,
      reconnectPeriod: options.reconnectMs ?? 5000,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      ...(credentials.username !== undefined ? { username: credentials.username } : {}),
      ...(credentials.password !== undefined ? { password: credentials.password } : {}),
      ...(tls !== undefined ? { ca: tls.trustAnchorPem, cert: tls.certificatePem, key: tls.privateKeyPem, rejectUnauthorized: true } : {}),
    });
    this.client.on('connect', () => hooks.connected());
    this.client.on('close', () => {
      if (!this.stopped) hooks.disconnected();
    });
    this.client.on('error', (error) => hooks.error(error.message));
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /**
   * Publishes at QoS 1 and resolves on PUBACK. A connection that drops may leave the promise
   * pending until mqtt.js resends the message after reconnecting; callers do not wait on it.
   */
  async publish(topic: string, payload: Uint8Array): Promise<void> {
    this.inFlight += 1;
    try {
      await this.client.publishAsync(topic, Buffer.from(payload), { qos: 1 });
    } finally {
      this.inFlight -= 1;
    }
  }

  /** Closes the connection at once; unacknowledged publishes are dropped. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.client.endAsync(true);
  }
}
