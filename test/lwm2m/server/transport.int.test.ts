import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { openUdpTransport, type InboundDatagram } from '../../../functions/lwm2m/transport.ts';
import { within } from './support.ts';

describe('UDP datagram transport', () => {
  it('reports its bound port, hands datagrams up with their source, and sends from the same socket', async () => {
    const transport = await openUdpTransport({ port: 0 });
    const peer = createSocket('udp4');
    try {
      peer.bind(0, '127.0.0.1');
      await once(peer, 'listening');
      const local = transport.localAddress();
      expect(local.address).toBe('127.0.0.1');
      expect(local.port).toBeGreaterThan(0);

      const inbound = new Promise<InboundDatagram>((resolve) => transport.onDatagram(resolve));
      peer.send(Buffer.from('hello'), local.port, '127.0.0.1');
      const datagram = await within(2_000, 'datagram', inbound);
      expect(datagram.bytes.toString()).toBe('hello');
      expect(datagram.from).toEqual({ address: '127.0.0.1', port: peer.address().port });
      expect(datagram.identity).toBeUndefined();

      const reply = once(peer, 'message');
      await transport.send(Buffer.from('back'), datagram.from);
      const [bytes, info] = (await within(2_000, 'reply', reply)) as [Buffer, { port: number }];
      expect(bytes.toString()).toBe('back');
      expect(info.port).toBe(local.port);
    } finally {
      peer.close();
      await transport.close();
    }
  });

  it('says what to do when the port is taken, and refuses to send once closed', async () => {
    const first = await openUdpTransport({ port: 0 });
    const taken = first.localAddress().port;
    await expect(openUdpTransport({ port: taken })).rejects.toThrow(new RegExp(`cannot bind UDP 127.0.0.1:${taken}: .*choose another port or host`));
    await first.close();
    await expect(first.send(Buffer.from('x'), { address: '127.0.0.1', port: taken })).rejects.toThrow(/closed/);
    // Closing twice is harmless.
    await first.close();
  });
});
