import { startBridge, type Bridge } from '../../../functions/bridge/bridge.ts';
import type { Lwm2mLog } from '../../../functions/lwm2m/log.ts';
import { startLwm2mServer, type Lwm2mServer, type Lwm2mServerOptions } from '../../../functions/lwm2m/lwm2mServer.ts';
import { createBridgeIdentity, type BridgeIdentity } from '../../../functions/registry/bridgeIdentity.ts';
import type { DeviceRegistry } from '../../../functions/registry/deviceRegistry.ts';
import type { RunningModule } from '../runtime.ts';
import type { SystemModule } from '../system.ts';

export interface Lwm2mBridgeModuleOptions {
  /** Default `local`. */
  readonly bridgeId?: string;
  /** Server options beyond host and port (timing, queue, limits...), for tests and tuning. */
  readonly lwm2m?: Omit<Lwm2mServerOptions, 'host' | 'port' | 'transport' | 'log'>;
  /** Pause between MQTT reconnect attempts (default 2 s). */
  readonly reconnectPeriodMs?: number;
}

export interface RunningLwm2mBridge extends RunningModule {
  /** The LwM2M server devices register with (FLEET_LWM2M_HOST:FLEET_LWM2M_PORT). */
  readonly server: Lwm2mServer;
  /** The bridge's thing, certificate and policy in the registry. */
  readonly identity: BridgeIdentity;
  /** The bridge, once connect() has run. */
  readonly bridge: Bridge | undefined;
  /**
   * Connects the bridge to the embedded broker over TLS with its own certificate. Separate from
   * start because the broker's port is known to the system only once it has started (FLEET_MQTT_PORT
   * may be 0): main.ts calls it right after startEmbeddedSystem, with `runtime.mqtt.port`.
   */
  connect(brokerPort: number): Promise<Bridge>;
}

/** A broker listening on every interface is reached on loopback, which its certificate names. */
const loopbackFor = (host: string): string => (host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host);

const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

/**
 * The LwM2M server and one LwM2M-to-MQTT bridge in the embedded system: the server listens on UDP
 * (FLEET_LWM2M_HOST, FLEET_LWM2M_PORT), and the bridge reaches the embedded broker over mutual TLS
 * as the thing `bridge:<id>` with the bridge policy, exactly as a bridge on another host would:
 * the broker, not in-process calls, carries everything between it and the backend.
 *
 * Each start issues the bridge a fresh certificate (its key lives in memory only); stop retires it.
 */
export const lwm2mBridgeModule = (options: Lwm2mBridgeModuleOptions = {}, onStarted?: (m: RunningLwm2mBridge) => void): SystemModule => ({
  name: 'lwm2m-bridge',
  create: ({ registry, ca }) => ({
    name: 'lwm2m-bridge',
    async start(ctx) {
      const bridgeId = options.bridgeId ?? 'local';
      const log: Lwm2mLog = {
        info: (details, message) => ctx.log.info(details, message),
        warn: (details, message) => ctx.log.warn(details, message),
        error: (details, message) => ctx.log.error(details, message),
      };
      const server = await startLwm2mServer({ ...options.lwm2m, host: ctx.config.lwm2m.host, port: ctx.config.lwm2m.port, log });
      let identity: BridgeIdentity;
      try {
        identity = await createBridgeIdentity(registry, bridgeId);
      } catch (error) {
        await server.close();
        throw error;
      }
      const { address, port } = server.address();
      let bridge: Bridge | undefined;
      let connecting: Promise<Bridge> | undefined;
      const running: RunningLwm2mBridge = {
        server,
        identity,
        get bridge() {
          return bridge;
        },
        endpoints: { coap: `coap://${urlHost(address)}:${port}` },
        health: () => (bridge?.stats().mqtt.connected === true ? 'up' : 'down'),
        connect(brokerPort) {
          connecting ??= startBridge({
            bridgeId,
            mqtt: {
              url: `mqtts://${urlHost(loopbackFor(ctx.config.mqtt.host))}:${brokerPort}`,
              ca: ca.certificatePem,
              cert: identity.certificatePem,
              key: identity.privateKeyPem,
              ...(options.reconnectPeriodMs !== undefined ? { reconnectPeriodMs: options.reconnectPeriodMs } : {}),
            },
            lwm2m: server,
            ...(options.lwm2m?.queue?.awakeMs !== undefined ? { queueAwakeMs: options.lwm2m.queue.awakeMs } : {}),
            ...(options.lwm2m?.scheduler !== undefined ? { scheduler: options.lwm2m.scheduler } : {}),
            log,
          }).then((b) => (bridge = b));
          return connecting;
        },
        async stop() {
          // The bridge publishes `offline` while the broker is still up (this module stops before it).
          if (connecting) await connecting.then((b) => b.close(), () => undefined);
          await server.close();
          await retire(registry, identity, log);
        },
      };
      onStarted?.(running);
      return running;
    },
  }),
});

/** The certificate of this run is never used again: detached, revoked and deleted, so restarts leave nothing behind. */
const retire = async (registry: DeviceRegistry, identity: BridgeIdentity, log: Lwm2mLog): Promise<void> => {
  try {
    await registry.detachPolicy(identity.policyName, identity.certificateId);
    await registry.detachThingPrincipal(identity.thingName, identity.certificateId);
    await registry.deactivateCertificate(identity.certificateId, { status: 'REVOKED' });
    await registry.deleteCertificate(identity.certificateId);
  } catch (error) {
    log.warn({ certificateId: identity.certificateId, err: error }, 'the bridge certificate of this run could not be retired; revoke it by hand');
  }
};
