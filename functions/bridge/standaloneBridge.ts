import { createAuthenticationFailureLimiter, type AuthenticationFailureLimiter, type AuthenticationFailureLimiterOptions } from '../dtls/authenticationFailureLimiter.ts';
import { createDevicePskLookup, type DeviceStatusOf } from '../dtls/devicePskLookup.ts';
import { openDtlsTransport, type DtlsTransport } from '../dtls/dtlsTransport.ts';
import type { DtlsServerOptions } from '../dtls/options.ts';
import { reportRefusedHandshakes } from '../dtls/refusedHandshakeReporter.ts';
import { combineSecureAndPlain } from '../dtls/securePlainTransport.ts';
import { consoleLog, throttledWarn, type Lwm2mLog } from '../lwm2m/log.ts';
import { startLwm2mServer, type Lwm2mServer, type Lwm2mServerOptions } from '../lwm2m/lwm2mServer.ts';
import { openUdpTransport, type DatagramTransport, type PeerAddress } from '../lwm2m/transport.ts';
import type { ObjectStore } from '../objectStore/objectStore.ts';
import { startBridge, type Bridge, type BridgeOptions } from './bridge.ts';

/** CoAP over DTLS for the standalone bridge, with the store the devices' PSKs are read from. */
export interface StandaloneDtls {
  readonly host: string;
  readonly port: number;
  /** Plain CoAP on the bridge options' lwm2m host/port as well. */
  readonly plainCoap: boolean;
  /** The credentials area (on AWS the SSE-KMS bucket: S3 decrypts for a reader the key policy allows). */
  readonly credentials: ObjectStore;
  readonly options?: DtlsServerOptions;
  /**
   * The device's lifecycle status (on AWS: the Directory table), so that only a provisioned or
   * bootstrapped device gets a session. Without it, a device counts as in the fleet while its PSK
   * object exists (deprovisioning deletes it).
   */
  readonly deviceStatus?: DeviceStatusOf;
  /** The auth-failed rate limit (window, bounds, clock); defaults as the embedded recorder's: 60 s, 10,000 identities, 600 reports a window. */
  readonly authenticationFailureLimits?: Pick<AuthenticationFailureLimiterOptions, 'windowMs' | 'maxTracked' | 'maxReportsPerWindow' | 'scheduler'>;
}

export interface StandaloneBridge {
  readonly bridge: Bridge;
  /** Where devices reach it over DTLS, when DTLS is on. */
  readonly coaps?: PeerAddress;
  /** Where devices reach it over plain CoAP, when that is on. */
  readonly coap?: PeerAddress;
  readonly dtls?: DtlsTransport;
  /** With DTLS: what decides which refused peers are reported on auth-failed (its stats count them). */
  readonly authenticationFailures?: AuthenticationFailureLimiter;
  /** `offline`, disconnect, then the LwM2M server and its transports. */
  close(): Promise<void>;
}

/** Until the bridge is connected there is nowhere to publish: reports wait for it (or fail with it). */
const deferred = <T>() => {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A report waiting on a bridge that never came is counted by the limiter; nothing else awaits this.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
};

/**
 * What functions/bridge/main.ts runs: the bridge, and with `dtls` an LwM2M server over the same
 * DTLS transport the embedded system uses (functions/dtls/dtlsTransport.ts), plain CoAP beside it
 * only when asked. Without `dtls.deviceStatus` there is no status source, so a device counts as in
 * the fleet while its PSK object exists: see the README's limits.
 *
 * Peers the DTLS server refuses (wrong key, unknown identity) and sessions that register under
 * another device's endpoint name go through the limiter the embedded recorder uses, and what it lets
 * through is published on `dt/lwm2m-bridge/<bridgeId>/auth-failed`, where the backend appends
 * DeviceAuthenticationFailed: the same events the embedded system records, at the same rate.
 */
export const startStandaloneBridge = async (options: BridgeOptions, dtls?: StandaloneDtls): Promise<StandaloneBridge> => {
  if (dtls === undefined) {
    const bridge = await startBridge(options);
    return { bridge, coap: bridge.server.address(), close: () => bridge.close() };
  }
  const log: Lwm2mLog = options.log ?? consoleLog;
  const serverOptions = options.lwm2m as Lwm2mServerOptions;
  const { host: plainHost, port: plainPort, ...rest } = serverOptions;
  const lookup = createDevicePskLookup({
    credentials: dtls.credentials,
    // Without a status source, the PSK object is the only fleet membership the bridge can read (README: limits).
    deviceStatus: dtls.deviceStatus ?? (() => Promise.resolve('provisioned')),
  });
  const warn = throttledWarn(log, () => Date.now());
  const connected = deferred<Bridge>();
  const authenticationFailures = createAuthenticationFailureLimiter({
    ...dtls.authenticationFailureLimits,
    what: 'an auth-failed message',
    sink: async (report) => (await connected.promise).reportAuthenticationFailure({ ...report, transport: 'coaps' }),
    log,
  });
  const opened: { close(): Promise<void> }[] = [{ close: () => authenticationFailures.stop() }];
  try {
    const secure = await openDtlsTransport({
      host: dtls.host,
      port: dtls.port,
      ...(dtls.options === undefined ? {} : { options: dtls.options }),
      pskLookup: async (identity) => {
        const psk = await lookup(identity);
        return psk && { key: psk.key, device: psk.thingName };
      },
      // A wrong key or an unknown identity becomes an auth-failed message (rate limited per identity).
      onHandshakeFailed: reportRefusedHandshakes(authenticationFailures, warn),
    });
    opened.push(secure);
    let transport: DatagramTransport = secure;
    let coap: PeerAddress | undefined;
    if (dtls.plainCoap) {
      const plain = await openUdpTransport({
        ...(plainHost === undefined ? {} : { host: plainHost }),
        ...(plainPort === undefined ? {} : { port: plainPort }),
        onError: (error) => log.warn({ err: error }, 'the plain CoAP socket reported an error'),
      });
      opened.push(plain);
      coap = plain.localAddress();
      transport = combineSecureAndPlain(secure, plain, {
        onPlainFromSecurePeer: (peer) => warn('plain-from-secure-peer', { peer: `${peer.address}:${peer.port}` }, 'a plain CoAP datagram came from the address and port of a DTLS peer; dropped'),
      });
    }
    const server: Lwm2mServer = await startLwm2mServer({ ...rest, log: rest.log ?? log, transport });
    // The server closes its transports.
    opened.splice(1, opened.length - 1, server);
    server.events.on('identityRefused', ({ peer, identity, endpoint }) => {
      // Only a DTLS session has an identity; its device is who misbehaved, so the report names it.
      authenticationFailures.record({ reason: 'endpoint-mismatch', identity: secure.identityOf(peer) ?? identity, thingName: identity, remote: peer, endpoint });
    });
    const bridge = await startBridge({ ...options, lwm2m: server });
    connected.resolve(bridge);
    let closing: Promise<void> | undefined;
    return {
      bridge,
      coaps: secure.localAddress(),
      ...(coap === undefined ? {} : { coap }),
      dtls: secure,
      authenticationFailures,
      close: () => {
        closing ??= (async () => {
          // No handshake can fail once the server is closed; the open windows are then summed up and
          // published while the link is still up, and only then does the bridge say `offline`.
          // A bridge given a server does not close it.
          await server.close();
          await authenticationFailures.stop();
          await bridge.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    connected.reject(error);
    for (const o of opened.reverse()) await o.close().catch(() => undefined);
    throw error;
  }
};
