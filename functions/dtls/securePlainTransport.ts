import type { DatagramTransport, InboundDatagram, PeerAddress } from '../lwm2m/transport.ts';
import { peerKey } from '../lwm2m/transport.ts';
import type { DtlsTransport } from './dtlsTransport.ts';

export interface SecurePlainTransportOptions {
  /** Peers remembered per side (authenticated, plain); the oldest is forgotten first. Default 100,000. */
  readonly maxRememberedPeers?: number;
  /** Told about each plain datagram dropped because its source address and port belong to a DTLS peer. */
  readonly onPlainFromSecurePeer?: (peer: PeerAddress) => void;
}

export interface SecurePlainTransport extends DatagramTransport {
  /** Plain datagrams dropped because their source is a DTLS peer; sends refused for want of a route. */
  stats(): { readonly plainFromSecurePeer: number; readonly unroutableSends: number };
}

/** A Map used as a bounded insertion-ordered set: touching a key moves it to the end. */
class RecentPeers {
  private readonly keys = new Map<string, true>();
  constructor(private readonly max: number) {}
  has(key: string): boolean {
    return this.keys.has(key);
  }
  touch(key: string): void {
    this.keys.delete(key);
    this.keys.set(key, true);
    if (this.keys.size > this.max) this.keys.delete(this.keys.keys().next().value!);
  }
  delete(key: string): void {
    this.keys.delete(key);
  }
}

/**
 * One LwM2M server over DTLS and plain CoAP at once (FLEET_LWM2M_PLAIN_COAP, development), so a
 * device is held once whichever way it came, and one bridge serves both. The two sockets share one
 * peer namespace (address:port), so the rule for a peer seen on both is what keeps secrets off the
 * plain side:
 *
 * - a peer that had a DTLS session is a secure peer: plain datagrams from its address and port are
 *   dropped (a spoofed source cannot turn it into a plain peer), and what the server sends it goes
 *   through its session or nowhere, never in clear;
 * - a plain peer is reached over plain UDP only while it is remembered as one; a forgotten peer is
 *   unreachable until it speaks again, never reached the other way.
 *
 * Both memories are bounded (maxRememberedPeers); a secure peer forgotten after that many others
 * could again be taken over by a spoofed plain datagram once its session is gone, which is why
 * plain CoAP stays a development setting (ADR 0010).
 */
export const combineSecureAndPlain = (secure: DtlsTransport, plain: DatagramTransport, options: SecurePlainTransportOptions = {}): SecurePlainTransport => {
  const max = options.maxRememberedPeers ?? 100_000;
  const securePeers = new RecentPeers(max);
  const plainPeers = new RecentPeers(max);
  let receiver: (datagram: InboundDatagram) => void = () => {};
  let plainFromSecurePeer = 0;
  let unroutableSends = 0;

  secure.onDatagram((datagram) => {
    const key = peerKey(datagram.from);
    plainPeers.delete(key);
    securePeers.touch(key);
    receiver(datagram);
  });
  plain.onDatagram((datagram) => {
    const key = peerKey(datagram.from);
    if (securePeers.has(key) || secure.hasSession(datagram.from)) {
      plainFromSecurePeer += 1;
      options.onPlainFromSecurePeer?.(datagram.from);
      return;
    }
    plainPeers.touch(key);
    // A plain datagram never carries an identity, whatever its bytes say.
    receiver({ bytes: datagram.bytes, from: datagram.from });
  });

  return {
    send(bytes, to) {
      if (secure.hasSession(to)) return secure.send(bytes, to);
      const key = peerKey(to);
      if (plainPeers.has(key) && !securePeers.has(key)) return plain.send(bytes, to);
      unroutableSends += 1;
      return Promise.reject(
        new Error(
          securePeers.has(key)
            ? `no DTLS session with ${to.address}:${to.port} any more: the device must handshake again before it can be reached`
            : `${to.address}:${to.port} has not been heard from recently on either transport: it must send something first`,
        ),
      );
    },
    onDatagram(next) {
      receiver = next;
    },
    // The DTLS side is the one devices are meant to use.
    localAddress: () => secure.localAddress(),
    stats: () => ({ plainFromSecurePeer, unroutableSends }),
    async close() {
      await Promise.all([secure.close(), plain.close()]);
    },
  };
};
