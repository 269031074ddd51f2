import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Lwm2mServer } from '../../functions/lwm2m/lwm2mServer.ts';
import type { Notification } from '../../functions/lwm2m/observations.ts';
import type { ManualScheduler } from '../../functions/lwm2m/scheduler.ts';
import type { SimulatedDevice } from '../../functions/simulator/simulatedDevice.ts';
import { decodePayload } from '../../schemas/lwm2m/index.ts';
import { eventWhere, nextEvent, openDevice, startServer, within } from './support.ts';

const EP = 'obs-sim';
const text = (n: { payload?: { bytes: Uint8Array } }) => Buffer.from(n.payload?.bytes ?? []).toString();

describe('observe: the simulated device notifies the real server', () => {
  let server: Lwm2mServer;
  let device: SimulatedDevice;
  let clock: ManualScheduler;

  beforeAll(async () => {
    server = await startServer();
    ({ device, clock } = await openDevice(server, EP, { temperature: { startCelsius: 20 } }));
    const registered = nextEvent(device.events, 'registered');
    device.start();
    await registered;
  });
  afterEach(async () => {
    // Each test starts from no attributes on the sensor value.
    await server.writeAttributes(EP, '/3303/0/5700', { pmin: null, pmax: null, gt: null, lt: null, st: null });
  });
  afterAll(async () => {
    await device.stop();
    await server.close();
  });

  const nextNotification = (iterator: AsyncIterator<Notification>) => within(5_000, 'a notification', iterator.next()).then((r) => r.value as Notification);

  it('notifies each change of the observed value, CON, with increasing sequence numbers', async () => {
    const observation = await server.observe(EP, '/3303/0/5700');
    expect(observation.established).toBe(true);
    expect(text(observation.initial)).toBe('20');
    const iterator = observation.notifications[Symbol.asyncIterator]();
    const acknowledged = eventWhere<{ path: string; outcome: string }>(device.events, 'notified', (e) => e.path === '/3303/0/5700');
    device.setTemperature(21.5);
    const first = await nextNotification(iterator);
    expect(text(first)).toBe('21.5');
    expect((await acknowledged).outcome).toBe('acknowledged');
    device.setTemperature(22.25);
    const second = await nextNotification(iterator);
    expect(text(second)).toBe('22.25');
    expect(second.sequence!).toBeGreaterThan(first.sequence!);
    await observation.cancel('get');
    expect(device.stats().observations).toBe(0);
  });

  it('with gt, notifies only when the value crosses the threshold', async () => {
    device.setTemperature(20);
    await server.writeAttributes(EP, '/3303/0/5700', { gt: 30 });
    const observation = await server.observe(EP, '/3303/0/5700');
    const iterator = observation.notifications[Symbol.asyncIterator]();
    const sentBefore = device.stats().notifications;
    device.setTemperature(26);
    device.setTemperature(29.5);
    expect(device.stats().notifications).toBe(sentBefore);
    device.setTemperature(31);
    expect(text(await nextNotification(iterator))).toBe('31');
    device.setTemperature(32);
    device.setTemperature(28);
    // 32 stays above: no notification; 28 crosses back below.
    expect(text(await nextNotification(iterator))).toBe('28');
    await observation.cancel('get');
  });

  it('with st, notifies only steps of at least st since the last notification', async () => {
    device.setTemperature(20);
    await server.writeAttributes(EP, '/3303/0/5700', { st: 2 });
    const observation = await server.observe(EP, '/3303/0/5700');
    const iterator = observation.notifications[Symbol.asyncIterator]();
    device.setTemperature(21);
    device.setTemperature(21.9);
    device.setTemperature(22.1);
    expect(text(await nextNotification(iterator))).toBe('22.1');
    await observation.cancel('get');
  });

  it('holds a change back until pmin has passed, then sends the value of that moment', async () => {
    device.setTemperature(20);
    await server.writeAttributes(EP, '/3303/0/5700', { pmin: 10 });
    const observation = await server.observe(EP, '/3303/0/5700');
    const iterator = observation.notifications[Symbol.asyncIterator]();
    const sentBefore = device.stats().notifications;
    device.setTemperature(23);
    device.setTemperature(24);
    clock.advance(9_999);
    expect(device.stats().notifications).toBe(sentBefore);
    const acknowledged = nextEvent(device.events, 'notified');
    clock.advance(1);
    expect(text(await nextNotification(iterator))).toBe('24');
    // The device's clock moves on only once it has the ACK, or it would retransmit.
    await acknowledged;
    await observation.cancel('get');
  });

  it('notifies at pmax even when nothing changed', async () => {
    device.setTemperature(20);
    await server.writeAttributes(EP, '/3303/0/5700', { pmax: 30 });
    const observation = await server.observe(EP, '/3303/0/5700');
    const iterator = observation.notifications[Symbol.asyncIterator]();
    for (let round = 0; round < 2; round++) {
      const acknowledged = nextEvent<{ outcome: string }>(device.events, 'notified');
      clock.advance(30_000);
      expect(text(await nextNotification(iterator))).toBe('20');
      expect((await acknowledged).outcome).toBe('acknowledged');
    }
    await observation.cancel('get');
  });

  it('observes an instance in SenML CBOR: a notification carries the instance', async () => {
    const observation = await server.observe(EP, '/3303/0', { accept: 112 });
    const iterator = observation.notifications[Symbol.asyncIterator]();
    device.setTemperature(19);
    const notification = await nextNotification(iterator);
    expect(notification.payload?.contentFormat).toBe(112);
    const values = decodePayload(112, notification.payload!.bytes, '/3303/0');
    expect(values).toEqual(expect.arrayContaining([expect.objectContaining({ path: '/3303/0/5700', value: 19 }), expect.objectContaining({ path: '/3303/0/5701', value: 'Cel' })]));
    await observation.cancel('get');
  });

  it('stops notifying once the server answers a notification with RST (cancel by forgetting)', async () => {
    const observation = await server.observe(EP, '/3303/0/5601');
    await observation.cancel('reset');
    expect(device.stats().observations).toBe(1);
    const refused = eventWhere<{ path: string; outcome: string }>(device.events, 'notified', (e) => e.path === '/3303/0/5601');
    device.setTemperature(-5);
    expect((await refused).outcome).toBe('reset');
    expect(device.stats().observations).toBe(0);
  });

  it('forgets its observations when it registers again', async () => {
    await server.observe(EP, '/3303/0/5700');
    expect(device.stats().observations).toBe(1);
    const again = nextEvent(device.events, 'registered');
    // Reboot: a new Register, which the server takes as "the client forgot everything".
    await server.execute(EP, '/3/0/4');
    clock.advance(2_000);
    await again;
    expect(device.stats().observations).toBe(0);
  });
});
