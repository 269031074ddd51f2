import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';

/**
 * The datagram transport under the CoAP layer. The server only ever talks to this interface, so a
 * DTLS transport (a later issue) replaces the UDP one without touching the server: it hands up
 * decrypted datagrams with the peer they came from, and encrypts what the server sends.
 */

export interface PeerAddress {
  readonly address: string;
  readonly port: number;
}

/** One datagram handed up by the transport. */
export interface InboundDatagram {
  readonly bytes: Buffer;
  readonly from: PeerAddress;
  /**
   * Who the peer proved to be, when the transport authenticates peers (a DTLS PSK identity or a
   * certificate's CN). Plain UDP leaves it undefined.
   */
  readonly identity?: string | undefined;
}

export interface DatagramTransport {
  /** Sends one datagram. Rejects when the operating system refuses it (unreachable, closed). */
  send(bytes: Uint8Array, to: PeerAddress): Promise<void>;
  /** The single receiver of every datagram. Calling it again replaces the previous one. */
  onDatagram(receiver: (datagram: InboundDatagram) => void): void;
  /** Where peers reach us (after binding: the real port when 0 was asked for). */
  localAddress(): PeerAddress;
  close(): Promise<void>;
}

export interface UdpTransportOptions {
  /** Default 127.0.0.1: listening on other interfaces is a deliberate choice. */
  readonly host?: string;
  /** 0 for an ephemeral port. Default 5683, CoAP's. */
  readonly port?: number;
  /** Socket receive buffer in bytes; bursts of datagrams beyond it are dropped by the kernel. */
  readonly receiveBufferBytes?: number;
  /** Errors the socket reports after binding (an ICMP unreachable on Linux, mostly). */
  readonly onError?: (error: Error) => void;
}

export const peerKey = (peer: PeerAddress): string => `${peer.address}|${peer.port}`;

/** Binds a UDP socket and wraps it as a DatagramTransport. */
export const openUdpTransport = async (options: UdpTransportOptions = {}): Promise<DatagramTransport> => {
  const host = options.host ?? '127.0.0.1';
  const socket: Socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
  let receiver: (datagram: InboundDatagram) => void = () => {};
  let closed = false;

  socket.on('message', (bytes, info) => receiver({ bytes, from: { address: info.address, port: info.port } }));
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      socket.off('listening', onListening);
      socket.close();
      reject(new Error(`cannot bind UDP ${host}:${options.port ?? 5683}: ${error.message}; choose another port or host`, { cause: error }));
    };
    const onListening = () => {
      socket.off('error', onError);
      resolve();
    };
    socket.once('error', onError);
    socket.once('listening', onListening);
    socket.bind(options.port ?? 5683, host);
  });
  socket.on('error', (error) => options.onError?.(error));
  if (options.receiveBufferBytes !== undefined) socket.setRecvBufferSize(options.receiveBufferBytes);
  const bound = socket.address();

  return {
    send: (bytes, to) =>
      new Promise<void>((resolve, reject) => {
        if (closed) {
          reject(new Error('the UDP transport is closed'));
          return;
        }
        socket.send(bytes, to.port, to.address, (error) => (error ? reject(error) : resolve()));
      }),
    onDatagram(next) {
      receiver = next;
    },
    localAddress: () => ({ address: bound.address, port: bound.port }),
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
};
