import type { DeviceRow } from '../../../events/projections/devices.ts';
import { startBridge, type Bridge } from '../../../functions/bridge/bridge.ts';
import { createAuthenticationFailureRecorder, type AuthenticationFailureRecorder } from '../../../functions/dtls/authenticationFailures.ts';
import { createDevicePskLookup } from '../../../functions/dtls/devicePskLookup.ts';
import { openDtlsTransport, type DtlsTransport } from '../../../functions/dtls/dtlsTransport.ts';
import type { DtlsServerOptions } from '../../../functions/dtls/options.ts';
import { followProvisionedDevicePsks, type ProvisionedDevicePsks } from '../../../functions/dtls/provisionedDevicePsks.ts';
import { reportRefusedHandshakes } from '../../../functions/dtls/refusedHandshakeReporter.ts';
import { combineSecureAndPlain } from '../../../functions/dtls/securePlainTransport.ts';
import { throttledWarn, type Lwm2mLog } from '../../../functions/lwm2m/log.ts';
import { startLwm2mServer, type Lwm2mServer, type Lwm2mServerOptions } from '../../../functions/lwm2m/lwm2mServer.ts';
import { openUdpTransport, type DatagramTransport, type PeerAddress } from '../../../functions/lwm2m/transport.ts';
import type { ObjectStore } from '../../../functions/objectStore/objectStore.ts';
import { createBridgeIdentity, type BridgeIdentity } from '../../../functions/registry/bridgeIdentity.ts';
import type { DeviceRegistry } from '../../../functions/registry/deviceRegistry.ts';
import type { RunningModule, RuntimeContext } from '../runtime.ts';
import type { SystemModule } from '../system.ts';

export interface Lwm2mBridgeModuleOptions {
  /** Default `local`. */
  readonly bridgeId?: string;
  /** Server options beyond host and port (timing, queue, limits...), for tests and tuning. */
  readonly lwm2m?: Omit<Lwm2mServerOptions, 'host' | 'port' | 'transport' | 'log'>;
  /** Pause between MQTT reconnect attempts (default 2 s). */
  readonly reconnectPeriodMs?: number;
  /** DTLS server options (timeouts, limits, suites), for tests and tuning. */
  readonly dtls?: DtlsServerOptions;
  /** Window of the DeviceAuthenticationFailed rate limit per identity (default 60 s), for tests. */
  readonly authenticationFailureWindowMs?: number;
}

export interface RunningLwm2mBridge extends RunningModule {
  /** The LwM2M server devices register with: coaps on FLEET_LWM2M_COAPS_PORT (and plain CoAP when enabled). */
  readonly server: Lwm2mServer;
  /** The DTLS transport (its `server.stats()` counts handshakes, failures and sessions). */
  readonly dtls: DtlsTransport;
  /** Where devices reach the server over DTLS. */
  readonly coaps: PeerAddress;
  /** Where devices reach it over plain CoAP, when FLEET_LWM2M_PLAIN_COAP=true; undefined otherwise. */
  readonly plainCoap: PeerAddress | undefined;
  /** Gives provisioned devices without a PSK a generated one (functions/dtls/provisionedDevicePsks.ts). */
  readonly psks: ProvisionedDevicePsks;
  /** Records refused handshakes and endpoint mismatches as DeviceAuthenticationFailed, rate limited per identity. */
  readonly authenticationFailures: AuthenticationFailureRecorder;
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

/** QoS 1 relays awaiting their PUBACK at once, bridge to embedded broker (measured: bench/suites/lwm2m.ts). */
const EMBEDDED_MAX_IN_FLIGHT = 512;

/** A broker listening on every interface is reached on loopback, which its certificate names. */
const loopbackFor = (host: string): string => (host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host);

const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

/**
 * The LwM2M server and one LwM2M-to-MQTT bridge in the embedded system. The server listens for CoAP
 * over DTLS (FLEET_LWM2M_HOST, FLEET_LWM2M_COAPS_PORT) with each device's own PSK, and for plain
 * CoAP on FLEET_LWM2M_PORT only when FLEET_LWM2M_PLAIN_COAP=true (development): one server over
 * both transports, so a device is held once whichever way it came and one bridge serves it. The
 * bridge reaches the embedded broker over mutual TLS as the thing `bridge:<id>` with the bridge
 * policy, exactly as a bridge on another host would: the broker, not in-process calls, carries
 * everything between it and the backend.
 *
 * Each start issues the bridge a fresh certificate (its key lives in memory only); stop retires it.
 */
export const lwm2mBridgeModule = (options: Lwm2mBridgeModuleOptions = {}, onStarted?: (m: RunningLwm2mBridge) => void): SystemModule => ({
  name: 'lwm2m-bridge',
  create: ({ registry, ca, objects }) => ({
    name: 'lwm2m-bridge',
    async start(ctx) {
      const bridgeId = options.bridgeId ?? 'local';
      const log: Lwm2mLog = {
        info: (details, message) => ctx.log.info(details, message),
        warn: (details, message) => ctx.log.warn(details, message),
        error: (details, message) => ctx.log.error(details, message),
      };
      const { host, port, coapsPort, plainCoap } = ctx.config.lwm2m;
      const opened: { close(): Promise<void> }[] = [];
      const undo = async () => {
        for (const o of opened.reverse()) await o.close().catch(() => undefined);
      };
      let dtls: DtlsTransport;
      let server: Lwm2mServer;
      let psks: ProvisionedDevicePsks;
      let identity: BridgeIdentity;
      let plainAddress: PeerAddress | undefined;
      const authenticationFailures = createAuthenticationFailureRecorder({
        bridgeId,
        append: (request) => ctx.events.append(request),
        isKnownDevice: (thingName) => ctx.projectionStore.getRow('devices', thingName) !== undefined,
        ...(options.authenticationFailureWindowMs === undefined ? {} : { windowMs: options.authenticationFailureWindowMs }),
        log,
      });
      opened.push({ close: () => authenticationFailures.stop() });
      try {
        dtls = await openSecureTransport(ctx, objects.credentials, host, coapsPort, options.dtls, log, authenticationFailures);
        opened.push(dtls);
        let transport: DatagramTransport = dtls;
        if (plainCoap) {
          const plain = await openUdpTransport({ host, port, onError: (error) => log.warn({ err: error }, 'the plain CoAP socket reported an error') });
          opened.push(plain);
          plainAddress = plain.localAddress();
          const warn = throttledWarn(log, () => Date.now());
          transport = combineSecureAndPlain(dtls, plain, {
            onPlainFromSecurePeer: (peer) => warn('plain-from-secure-peer', { peer: `${peer.address}:${peer.port}` }, 'a plain CoAP datagram came from the address and port of a DTLS peer; dropped'),
          });
        }
        server = await startLwm2mServer({ ...options.lwm2m, transport, log });
        opened.splice(1, opened.length - 1, server);
        const secure = dtls;
        server.events.on('identityRefused', ({ peer, identity, endpoint }) => {
          // Only a DTLS session has an identity; its device is who misbehaved, so the event goes to its stream.
          authenticationFailures.record({ reason: 'endpoint-mismatch', identity: secure.identityOf(peer) ?? identity, thingName: identity, remote: peer, endpoint });
        });
        psks = startPskFollower(ctx, objects.credentials, dtls, log);
        opened.push({ close: () => psks.stop() });
        identity = await createBridgeIdentity(registry, bridgeId);
      } catch (error) {
        await undo();
        throw error;
      }
      const coaps = dtls.localAddress();
      const endpoints: Record<string, string> = { coaps: `coaps://${urlHost(coaps.address)}:${coaps.port}` };
      if (plainAddress !== undefined) endpoints['coap'] = `coap://${urlHost(plainAddress.address)}:${plainAddress.port}`;
      let bridge: Bridge | undefined;
      let connecting: Promise<Bridge> | undefined;
      let stopping: Promise<void> | undefined;
      const running: RunningLwm2mBridge = {
        server,
        dtls,
        coaps,
        plainCoap: plainAddress,
        psks,
        authenticationFailures,
        identity,
        get bridge() {
          return bridge;
        },
        endpoints,
        health: () => (bridge?.stats().mqtt.connected === true ? 'up' : 'down'),
        connect(brokerPort) {
          connecting ??= startBridge({
            bridgeId,
            mqtt: {
              url: `mqtts://${urlHost(loopbackFor(ctx.config.mqtt.host))}:${brokerPort}`,
              ca: ca.certificatePem,
              cert: identity.certificatePem,
              key: identity.privateKeyPem,
              // The embedded broker has no in-flight quota (AWS IoT Core's is the bridge's default, 100), and
              // a fleet arriving on a busy machine needs more on the way: functions/bridge/README.md.
              maxInFlight: EMBEDDED_MAX_IN_FLIGHT,
              ...(options.reconnectPeriodMs !== undefined ? { reconnectPeriodMs: options.reconnectPeriodMs } : {}),
            },
            lwm2m: server,
            lwm2mEndpoints: Object.values(endpoints),
            ...(options.lwm2m?.queue?.awakeMs !== undefined ? { queueAwakeMs: options.lwm2m.queue.awakeMs } : {}),
            ...(options.lwm2m?.scheduler !== undefined ? { scheduler: options.lwm2m.scheduler } : {}),
            log,
          }).then((b) => (bridge = b));
          return connecting;
        },
        stop() {
          // Once: a second stop (a test that restarted the bridge, then the system stopping) must not
          // retire the bridge's certificate twice.
          stopping ??= (async () => {
            // The bridge publishes `offline` while the broker is still up (this module stops before it).
            if (connecting) await connecting.then((b) => b.close(), () => undefined);
            await psks.stop();
            // Closes the transports under it too.
            await server.close();
            // After the server: no handshake can fail any more; open windows are summed up now.
            await authenticationFailures.stop();
            await retire(registry, identity, log);
          })();
          return stopping;
        },
      };
      onStarted?.(running);
      return running;
    },
  }),
});

/** The DTLS transport with the fleet's PSKs: a device's own key, and only while it is in the fleet. */
const openSecureTransport = (
  ctx: RuntimeContext,
  credentials: ObjectStore,
  host: string,
  port: number,
  dtlsOptions: DtlsServerOptions | undefined,
  log: Lwm2mLog,
  failures: AuthenticationFailureRecorder,
): Promise<DtlsTransport> => {
  const lookup = createDevicePskLookup({
    credentials,
    // The devices projection, a few milliseconds behind the store at most: a handshake must not read a device's whole stream.
    deviceStatus: (thingName) => Promise.resolve((ctx.projectionStore.getRow('devices', thingName) as DeviceRow | undefined)?.status),
  });
  return openDtlsTransport({
    host,
    port,
    ...(dtlsOptions === undefined ? {} : { options: dtlsOptions }),
    pskLookup: async (identity) => {
      const psk = await lookup(identity);
      return psk && { key: psk.key, device: psk.thingName };
    },
    // A wrong key or an unknown identity becomes a DeviceAuthenticationFailed event (rate limited per identity).
    onHandshakeFailed: reportRefusedHandshakes(failures, throttledWarn(log, () => Date.now())),
  });
};

/** Follows the store from the devices projection's checkpoint; the projection's rows are the devices before it. */
const startPskFollower = (ctx: RuntimeContext, credentials: ObjectStore, dtls: DtlsTransport, log: Lwm2mLog): ProvisionedDevicePsks => {
  // Both read synchronously from one SQLite connection: the rows are exactly those as of the checkpoint.
  const after = ctx.projectionStore.checkpoint('devices')?.position ?? 0;
  const rows = after === 0 ? new Map<string, unknown>() : ctx.projectionStore.allRows('devices');
  const existing = [...rows.values()].flatMap((row) => {
    const device = row as DeviceRow;
    return device.status === 'deprovisioned' ? [] : [device.thingName];
  });
  return followProvisionedDevicePsks({
    events: ctx.events,
    credentials,
    after,
    existing,
    onDeprovisioned: (thingName) => {
      const closed = dtls.closeSessionsOf(thingName);
      if (closed > 0) log.info({ thingName, sessions: closed }, 'ended the DTLS sessions of a deprovisioned device');
    },
    log,
  });
};

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
