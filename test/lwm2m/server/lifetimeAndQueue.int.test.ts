import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Code, Method } from '../../../functions/lwm2m/coap/message.ts';
import { stringOptions, Option } from '../../../functions/lwm2m/coap/options.ts';
import { Lwm2mError } from '../../../functions/lwm2m/errors.ts';
import type { Lwm2mServer, RemovedEvent } from '../../../functions/lwm2m/lwm2mServer.ts';
import { manualScheduler, type ManualScheduler } from '../../../functions/lwm2m/scheduler.ts';
import { startTestServer } from './support.ts';
import { TestDevice } from './testDevice.ts';

/**
 * Lifetimes and queue mode on a real UDP server whose clock and timers are moved by hand: the
 * tests say "60 s pass" and the server's timers fire then, with no sleeping.
 */
describe('registration lifetime and queue mode', () => {
  let server: Lwm2mServer;
  let port: number;
  let clock: ManualScheduler;
  const devices: TestDevice[] = [];
  const device = async () => {
    const d = await TestDevice.open(port);
    devices.push(d);
    return d;
  };
  const expired: RemovedEvent[] = [];

  beforeAll(async () => {
    clock = manualScheduler();
    ({ server, port } = await startTestServer({
      scheduler: clock,
      lifetimeGraceMs: 0,
      queue: { awakeMs: 5_000, timeoutMs: 600_000, maxQueued: 3 },
    }));
    server.events.on('expired', (e) => expired.push(e));
  });
  afterEach(() => {
    expired.length = 0;
  });
  afterAll(async () => {
    await Promise.all(devices.map((d) => d.close()));
    await server.close();
  });

  describe('lifetime', () => {
    it('removes a registration not updated within its lifetime, and says so', async () => {
      const dev = await device();
      const { location } = await dev.register({ ep: 'short-lived', lt: 60 });
      clock.advance(59_999);
      expect(server.registration('short-lived')).toBeDefined();
      expect(expired).toHaveLength(0);
      clock.advance(1);
      expect(server.registration('short-lived')).toBeUndefined();
      expect(expired.map((e) => e.registration.endpoint)).toEqual(['short-lived']);
      expect(server.stats().expired).toBe(1);
      expect((await dev.update(location)).code).toBe(Code.NOT_FOUND);
    });

    it('an Update restarts the lifetime, with the new lt if it gives one', async () => {
      const dev = await device();
      const { location } = await dev.register({ ep: 'kept-alive', lt: 60 });
      clock.advance(50_000);
      await dev.update(location);
      clock.advance(50_000);
      expect(server.registration('kept-alive')).toBeDefined();
      await dev.update(location, { query: ['lt=10'] });
      clock.advance(9_999);
      expect(server.registration('kept-alive')).toBeDefined();
      clock.advance(1);
      expect(server.registration('kept-alive')).toBeUndefined();
      expect(expired.map((e) => e.registration.endpoint)).toEqual(['kept-alive']);
    });

    it('lt=0 never expires (LwM2M 1.2: lifetime 0 is infinite)', async () => {
      const dev = await device();
      await dev.register({ ep: 'forever', lt: 0, lwm2m: '1.2' });
      clock.advance(10 * 365 * 86_400_000);
      expect(server.registration('forever')?.expiresAt).toBeUndefined();
      expect(expired).toHaveLength(0);
    });

    it('the default lifetime is 86400 s', async () => {
      const dev = await device();
      await dev.register({ ep: 'default-lifetime' });
      clock.advance(86_399_999);
      expect(server.registration('default-lifetime')).toBeDefined();
      clock.advance(1);
      expect(server.registration('default-lifetime')).toBeUndefined();
    });

    it('a replaced registration does not expire the one that replaced it', async () => {
      const a = await device();
      await a.register({ ep: 'twice-registered', lt: 30 });
      clock.advance(20_000);
      const b = await device();
      await b.register({ ep: 'twice-registered', lt: 30 });
      clock.advance(15_000);
      expect(server.registration('twice-registered')?.address.port).toBe(b.port);
      clock.advance(15_000);
      expect(server.registration('twice-registered')).toBeUndefined();
      expect(expired).toHaveLength(1);
    });
  });

  describe('queue mode', () => {
    it('sends at once while the device is awake, holds requests while it sleeps, and sends them when it updates', async () => {
      const dev = await device();
      dev.resources.set('/3/0/0', { code: Code.CONTENT, payload: 'Acme' });
      const { location } = await dev.register({ ep: 'sleepy', lt: 3600, lwm2m: '1.1', queue: true });
      expect(server.registration('sleepy')?.queueMode).toBe(true);

      // Just registered: awake.
      expect((await server.read('sleepy', '/3/0/0')).code).toBe('2.05');

      clock.advance(5_001);
      const sentBefore = server.stats().requestsSent;
      const held = server.read('sleepy', '/3/0/0');
      const alsoHeld = server.read('sleepy', '/3/0/0');
      await Promise.resolve();
      expect(server.stats().queuedRequests).toBe(2);
      expect(server.stats().requestsSent).toBe(sentBefore);

      const update = await dev.update(location);
      expect(update.code).toBe(Code.CHANGED);
      const [first, second] = await Promise.all([held, alsoHeld]);
      expect(Buffer.from(first.payload!.bytes).toString()).toBe('Acme');
      expect(second.code).toBe('2.05');
      expect(server.stats().queuedRequests).toBe(0);
      expect(dev.requests.filter((r) => r.code === Method.GET)).toHaveLength(3);
    });

    it('1.0 clients ask for queue mode with b=UQ', async () => {
      const dev = await device();
      await dev.register({ ep: 'sleepy-1.0', b: 'UQ' });
      expect(server.registration('sleepy-1.0')).toMatchObject({ queueMode: true, binding: 'U' });
    });

    it('a held request fails with queue-expired when the device does not come back in time', async () => {
      const dev = await device();
      await dev.register({ ep: 'gone-quiet', lt: 86_400, queue: true });
      clock.advance(5_001);
      const held = server.read('gone-quiet', '/3/0/0');
      const failure = held.catch((e: unknown) => e);
      await Promise.resolve();
      clock.advance(600_000);
      const error = await failure;
      expect(error).toBeInstanceOf(Lwm2mError);
      expect((error as Lwm2mError).kind).toBe('queue-expired');
      expect((error as Error).message).toMatch(/did not come online within 600000 ms/);
      expect(server.stats().queueExpired).toBeGreaterThanOrEqual(1);
      expect(dev.requests).toHaveLength(0);
    });

    it('holds at most maxQueued requests per device', async () => {
      const dev = await device();
      const { location } = await dev.register({ ep: 'full-queue', queue: true });
      clock.advance(5_001);
      const held = [1, 2, 3].map(() => server.read('full-queue', '/3/0/0').catch((e: unknown) => e));
      await expect(server.read('full-queue', '/3/0/0')).rejects.toMatchObject({ kind: 'queue-full' });
      expect((await dev.deregister(location)).code).toBe(Code.DELETED);
      // De-registering fails what still waits: it will never be sent.
      for (const error of await Promise.all(held)) expect(error).toMatchObject({ kind: 'device-gone' });
    });

    it('requests held for a sleeping device go to its new port when it registers again', async () => {
      const old = await device();
      await old.register({ ep: 'sleepy-rebooted', queue: true });
      clock.advance(5_001);
      const held = server.read('sleepy-rebooted', '/3/0/0');
      const fresh = await device();
      fresh.resources.set('/3/0/0', { code: Code.CONTENT, payload: 'after reboot' });
      await fresh.register({ ep: 'sleepy-rebooted', queue: true });
      expect(Buffer.from((await held).payload!.bytes).toString()).toBe('after reboot');
      expect(old.requests).toHaveLength(0);
      expect(stringOptions(fresh.requests[0]!, Option.URI_PATH)).toEqual(['3', '0', '0']);
    });

    it('any message from a sleeping device (a Send) wakes it too', async () => {
      const dev = await device();
      dev.resources.set('/3/0/0', { code: Code.CONTENT, payload: 'woke' });
      await dev.register({ ep: 'sends-to-wake', queue: true });
      clock.advance(5_001);
      const held = server.read('sends-to-wake', '/3/0/0');
      await Promise.resolve();
      expect(server.stats().queuedRequests).toBe(1);
      expect((await dev.sendData('[{"n":"x","v":1}]', 110)).code).toBe(Code.CHANGED);
      expect((await held).code).toBe('2.05');
    });
  });
});
