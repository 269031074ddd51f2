import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockSize, encodeBlock } from '../../../functions/lwm2m/coap/block.ts';
import { Code, Method } from '../../../functions/lwm2m/coap/message.ts';
import { Option, option, uintOption } from '../../../functions/lwm2m/coap/options.ts';
import type { Lwm2mServer } from '../../../functions/lwm2m/lwm2mServer.ts';
import type { Notification } from '../../../functions/lwm2m/observations.ts';
import { nextEvent, startTestServer, within } from './support.ts';
import { TestDevice } from './testDevice.ts';

const text = (n: { payload?: { bytes: Uint8Array } }) => Buffer.from(n.payload?.bytes ?? []).toString();

describe('observe and notifications (RFC 7641)', () => {
  let server: Lwm2mServer;
  let port: number;
  let dev: TestDevice;

  beforeAll(async () => {
    ({ server, port } = await startTestServer());
    dev = await TestDevice.open(port);
    for (const p of ['/3303/0/5700', '/3303/0/5701', '/3303/0/5702', '/3303/0/5703', '/3303/0/5704', '/3303/0/5705']) {
      dev.resources.set(p, { code: Code.CONTENT, payload: '20.0', contentFormat: 0 });
    }
    await dev.register({ ep: 'thermo', lwm2m: '1.1' });
  });
  afterAll(async () => {
    await dev.close();
    await server.close();
  });

  it('observe resolves with the current value; CON and NON notifications arrive on the stream and as events', async () => {
    const observation = await server.observe('thermo', '/3303/0/5700');
    expect(observation.established).toBe(true);
    expect(text(observation.initial)).toBe('20.0');
    const request = dev.requests.at(-1)!;
    expect(request.code).toBe(Method.GET);
    expect(uintOption(request, Option.OBSERVE)).toBe(0);

    const iterator = observation.notifications[Symbol.asyncIterator]();
    const event = nextEvent<Notification>(server.events, 'notification');
    expect((await dev.notify('/3303/0/5700', '21.5')).answer).toBe('ack');
    const first = (await within(2_000, 'first notification', iterator.next())).value as Notification;
    expect(first).toMatchObject({ endpoint: 'thermo', path: '/3303/0/5700', code: '2.05', sequence: 2, final: false, observationId: observation.id });
    expect(text(first)).toBe('21.5');
    expect(await event).toEqual(first);

    await dev.notify('/3303/0/5700', '22.0', { confirmable: false });
    const second = (await within(2_000, 'second notification', iterator.next())).value as Notification;
    expect(text(second)).toBe('22.0');
    await observation.cancel();
  });

  it('drops a notification older than one already delivered (RFC 7641 §3.4), but acknowledges it', async () => {
    const observation = await server.observe('thermo', '/3303/0/5701');
    const iterator = observation.notifications[Symbol.asyncIterator]();
    const stale = server.stats().staleNotifications;
    await dev.notify('/3303/0/5701', 'new', { sequence: 10 });
    expect((await dev.notify('/3303/0/5701', 'old', { sequence: 9 })).answer).toBe('ack');
    await dev.notify('/3303/0/5701', 'newer', { sequence: 11 });
    const values = [await iterator.next(), await iterator.next()].map((r) => text(r.value as Notification));
    expect(values).toEqual(['new', 'newer']);
    expect(server.stats().staleNotifications).toBe(stale + 1);
    await observation.cancel();
  });

  it("cancel('reset'): the next notification is answered with RST and the device forgets the observer", async () => {
    const observation = await server.observe('thermo', '/3303/0/5702');
    const alive = server.stats().observations;
    await observation.cancel('reset');
    expect(server.stats().observations).toBe(alive - 1);
    expect(await observation.ended).toBe('cancelled');
    expect((await dev.notify('/3303/0/5702', '23.0')).answer).toBe('rst');
    expect(dev.observers.has('/3303/0/5702')).toBe(false);
  });

  it("cancel('get'): GET with Observe=1 on the same token, and the device's answer comes back", async () => {
    const observation = await server.observe('thermo', '/3303/0/5703');
    const token = dev.requests.at(-1)!.token;
    const answer = await observation.cancel('get');
    expect(answer?.code).toBe('2.05');
    const cancel = dev.requests.at(-1)!;
    expect(uintOption(cancel, Option.OBSERVE)).toBe(1);
    expect(cancel.token.equals(token)).toBe(true);
    expect(dev.observers.has('/3303/0/5703')).toBe(false);
    expect(await observation.ended).toBe('cancelled');
  });

  it('a NON notification nobody observes gets RST too', async () => {
    const observation = await server.observe('thermo', '/3303/0/5704');
    await observation.cancel();
    const { messageId } = await dev.notify('/3303/0/5704', 'x', { confirmable: false });
    expect((await dev.answerTo(messageId)).type).toBe('RST');
  });

  it('a notification with an error code ends the observation (RFC 7641 §3.2)', async () => {
    const observation = await server.observe('thermo', '/3303/0/5705');
    const iterator = observation.notifications[Symbol.asyncIterator]();
    await dev.notify('/3303/0/5705', '', { code: Code.NOT_FOUND, final: true });
    const last = (await iterator.next()).value as Notification;
    expect(last).toMatchObject({ code: '4.04', final: true });
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    expect(await observation.ended).toBe('ended-by-device');
  });

  it('a resource the device will not observe: the first answer has no Observe option', async () => {
    dev.handler = (_, p) => (p === '/3/0/0' ? { code: Code.CONTENT, payload: 'static' } : undefined);
    const observation = await server.observe('thermo', '/3/0/0');
    expect(observation.established).toBe(false);
    expect(text(observation.initial)).toBe('static');
    expect(await observation.ended).toBe('not-observable');
    dev.handler = undefined;
  });

  it('observing something missing rejects with 4.04', async () => {
    await expect(server.observe('thermo', '/3303/0/9999')).rejects.toMatchObject({ code: '4.04' });
  });

  it('a block-wise notification is completed with GETs for the other blocks', async () => {
    const big = Buffer.alloc(2500, 0x33);
    dev.resources.set('/5/0/0', { code: Code.CONTENT, payload: big, contentFormat: 42 });
    const observation = await server.observe('thermo', '/5/0/0');
    expect(Buffer.from(observation.initial.payload!.bytes).equals(big)).toBe(true);
    const iterator = observation.notifications[Symbol.asyncIterator]();
    const changed = Buffer.alloc(2500, 0x44);
    dev.resources.set('/5/0/0', { code: Code.CONTENT, payload: changed, contentFormat: 42 });
    const observer = dev.observers.get('/5/0/0')!;
    observer.sequence += 1;
    const size = blockSize(6);
    dev.send({
      type: 'NON',
      code: Code.CONTENT,
      messageId: dev.nextMessageId(),
      token: observer.token,
      options: [option(Option.OBSERVE, observer.sequence), option(Option.CONTENT_FORMAT, 42), option(Option.ETAG, Buffer.from('v1')), option(Option.BLOCK2, encodeBlock({ num: 0, more: true, szx: 6 }))],
      payload: changed.subarray(0, size),
    });
    const notification = (await within(2_000, 'block-wise notification', iterator.next())).value as Notification;
    expect(Buffer.from(notification.payload!.bytes).equals(changed)).toBe(true);
    await observation.cancel();
  });

  it('de-registering ends every observation of the device', async () => {
    const other = await TestDevice.open(port);
    other.resources.set('/3303/0/5700', { code: Code.CONTENT, payload: '1' });
    const { location: otherLocation } = await other.register({ ep: 'leaving' });
    const observation = await server.observe('leaving', '/3303/0/5700');
    await other.deregister(otherLocation);
    expect(await observation.ended).toBe('deregistered');
    expect((await other.notify('/3303/0/5700', '2')).answer).toBe('rst');
    await other.close();
  });

  it('an Update from a new address carries the observations along', async () => {
    const mover = await TestDevice.open(port);
    mover.resources.set('/3303/0/5700', { code: Code.CONTENT, payload: '1' });
    const { location: moverLocation } = await mover.register({ ep: 'roaming' });
    const observation = await server.observe('roaming', '/3303/0/5700');
    const token = mover.requests.at(-1)!.token;
    const moved = await TestDevice.open(port);
    await moved.update(moverLocation);
    const iterator = observation.notifications[Symbol.asyncIterator]();
    moved.observers.set('/3303/0/5700', { token, path: '/3303/0/5700', sequence: 5 });
    expect((await moved.notify('/3303/0/5700', 'from the new address')).answer).toBe('ack');
    expect(text((await iterator.next()).value as Notification)).toBe('from the new address');
    await observation.cancel();
    await Promise.all([mover.close(), moved.close()]);
  });
});
