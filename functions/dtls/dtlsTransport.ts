import type { DatagramTransport, InboundDatagram, PeerAddress } from '../lwm2m/transport.ts';
import { peerKey } from '../lwm2m/transport.ts';
import type { DtlsServerOptions } from './options.ts';
import { createDtlsServer, type DtlsServer, type HandshakeFailedEvent } from './server.ts';
import type { DtlsSession } from './session.ts';

/** A PSK and the device it was issued to. */
export interface PeerPsk {
  readonly key: Buffer;
  /** Who a session under this PSK is: the thing name, handed up as every datagram's `identity`. */
  readonly device: string;
}

export interface DtlsTransportOptions {
  /** Default 127.0.0.1, as for plain CoAP: listening on other interfaces is a deliberate choice. */
  readonly host?: string;
  /** Default 5684, CoAP over DTLS's; 0 for an ephemeral port. */
  readonly port?: number;
  /** The PSK of a handshake's identity and the device it belongs to; undefined refuses the handshake. */
  readonly pskLookup: (identity: Buffer) => Promise<PeerPsk | undefined>;
  readonly options?: DtlsServerOptions;
  /** Told about every refused handshake (wrong key, unknown identity, timeouts...). */
  readonly onHandshakeFailed?: (event: RefusedHandshake) => void;
}

/** A refused handshake, with the device whose PSK the claimed identity found (a wrong key for a known device). */
export interface RefusedHandshake extends HandshakeFailedEvent {
  readonly device?: string;
}

export interface DtlsTransport extends DatagramTransport {
  /** The DTLS server underneath, for its counters (`stats()`) and sessions. */
  readonly server: DtlsServer;
  /** Whether an established session with this peer exists now. */
  hasSession(peer: PeerAddress): boolean;
  /** Ends every session of a device (close_notify), e.g. when it is deprovisioned; returns how many. */
  closeSessionsOf(device: string): number;
  /** The PSK identity the peer's session authenticated with, while it has one. */
  identityOf(peer: PeerAddress): Buffer | undefined;
}

interface OpenSession {
  readonly session: DtlsSession;
  readonly device: string;
}

/**
 * The LwM2M server's transport over the project's DTLS 1.2 PSK server: each decrypted record is
 * one datagram, handed up with the device the session's PSK belongs to as its `identity`, and what
 * the server sends to a peer goes through that peer's session (from the server's own socket, which
 * is what devices expect). There is no fallback: a peer without a session gets nothing, so a
 * device whose session ended must handshake again before the server can reach it.
 *
 * The identity handed up is the device, not the raw PSK identity: with the default identity (the
 * thing name) the two are the same, and with a manifest's own `pskIdentity` the device is still
 * what the endpoint name must match and what the bridge reports as proven.
 */
export const openDtlsTransport = async (config: DtlsTransportOptions): Promise<DtlsTransport> => {
  // The device of each identity as its last lookup found it; the session event reads it back.
  const devices = new Map<string, string>();
  const server = await createDtlsServer({
    host: config.host ?? '127.0.0.1',
    port: config.port ?? 5684,
    ...(config.options === undefined ? {} : { options: config.options }),
    pskLookup: async (identity) => {
      const found = await config.pskLookup(identity);
      const id = identity.toString('hex');
      if (found === undefined) {
        devices.delete(id);
        return undefined;
      }
      devices.set(id, found.device);
      return found.key;
    },
  });
  const sessions = new Map<string, OpenSession>();
  let receiver: (datagram: InboundDatagram) => void = () => {};
  let closed = false;

  server.on('session', (session) => {
    const device = devices.get(session.identity.toString('hex'));
    if (device === undefined) {
      // Only possible if the identity was revoked between its lookup and the Finished: it gets nothing.
      session.close();
      return;
    }
    const from: PeerAddress = { address: session.remote.address, port: session.remote.port };
    const key = peerKey(from);
    sessions.set(key, { session, device });
    session.on('message', (bytes) => receiver({ bytes, from, identity: device }));
    session.on('close', () => {
      // A new handshake from the same address replaces the session: only forget our own entry.
      if (sessions.get(key)?.session === session) sessions.delete(key);
    });
  });
  const onHandshakeFailed = config.onHandshakeFailed;
  if (onHandshakeFailed !== undefined) {
    server.on('handshakeFailed', (event) => {
      // Set by this handshake's lookup: a found identity stays in the map, an unknown one was removed.
      const device = event.identity === undefined ? undefined : devices.get(event.identity.toString('hex'));
      onHandshakeFailed(device === undefined ? event : { ...event, device });
    });
  }

  const bound = server.address();
  return {
    server,
    send(bytes, to) {
      if (closed) return Promise.reject(new Error('the DTLS transport is closed'));
      const open = sessions.get(peerKey(to));
      if (open === undefined || open.session.closed) {
        return Promise.reject(new Error(`no DTLS session with ${to.address}:${to.port}: the device must handshake again before it can be reached`));
      }
      return open.session.send(bytes);
    },
    onDatagram(next) {
      receiver = next;
    },
    localAddress: () => ({ address: bound.address, port: bound.port }),
    hasSession: (peer) => sessions.get(peerKey(peer))?.session.closed === false,
    identityOf(peer) {
      const open = sessions.get(peerKey(peer));
      return open === undefined || open.session.closed ? undefined : open.session.identity;
    },
    closeSessionsOf(device) {
      let count = 0;
      for (const open of [...sessions.values()]) {
        if (open.device !== device) continue;
        open.session.close();
        count += 1;
      }
      return count;
    },
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
    },
  };
};
