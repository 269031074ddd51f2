import { describe, expect, it } from 'vitest';
import type { RegisteredEvent } from '../../functions/lwm2m/lwm2mServer.ts';
import { Fleet } from '../../functions/simulator/fleet.ts';
import { nextEvent, startServer, within } from './support.ts';

describe('a fleet of simulated devices', () => {
  it('registers every device under its own name and socket, counts it, and de-registers them all on stop', async () => {
    const server = await startServer();
    const fleet = await Fleet.open({ devices: 20, prefix: 'fleet-', first: 100, server: server.address(), startsPerSecond: 0, device: { sampleEveryMs: 0, publishEveryMs: 0 } });
    try {
      const seen: RegisteredEvent[] = [];
      const all = within(
        10_000,
        'twenty registrations',
        new Promise<void>((resolve) =>
          server.events.on('registered', (e) => {
            seen.push(e);
            if (seen.length === 20) resolve();
          }),
        ),
      );
      // Each device's own event: the 2.01 has reached it, so the fleet counts it as registered.
      const acknowledged = Promise.all(fleet.devices.map((d) => nextEvent(d.events, 'registered', 10_000)));
      fleet.start();
      await all;
      await acknowledged;
      expect(new Set(seen.map((e) => e.registration.endpoint))).toEqual(new Set(Array.from({ length: 20 }, (_, i) => `fleet-${100 + i}`)));
      expect(new Set(seen.map((e) => e.registration.address.port)).size).toBe(20);
      expect(fleet.counters()).toMatchObject({ devices: 20, started: 20, registered: 20, registrations: 20, reregistrations: 0, registrationFailures: 0 });
      expect(fleet.counters().allRegisteredAfterMs).toBeGreaterThanOrEqual(0);
    } finally {
      await fleet.stop({ deadlineMs: 5_000 });
    }
    expect(server.stats()).toMatchObject({ registrations: 0, deregistered: 20 });
    await server.close();
  });

  it('says which device could not open its socket, and closes the ones it opened', async () => {
    const server = await startServer();
    try {
      // 192.0.2.1 (TEST-NET-1) is no address of this machine: binding to it fails.
      await expect(Fleet.open({ devices: 3, prefix: 'nope-', server: server.address(), bindHost: '192.0.2.1' })).rejects.toThrow(/cannot open device 0 of 3: cannot bind UDP 192\.0\.2\.1:0/);
    } finally {
      await server.close();
    }
  });
});
