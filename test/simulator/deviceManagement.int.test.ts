import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualScheduler } from '../../functions/lwm2m/scheduler.ts';
import type { Lwm2mServer, RegisteredEvent, SendEvent } from '../../functions/lwm2m/lwm2mServer.ts';
import { decodePayload, encodePayload, type ResourceValue } from '../../schemas/lwm2m/index.ts';
import type { SimulatedDevice } from '../../functions/simulator/simulatedDevice.ts';
import { eventWhere, nextEvent, openDevice, startServer } from './support.ts';

const EP = 'dm-sim';
const START_SECONDS = Date.parse('2026-01-01T00:00:00.000Z') / 1000;
const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString();
const byPath = (values: readonly ResourceValue[]) => Object.fromEntries(values.map((v) => [v.path, v.value]));
const codeOf = (promise: Promise<unknown>) => promise.then(() => 'ok', (e: { code?: string; message?: string }) => e.code ?? e.message);

describe('device management of a simulated device through the real server', () => {
  let server: Lwm2mServer;
  let device: SimulatedDevice;
  let clock: ManualScheduler;

  beforeAll(async () => {
    server = await startServer();
    ({ device, clock } = await openDevice(server, EP, { lwm2mVersion: '1.1', rebootDelayMs: 1000 }));
    const registered = nextEvent(device.events, 'registered');
    device.start();
    await registered;
  });
  afterAll(async () => {
    await device.stop();
    await server.close();
  });

  it('reads /3/0 in SenML CBOR: identity, bindings and the device clock', async () => {
    const { code, payload } = await server.read(EP, '/3/0', { accept: 112 });
    expect(code).toBe('2.05');
    expect(payload?.contentFormat).toBe(112);
    const values = decodePayload(112, payload!.bytes, '/3/0');
    expect(byPath(values)).toMatchObject({
      '/3/0/0': 'LwM2M Fleet Simulator',
      '/3/0/1': 'SIM-TEMP-1',
      '/3/0/3': '1.0.0',
      '/3/0/11/0': 0,
      '/3/0/13': START_SECONDS,
      '/3/0/16': 'U',
    });
    expect(values.find((v) => v.path === '/3/0/13')?.type).toBe('Time');
    // Execute resources have no value to read.
    expect(values.some((v) => v.path === '/3/0/4')).toBe(false);
  });

  it('reads /3/0 in TLV with the same values', async () => {
    const senml = byPath(decodePayload(112, (await server.read(EP, '/3/0', { accept: 112 })).payload!.bytes, '/3/0'));
    const { payload } = await server.read(EP, '/3/0', { accept: 11542 });
    expect(payload?.contentFormat).toBe(11542);
    expect(byPath(decodePayload(11542, payload!.bytes, '/3/0'))).toEqual(senml);
  });

  it('answers a single resource in plain text without Accept, and a whole object in SenML CBOR', async () => {
    const value = await server.read(EP, '/3303/0/5701');
    expect(value.payload).toEqual({ contentFormat: 0, bytes: Buffer.from('Cel') });
    const object = await server.read(EP, '/3303');
    expect(object.payload?.contentFormat).toBe(112);
    expect(byPath(decodePayload(112, object.payload!.bytes, '/3303'))['/3303/0/5701']).toBe('Cel');
  });

  it('refuses what the spec refuses, with the spec codes', async () => {
    expect(await codeOf(server.read(EP, '/0/0'))).toBe('4.01');
    expect(await codeOf(server.read(EP, '/5'))).toBe('4.04');
    expect(await codeOf(server.read(EP, '/3303/1'))).toBe('4.04');
    expect(await codeOf(server.read(EP, '/3/0/4'))).toBe('4.05');
    expect(await codeOf(server.read(EP, '/3/0', { accept: 0 }))).toBe('4.06');
    expect(await codeOf(server.read(EP, '/3/0', { accept: 11544 }))).toBe('4.06');
    expect(await codeOf(server.write(EP, '/3/0/0', { contentFormat: 0, bytes: Buffer.from('x') }))).toBe('4.05');
    expect(await codeOf(server.write(EP, '/3/0/13', { contentFormat: 11543, bytes: Buffer.from('{}') }))).toBe('4.15');
    expect(await codeOf(server.write(EP, '/3/0', { contentFormat: 11542, bytes: Buffer.from([0xff, 0x01]) }))).toBe('4.00');
    expect(await codeOf(server.write(EP, '/1/0/7', { contentFormat: 0, bytes: Buffer.from('SMS') }))).toBe('4.00');
    expect(await codeOf(server.execute(EP, '/3/0/0'))).toBe('4.05');
  });

  it('writes the lifetime, reads it back, and tells the server in an Update', async () => {
    const updated = nextEvent<{ objectsSent: boolean }>(device.events, 'updated');
    expect((await server.write(EP, '/1/0/1', { contentFormat: 0, bytes: Buffer.from('120') })).code).toBe('2.04');
    expect(text((await server.read(EP, '/1/0/1')).payload?.bytes)).toBe('120');
    expect(await updated).toMatchObject({ objectsSent: false });
    expect(server.registration(EP)?.lifetimeSeconds).toBe(120);
  });

  it('writes the current time: the device clock moves to it', async () => {
    const at = START_SECONDS + 86_400;
    await server.write(EP, '/3/0/13', { contentFormat: 11542, bytes: Buffer.from(encodePayload(11542, [{ path: '/3/0/13', type: 'Time', value: at }], { path: '/3/0/13' })) });
    expect(text((await server.read(EP, '/3/0/13')).payload?.bytes)).toBe(String(at));
    clock.advance(5_000);
    expect(text((await server.read(EP, '/3/0/13')).payload?.bytes)).toBe(String(at + 5));
  });

  it('replaces an instance (PUT) and updates one partially (POST)', async () => {
    const senml = (values: ResourceValue[]) => ({ contentFormat: 112, bytes: Buffer.from(encodePayload(112, values)) });
    await server.write(EP, '/3303/0', senml([{ path: '/3303/0/5750', type: 'String', value: 'boiler room' }]), { mode: 'update' });
    expect(text((await server.read(EP, '/3303/0/5750')).payload?.bytes)).toBe('boiler room');
    await server.write(EP, '/3/0', senml([{ path: '/3/0/14', type: 'String', value: '+01:00' }]), { mode: 'replace' });
    const after = byPath(decodePayload(112, (await server.read(EP, '/3/0', { accept: 112 })).payload!.bytes, '/3/0'));
    expect(after['/3/0/14']).toBe('+01:00');
    // Replace drops the optional writable resources the body left out (Timezone) and keeps the read-only ones.
    expect(after['/3/0/15']).toBeUndefined();
    expect(after['/3/0/0']).toBe('LwM2M Fleet Simulator');
  });

  it('executes Reset Min and Max Measured Values', async () => {
    device.setTemperature(25);
    device.setTemperature(18);
    device.setTemperature(20);
    const before = byPath(decodePayload(112, (await server.read(EP, '/3303/0', { accept: 112 })).payload!.bytes, '/3303/0'));
    expect(before).toMatchObject({ '/3303/0/5700': 20, '/3303/0/5601': 18, '/3303/0/5602': 25 });
    expect((await server.execute(EP, '/3303/0/5605')).code).toBe('2.04');
    const after = byPath(decodePayload(112, (await server.read(EP, '/3303/0', { accept: 112 })).payload!.bytes, '/3303/0'));
    expect(after).toMatchObject({ '/3303/0/5700': 20, '/3303/0/5601': 20, '/3303/0/5602': 20 });
  });

  it('discovers resources, with dim for multiple ones and the attributes written', async () => {
    await server.writeAttributes(EP, '/3303/0/5700', { pmin: 10, gt: 30 });
    const links = text((await server.discover(EP, '/3303/0')).payload?.bytes).split(',');
    expect(links[0]).toBe('</3303/0>');
    expect(links).toContain('</3303/0/5700>;pmin=10;gt=30');
    expect(links).toContain('</3303/0/5605>');
    expect(text((await server.discover(EP, '/3/0/11')).payload?.bytes)).toBe('</3/0/11>;dim=1');
    await server.writeAttributes(EP, '/3303/0/5700', { pmin: null, gt: null });
    expect(text((await server.discover(EP, '/3303/0/5700')).payload?.bytes)).toBe('</3303/0/5700>');
    // lt must stay below gt (LwM2M 1.1 §5.1.2).
    expect(await codeOf(server.writeAttributes(EP, '/3303/0/5700', { gt: 10, lt: 20 }))).toBe('4.00');
    expect(await codeOf(server.writeAttributes(EP, '/3/0', { gt: 10 }))).toBe('4.00');
  });

  it('creates and deletes an 18830 instance, and re-registers its objects in the next Update', async () => {
    const resources: ResourceValue[] = [
      { path: '/18830/0/0', type: 'String', value: 'mqtt://127.0.0.1:1' },
      { path: '/18830/0/1', type: 'String', value: EP },
      { path: '/18830/0/6', type: 'Integer', value: 3 },
    ];
    const withInstance = eventWhere<{ objectsSent: boolean }>(device.events, 'updated', (e) => e.objectsSent);
    const created = await server.create(EP, '/18830', { contentFormat: 11542, bytes: Buffer.from(encodePayload(11542, resources, { path: '/18830/0' })) });
    expect(created).toMatchObject({ code: '2.01', location: '/18830/0' });
    await withInstance;
    expect(server.registration(EP)?.objectLinks.objects.find((o) => o.objectId === 18830)?.instances).toEqual([0]);
    expect(byPath(decodePayload(112, (await server.read(EP, '/18830/0', { accept: 112 })).payload!.bytes, '/18830/0'))).toMatchObject({ '/18830/0/0': 'mqtt://127.0.0.1:1', '/18830/0/6': 3 });

    const without = eventWhere<{ objectsSent: boolean }>(device.events, 'updated', (e) => e.objectsSent);
    expect((await server.delete(EP, '/18830/0')).code).toBe('2.02');
    await without;
    expect(server.registration(EP)?.objectLinks.objects.find((o) => o.objectId === 18830)?.instances).toEqual([]);
  });

  it('sends to /dp (LwM2M Send) in SenML CBOR', async () => {
    device.setTemperature(22.5);
    const sent = nextEvent<SendEvent>(server.events, 'send');
    expect(await device.send(['/3303/0/5700'])).toBe('2.04');
    const { payload, endpoint } = await sent;
    expect(endpoint).toBe(EP);
    expect(payload.contentFormat).toBe(112);
    expect(decodePayload(112, payload.bytes, '/')).toEqual([expect.objectContaining({ path: '/3303/0/5700', value: 22.5 })]);
  });

  it('reboots on Execute /3/0/4: goes quiet, then registers afresh', async () => {
    const rebooting = nextEvent(device.events, 'rebooting');
    expect((await server.execute(EP, '/3/0/4')).code).toBe('2.04');
    await rebooting;
    expect(device.registrationState).toBe('stopped');
    const again = nextEvent<RegisteredEvent>(server.events, 'registered');
    const acknowledged = eventWhere<{ reason: string }>(device.events, 'registered', (e) => e.reason === 'reboot');
    clock.advance(1000);
    const { replaced } = await again;
    expect(replaced?.endpoint).toBe(EP);
    await acknowledged;
    expect(device.registrationState).toBe('registered');
  });
});
