import { printableIdentity } from '../dtls/authenticationFailures.ts';
import { createDevicePskLookup } from '../dtls/devicePskLookup.ts';
import { openDtlsTransport, type DtlsTransport } from '../dtls/dtlsTransport.ts';
import type { DtlsServerOptions } from '../dtls/options.ts';
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
}

export interface StandaloneBridge {
  readonly bridge: Bridge;
  /** Where devices reach it over DTLS, when DTLS is on. */
  readonly coaps?: PeerAddress;
  /** Where devices reach it over plain CoAP, when that is on. */
  readonly coap?: PeerAddress;
  readonly dtls?: DtlsTransport;
  /** `offline`, disconnect, then the LwM2M server and its transports. */
  close(): Promise<void>;
}

/**
 * What functions/bridge/main.ts runs: the bridge, and with `dtls` an LwM2M server over the same
 * DTLS transport the embedded system uses (functions/dtls/dtlsTransport.ts), plain CoAP beside it
 * only when asked. There is no projection store here, so a device counts as in the fleet while its
 * PSK object exists (deprovisioning deletes it): see the README's limits.
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
    // The PSK object is the only fleet membership the bridge's task role can read (README: limits).
    deviceStatus: () => Promise.resolve('provisioned'),
  });
  const warn = throttledWarn(log, () => Date.now());
  const opened: { close(): Promise<void> }[] = [];
  try {
    const secure = await openDtlsTransport({
      host: dtls.host,
      port: dtls.port,
      ...(dtls.options === undefined ? {} : { options: dtls.options }),
      pskLookup: async (identity) => {
        const psk = await lookup(identity);
        return psk && { key: psk.key, device: psk.thingName };
      },
      onHandshakeFailed: (f) =>
        warn(
          `dtls-${f.reason}`,
          { peer: `${f.remote.address}:${f.remote.port}`, ...(f.identity === undefined ? {} : { identity: printableIdentity(f.identity) }), detail: f.detail },
          'a DTLS handshake was refused',
        ),
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
    opened.splice(0, opened.length, server);
    const bridge = await startBridge({ ...options, lwm2m: server });
    return {
      bridge,
      coaps: secure.localAddress(),
      ...(coap === undefined ? {} : { coap }),
      dtls: secure,
      close: async () => {
        // A bridge given a server does not close it.
        await bridge.close();
        await server.close();
      },
    };
  } catch (error) {
    for (const o of opened.reverse()) await o.close().catch(() => undefined);
    throw error;
  }
};
