import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Lwm2mServer, RegisteredEvent, RemovedEvent } from '../../functions/lwm2m/lwm2mServer.ts';
import { manualScheduler } from '../../functions/lwm2m/scheduler.ts';
import type { SimulatedDevice } from '../../functions/simulator/simulatedDevice.ts';
import { eventWhere, nextEvent, openDevice, startServer } from './support.ts';

describe('the simulator registers with the real LwM2M server', () => {
  let server: Lwm2mServer;
  const devices: SimulatedDevice[] = [];
  const open = async (...args: Parameters<typeof openDevice> extends [unknown, ...infer R] ? R : never) => {
    const opened = await openDevice(server, ...args);
    devices.push(opened.device);
    return opened;
  };

  beforeAll(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    await Promise.all(devices.splice(0).map((d) => d.stop()));
  });
  afterAll(async () => {
    await server.close();
  });

  it('registers with ep, lifetime, version, binding and its objects; 18830 is listed without an instance', async () => {
    const { device } = await open('reg-basic', { lifetimeSeconds: 120 });
    const registered = nextEvent<RegisteredEvent>(server.events, 'registered');
    const acknowledged = nextEvent(device.events, 'registered');
    device.start();
    const { registration } = await registered;
    await acknowledged;
    expect(registration).toMatchObject({ endpoint: 'reg-basic', lifetimeSeconds: 120, lwm2mVersion: '1.1', binding: 'U', queueMode: false });
    expect(registration.address.port).toBe(device.address().port);
    const objects = Object.fromEntries(registration.objectLinks.objects.map((o) => [o.objectId, o]));
    expect(Object.keys(objects).map(Number)).toEqual([1, 3, 3303, 18830]);
    expect(objects[3]).toMatchObject({ version: '1.2', instances: [0] });
    expect(objects[3303]).toMatchObject({ version: '1.1', instances: [0] });
    expect(objects[18830]!.instances).toEqual([]);
    expect(registration.objectLinks.contentFormats).toEqual(expect.arrayContaining([110, 112, 11542]));
    expect(device.registrationState).toBe('registered');
    expect(device.location).toBe(`/rd/${registration.id}`);
  });

  it('registers as a 1.0 client in queue mode with b=UQ and no root link', async () => {
    const { device } = await open('reg-10', { lwm2mVersion: '1.0', queueMode: true });
    const registered = nextEvent<RegisteredEvent>(server.events, 'registered');
    device.start();
    const { registration } = await registered;
    expect(registration).toMatchObject({ lwm2mVersion: '1.0', binding: 'U', queueMode: true });
    expect(registration.objectLinks.contentFormats).toEqual([]);
    expect(registration.objectLinks.objects.every((o) => o.version === undefined)).toBe(true);
  });

  it('registers as a 1.2 client in queue mode with b=U&Q', async () => {
    const { device } = await open('reg-12', { lwm2mVersion: '1.2', queueMode: true });
    const registered = nextEvent<RegisteredEvent>(server.events, 'registered');
    device.start();
    const { registration } = await registered;
    expect(registration).toMatchObject({ lwm2mVersion: '1.2', binding: 'U', queueMode: true });
    expect(registration.objectLinks.contentFormats).toContain(11544);
  });

  it('sends an Update before the lifetime runs out, and again after that', async () => {
    const { device, clock } = await open('reg-update', { lifetimeSeconds: 60, updateLeadMs: 10_000 });
    const registered = nextEvent<RegisteredEvent>(device.events, 'registered');
    device.start();
    await registered;
    // The device's own events: its clock moves only once it has its answer, or it would retransmit.
    const first = nextEvent<{ objectsSent: boolean }>(device.events, 'updated');
    clock.advance(49_999);
    expect(server.stats().updated).toBe(0);
    clock.advance(1);
    expect(await first).toMatchObject({ objectsSent: false });
    expect(server.registration('reg-update')?.updatedAt).toBeDefined();
    const second = nextEvent(device.events, 'updated');
    clock.advance(50_000);
    await second;
    expect(server.stats().updated).toBe(2);
    expect(server.registration('reg-update')?.lifetimeSeconds).toBe(60);
  });

  it('de-registers when stopped', async () => {
    const { device } = await open('reg-stop');
    const registered = nextEvent(device.events, 'registered');
    device.start();
    await registered;
    const deregistered = nextEvent<RemovedEvent>(server.events, 'deregistered');
    await device.stop();
    expect((await deregistered).registration.endpoint).toBe('reg-stop');
    expect(server.registration('reg-stop')).toBeUndefined();
  });
});

describe('re-registration when the server forgot the device', () => {
  it('registers again when an Update is answered 4.04 (the registration expired on the server)', async () => {
    const serverClock = manualScheduler();
    const server = await startServer({ scheduler: serverClock });
    const { device, clock } = await openDevice(server, 'reg-forgotten', { lifetimeSeconds: 60, updateLeadMs: 10_000 });
    try {
      const registered = nextEvent<RegisteredEvent>(server.events, 'registered');
      const acknowledged = nextEvent(device.events, 'registered');
      device.start();
      const first = (await registered).registration;
      await acknowledged;
      const expired = nextEvent<RemovedEvent>(server.events, 'expired');
      serverClock.advance(60_000);
      await expired;
      expect(server.registration('reg-forgotten')).toBeUndefined();

      const failed = nextEvent<{ operation: string; reason: string }>(device.events, 'registration-failed');
      const again = eventWhere<{ reason: string }>(device.events, 'registered', (e) => e.reason === 'not-found');
      const serverSeesIt = nextEvent<RegisteredEvent>(server.events, 'registered');
      clock.advance(50_000);
      const failure = await failed;
      expect(failure.operation).toBe('update');
      expect(failure.reason).toContain('4.04');
      await again;
      const second = (await serverSeesIt).registration;
      expect(second.endpoint).toBe('reg-forgotten');
      expect(second.id).not.toBe(first.id);
      expect(device.location).toBe(`/rd/${second.id}`);
    } finally {
      await device.stop();
      await server.close();
    }
  });

  it('registers again after the server restarted on the same port', async () => {
    const first = await startServer();
    const port = first.address().port;
    const { device, clock } = await openDevice(first, 'reg-restart', { lifetimeSeconds: 60, updateLeadMs: 10_000 });
    let second: Lwm2mServer | undefined;
    try {
      const registered = nextEvent(device.events, 'registered');
      device.start();
      await registered;
      await first.close();
      second = await startServer({ port });
      const back = nextEvent<RegisteredEvent>(second.events, 'registered');
      clock.advance(50_000);
      expect((await back).registration.endpoint).toBe('reg-restart');
    } finally {
      await device.stop();
      await second?.close();
    }
  });
});
