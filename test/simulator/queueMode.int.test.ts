import { describe, expect, it } from 'vitest';
import { Lwm2mTimeoutError } from '../../functions/lwm2m/errors.ts';
import { manualScheduler } from '../../functions/lwm2m/scheduler.ts';
import type { RegisteredEvent } from '../../functions/lwm2m/lwm2mServer.ts';
import { nextEvent, openDevice, startServer, tappedUdpTransport } from './support.ts';

const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString();

describe('queue mode', () => {
  it('the server holds a request while the device sleeps and delivers it when the device wakes to update', async () => {
    const serverClock = manualScheduler();
    const server = await startServer({ scheduler: serverClock, queue: { awakeMs: 5_000 } });
    const { device, clock } = await openDevice(server, 'queue-sim', { queueMode: true, awakeMs: 5_000, lifetimeSeconds: 600 });
    try {
      const registered = nextEvent<RegisteredEvent>(server.events, 'registered');
      const acknowledged = nextEvent(device.events, 'registered');
      device.start();
      expect((await registered).registration.queueMode).toBe(true);
      await acknowledged;
      expect(device.awake).toBe(true);

      // Both sides let the awake window pass: the device turns its radio off, the server queues.
      clock.advance(6_000);
      serverClock.advance(6_000);
      expect(device.awake).toBe(false);
      const read = server.read('queue-sim', '/3/0/0');
      expect(server.stats().queuedRequests).toBe(1);

      const answered = nextEvent<{ operation: string; path: string; code: string }>(device.events, 'operation');
      device.updateNow();
      expect(await answered).toEqual({ operation: 'read', path: '/3/0/0', code: '2.05' });
      expect(text((await read).payload?.bytes)).toBe('LwM2M Fleet Simulator');
      expect(server.stats().queuedRequests).toBe(0);
      expect(device.awake).toBe(true);
      expect(device.stats().coap.droppedAsleep).toBe(0);
    } finally {
      await device.stop();
      await server.close();
    }
  });

  it('a sleeping device drops what reaches it, so a server that thinks it awake times out', async () => {
    const serverClock = manualScheduler();
    // This server believes the device listens for 93 s; the device listens for 5.
    const server = await startServer({ scheduler: serverClock, timing: { ackTimeoutMs: 200, ackRandomFactor: 1, maxRetransmit: 0, maxLatencyMs: 1000 } });
    const { transport, arrivals } = await tappedUdpTransport();
    const { device, clock } = await openDevice(server, 'queue-deaf', { queueMode: true, awakeMs: 5_000, transport });
    try {
      const acknowledged = nextEvent(device.events, 'registered');
      device.start();
      await acknowledged;
      clock.advance(6_000);
      const arrived = nextEvent(arrivals, 'datagram');
      const read = server.read('queue-deaf', '/3/0/0');
      await arrived;
      expect(device.stats().coap.droppedAsleep).toBe(1);
      serverClock.advance(200);
      await expect(read).rejects.toBeInstanceOf(Lwm2mTimeoutError);
    } finally {
      await device.stop();
      await transport.close();
      await server.close();
    }
  });
});
