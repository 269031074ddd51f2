import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Code, Method } from '../../../functions/lwm2m/coap/message.ts';
import { Option, option, stringOptions } from '../../../functions/lwm2m/coap/options.ts';
import type { Lwm2mServer, RegisteredEvent, RemovedEvent, UpdatedEvent } from '../../../functions/lwm2m/lwm2mServer.ts';
import { nextEvent, startTestServer, within } from './support.ts';
import { TestDevice } from './testDevice.ts';

describe('registration interface over UDP', () => {
  let server: Lwm2mServer;
  let port: number;
  const devices: TestDevice[] = [];
  const device = async () => {
    const d = await TestDevice.open(port);
    devices.push(d);
    return d;
  };

  beforeAll(async () => {
    ({ server, port } = await startTestServer());
  });
  afterAll(async () => {
    await Promise.all(devices.map((d) => d.close()));
    await server.close();
  });

  it('registers, updates and de-registers, with an event for each', async () => {
    const dev = await device();
    const registered = nextEvent<RegisteredEvent>(server.events, 'registered');
    const { code, location } = await dev.register({
      ep: 'meter-1',
      lt: 60,
      lwm2m: '1.1',
      b: 'U',
      links: '</>;rt="oma.lwm2m";ct="110 112 11542",</1/0>,</3/0>,</3303>;ver=1.1,</3303/0>',
    });
    expect(code).toBe(Code.CREATED);
    expect(location).toMatch(/^\/rd\/[A-Za-z0-9_-]{22}$/);
    const { registration } = await registered;
    expect(registration).toMatchObject({
      id: location.slice(4),
      endpoint: 'meter-1',
      lifetimeSeconds: 60,
      lwm2mVersion: '1.1',
      binding: 'U',
      queueMode: false,
      address: { address: '127.0.0.1', port: dev.port },
      objectLinks: { rootPath: '', contentFormats: [110, 112, 11542] },
    });
    expect(registration.objectLinks.objects).toEqual([
      { objectId: 1, instances: [0] },
      { objectId: 3, instances: [0] },
      { objectId: 3303, version: '1.1', instances: [0] },
    ]);
    expect(Date.parse(registration.expiresAt!) - Date.parse(registration.registeredAt)).toBe(60_000);
    expect(server.registration('meter-1')).toEqual(registration);

    const updated = nextEvent<UpdatedEvent>(server.events, 'updated');
    const update = await dev.update(location, { query: ['lt=120'], links: '</1/0>,</3/0>,</3303/0>,</3303/1>' });
    expect(update.code).toBe(Code.CHANGED);
    const { registration: after, previous } = await updated;
    expect(previous.lifetimeSeconds).toBe(60);
    expect(after.lifetimeSeconds).toBe(120);
    expect(after.id).toBe(registration.id);
    expect(after.objectLinks.objects.find((o) => o.objectId === 3303)?.instances).toEqual([0, 1]);

    // An Update with no body keeps the object list.
    await dev.update(location);
    expect(server.registration('meter-1')?.objectLinks.objects).toEqual(after.objectLinks.objects);

    const deregistered = nextEvent<RemovedEvent>(server.events, 'deregistered');
    expect((await dev.deregister(location)).code).toBe(Code.DELETED);
    expect((await deregistered).registration.endpoint).toBe('meter-1');
    expect(server.registration('meter-1')).toBeUndefined();

    const late = await dev.update(location);
    expect(late.code).toBe(Code.NOT_FOUND);
    expect(late.payload.toString()).toMatch(/register again/);
  });

  it('gives every registration an unguessable location (128 random bits, base64url)', async () => {
    const dev = await device();
    const ids = new Set<string>();
    for (let i = 0; i < 10; i += 1) ids.add((await dev.register({ ep: `unique-${i}` })).location);
    expect(ids.size).toBe(10);
    for (const id of ids) expect(Buffer.from(id.slice(4), 'base64url').length).toBe(16);
  });

  it('answers a retransmitted Register from its cache: one registration, the same location', async () => {
    const dev = await device();
    const before = server.stats();
    const message = {
      type: 'CON' as const,
      code: Method.POST,
      messageId: dev.nextMessageId(),
      token: Buffer.from([9, 9]),
      options: [option(Option.URI_PATH, 'rd'), option(Option.URI_QUERY, 'ep=twice')],
    };
    dev.send(message);
    dev.send(message);
    await dev.ping();
    const answers = dev.received.filter((m) => m.type === 'ACK' && m.messageId === message.messageId);
    expect(answers).toHaveLength(2);
    expect(stringOptions(answers[0]!, Option.LOCATION_PATH)).toEqual(stringOptions(answers[1]!, Option.LOCATION_PATH));
    const after = server.stats();
    expect(after.registered - before.registered).toBe(1);
    expect(after.duplicates - before.duplicates).toBe(1);
  });

  it('a Register with the same endpoint name from a new port replaces the old one; requests go to the new port', async () => {
    const old = await device();
    const first = await old.register({ ep: 'rebooted', lt: 300 });
    const fresh = await device();
    fresh.resources.set('/3/0/0', { code: Code.CONTENT, payload: 'from the new port', contentFormat: 0 });
    const registered = nextEvent<RegisteredEvent>(server.events, 'registered');
    const second = await fresh.register({ ep: 'rebooted', lt: 300 });
    const event = await registered;
    expect(second.location).not.toBe(first.location);
    expect(event.replaced?.id).toBe(first.location.slice(4));
    expect(event.registration.address.port).toBe(fresh.port);
    expect(server.registrations().filter((r) => r.endpoint === 'rebooted')).toHaveLength(1);

    const read = await server.read('rebooted', '/3/0/0');
    expect(Buffer.from(read.payload!.bytes).toString()).toBe('from the new port');
    expect(old.requests).toHaveLength(0);
    // The old location is gone.
    expect((await old.update(first.location)).code).toBe(Code.NOT_FOUND);
  });

  it('an Update from a new address moves the registration there (NAT rebinding)', async () => {
    const dev = await device();
    const { location } = await dev.register({ ep: 'nat' });
    const moved = await device();
    moved.resources.set('/3/0/1', { code: Code.CONTENT, payload: 'moved' });
    expect((await moved.update(location)).code).toBe(Code.CHANGED);
    expect(server.registration('nat')?.address.port).toBe(moved.port);
    const read = await server.read('nat', '/3/0/1');
    expect(Buffer.from(read.payload!.bytes).toString()).toBe('moved');
  });

  it('takes Register bodies sent in Block1 blocks', async () => {
    const dev = await device();
    const links = Array.from({ length: 300 }, (_, i) => `</3303/${i}>`).join(',');
    const registered = nextEvent<RegisteredEvent>(server.events, 'registered');
    const answers = await dev.requestInBlocks(
      { code: Method.POST, path: '/rd', query: ['ep=big-body', 'lt=60'], contentFormat: 40, payload: Buffer.from(links) },
      4,
    );
    expect(answers.slice(0, -1).every((a) => a.code === Code.CONTINUE)).toBe(true);
    expect(answers.at(-1)!.code).toBe(Code.CREATED);
    expect((await registered).registration.objectLinks.objects[0]!.instances).toHaveLength(300);
  });

  it('accepts Send (POST /dp) from a registered device and emits it', async () => {
    const dev = await device();
    await dev.register({ ep: 'sender', lwm2m: '1.1' });
    const sent = nextEvent<{ endpoint: string; payload: { contentFormat: number; bytes: Uint8Array } }>(server.events, 'send');
    const senml = '[{"bn":"/3303/0/","n":"5700","v":21.5}]';
    const answer = await dev.sendData(senml, 110);
    expect(answer.code).toBe(Code.CHANGED);
    const event = await sent;
    expect(event.endpoint).toBe('sender');
    expect(event.payload.contentFormat).toBe(110);
    expect(Buffer.from(event.payload.bytes).toString()).toBe(senml);
  });

  it('takes a Send body in blocks and refuses Send from strangers, in odd formats, or empty', async () => {
    const dev = await device();
    await dev.register({ ep: 'big-sender' });
    const sent = nextEvent<{ payload: { bytes: Uint8Array } }>(server.events, 'send');
    const body = Buffer.alloc(3000, 0x61);
    const answers = await dev.requestInBlocks({ code: Method.POST, path: '/dp', contentFormat: 112, payload: body }, 6);
    expect(answers.at(-1)!.code).toBe(Code.CHANGED);
    expect(Buffer.from((await sent).payload.bytes).equals(body)).toBe(true);

    expect((await dev.sendData('x', 0)).code).toBe(Code.UNSUPPORTED_CONTENT_FORMAT);
    expect((await dev.sendData('x', undefined)).code).toBe(Code.UNSUPPORTED_CONTENT_FORMAT);
    expect((await dev.sendData(Buffer.alloc(0), 110)).code).toBe(Code.BAD_REQUEST);
    const stranger = await device();
    expect((await stranger.sendData('[]', 110)).code).toBe(Code.BAD_REQUEST);
    expect(server.stats().rejected['send-not-registered']).toBeGreaterThanOrEqual(1);
  });

  it('answers a CoAP ping with RST', async () => {
    const dev = await device();
    const rst = await within(2_000, 'ping', dev.ping());
    expect(rst.type).toBe('RST');
  });
});
