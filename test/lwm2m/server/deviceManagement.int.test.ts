import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBlock, encodeBlock } from '../../../functions/lwm2m/coap/block.ts';
import { Code, Method, type CoapMessage } from '../../../functions/lwm2m/coap/message.ts';
import { firstOption, Option, option, stringOptions, uintOption } from '../../../functions/lwm2m/coap/options.ts';
import { Lwm2mError, Lwm2mResponseError, Lwm2mTimeoutError } from '../../../functions/lwm2m/errors.ts';
import type { Lwm2mServer } from '../../../functions/lwm2m/lwm2mServer.ts';
import { ContentFormat } from '../../../functions/lwm2m/payload.ts';
import { startTestServer, within } from './support.ts';
import { TestDevice } from './testDevice.ts';

const path = (m: CoapMessage) => `/${stringOptions(m, Option.URI_PATH).join('/')}`;
const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString();

describe('device management against the test device', () => {
  let server: Lwm2mServer;
  let port: number;
  let dev: TestDevice;
  const others: TestDevice[] = [];

  beforeAll(async () => {
    ({ server, port } = await startTestServer());
    dev = await TestDevice.open(port);
    dev.resources.set('/3/0/0', { code: Code.CONTENT, payload: 'Acme', contentFormat: ContentFormat.TEXT });
    dev.resources.set('/3/0', { code: Code.CONTENT, payload: Buffer.from([0xc8, 0x00, 0x04, 0x41, 0x63, 0x6d, 0x65]), contentFormat: ContentFormat.LWM2M_TLV });
    dev.resources.set('/5/0/0', { code: Code.CONTENT, payload: Buffer.alloc(3000, 0x42), contentFormat: ContentFormat.OCTET_STREAM });
    await dev.register({ ep: 'dm-1', lwm2m: '1.1' });
  });
  afterAll(async () => {
    await Promise.all([dev.close(), ...others.map((d) => d.close())]);
    await server.close();
  });

  it('read: GET on the path, Accept when asked, resolves with code, format and bytes', async () => {
    const plain = await server.read('dm-1', '/3/0/0');
    expect(plain).toEqual({ code: '2.05', payload: { contentFormat: 0, bytes: Buffer.from('Acme') } });
    const tlv = await server.read('dm-1', '/3/0', { accept: ContentFormat.LWM2M_TLV });
    expect(tlv.payload?.contentFormat).toBe(ContentFormat.LWM2M_TLV);
    const request = dev.requests.at(-1)!;
    expect(request.code).toBe(Method.GET);
    expect(path(request)).toBe('/3/0');
    expect(uintOption(request, Option.ACCEPT)).toBe(ContentFormat.LWM2M_TLV);
  });

  it('read of something missing rejects with the device code 4.04', async () => {
    const error = await server.read('dm-1', '/3/0/99').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Lwm2mResponseError);
    expect(error).toMatchObject({ kind: 'response', code: '4.04', codeName: 'Not Found', endpoint: 'dm-1', operation: 'read', path: '/3/0/99' });
    expect((error as Error).message).toBe('read /3/0/99 on dm-1: the device answered 4.04 Not Found');
  });

  it('4.05 and 4.06 reach the caller with their codes and the device diagnostic', async () => {
    dev.handler = (request, p) => {
      if (p === '/3/0/0' && request.code === Method.PUT) return { code: Code.METHOD_NOT_ALLOWED, payload: 'resource is read-only' };
      if (uintOption(request, Option.ACCEPT) === ContentFormat.SENML_CBOR) return { code: Code.NOT_ACCEPTABLE };
      return undefined;
    };
    const refused = await server.write('dm-1', '/3/0/0', { contentFormat: 0, bytes: Buffer.from('x') }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: '4.05' });
    expect((refused as Error).message).toMatch(/4\.05 Method Not Allowed \(resource is read-only\)/);
    await expect(server.read('dm-1', '/3/0/0', { accept: ContentFormat.SENML_CBOR })).rejects.toMatchObject({ code: '4.06', codeName: 'Not Acceptable' });
    dev.handler = undefined;
  });

  it('discover: GET with Accept application/link-format', async () => {
    dev.handler = (request, p) =>
      p === '/3' && uintOption(request, Option.ACCEPT) === ContentFormat.LINK_FORMAT
        ? { code: Code.CONTENT, payload: '</3>,</3/0>,</3/0/0>,</3/0/9>;pmax=60', contentFormat: 40 }
        : undefined;
    const answer = await server.discover('dm-1', '/3');
    expect(answer.payload?.contentFormat).toBe(40);
    expect(text(answer.payload?.bytes)).toContain('</3/0/9>;pmax=60');
    dev.handler = undefined;
  });

  it('write: replace is PUT, partial update is POST, both with the Content-Format', async () => {
    const seen: CoapMessage[] = [];
    dev.handler = (request) => {
      seen.push(request);
      return { code: Code.CHANGED };
    };
    const tlv = Buffer.from([0xc1, 0x0e, 0x2b]);
    expect(await server.write('dm-1', '/1/0', { contentFormat: ContentFormat.LWM2M_TLV, bytes: tlv })).toEqual({ code: '2.04' });
    expect(await server.write('dm-1', '/1/0', { contentFormat: ContentFormat.LWM2M_TLV, bytes: tlv }, { mode: 'update' })).toEqual({ code: '2.04' });
    expect(seen.map((m) => [m.code, path(m), uintOption(m, Option.CONTENT_FORMAT), m.payload.equals(tlv)])).toEqual([
      [Method.PUT, '/1/0', ContentFormat.LWM2M_TLV, true],
      [Method.POST, '/1/0', ContentFormat.LWM2M_TLV, true],
    ]);
    dev.handler = undefined;
  });

  it('write-attributes: PUT with the attributes as Uri-Query and no payload', async () => {
    let request: CoapMessage | undefined;
    dev.handler = (m) => ((request = m), { code: Code.CHANGED });
    await server.writeAttributes('dm-1', '/3303/0/5700', { pmin: 10, pmax: 60, st: 0.5, lt: null });
    expect(request!.code).toBe(Method.PUT);
    expect(stringOptions(request!, Option.URI_QUERY)).toEqual(['pmin=10', 'pmax=60', 'st=0.5', 'lt']);
    expect(request!.payload.length).toBe(0);
    dev.handler = undefined;
  });

  it('execute: POST on a resource, arguments as text', async () => {
    let request: CoapMessage | undefined;
    dev.handler = (m) => ((request = m), { code: Code.CHANGED });
    expect((await server.execute('dm-1', '/3/0/4', "0='now'")).code).toBe('2.04');
    expect(request!.code).toBe(Method.POST);
    expect(path(request!)).toBe('/3/0/4');
    expect(request!.payload.toString()).toBe("0='now'");
    expect(uintOption(request!, Option.CONTENT_FORMAT)).toBe(0);
    dev.handler = undefined;
  });

  it('create: POST on the object, resolves with the new instance from Location-Path; delete: DELETE', async () => {
    const seen: CoapMessage[] = [];
    dev.handler = (m) => {
      seen.push(m);
      if (m.code === Method.POST) return { code: Code.CREATED, options: [option(Option.LOCATION_PATH, '3303'), option(Option.LOCATION_PATH, '7')] };
      if (m.code === Method.DELETE) return { code: Code.DELETED };
      return undefined;
    };
    const created = await server.create('dm-1', '/3303', { contentFormat: ContentFormat.SENML_JSON, bytes: Buffer.from('[{"n":"5700","v":1}]') });
    expect(created).toEqual({ code: '2.01', location: '/3303/7' });
    expect(await server.delete('dm-1', '/3303/7')).toEqual({ code: '2.02' });
    expect(seen.map((m) => [m.code, path(m)])).toEqual([
      [Method.POST, '/3303'],
      [Method.DELETE, '/3303/7'],
    ]);
    dev.handler = undefined;
  });

  it('paths go under the alternate root path the device registered', async () => {
    const alt = await TestDevice.open(port);
    others.push(alt);
    alt.resources.set('/lwm2m/3/0/0', { code: Code.CONTENT, payload: 'under /lwm2m' });
    alt.handler = (m) => (m.code === Method.POST ? { code: Code.CREATED, options: [option(Option.LOCATION_PATH, 'lwm2m'), option(Option.LOCATION_PATH, '3303'), option(Option.LOCATION_PATH, '0')] } : undefined);
    await alt.register({ ep: 'alt-root', links: '</lwm2m>;rt="oma.lwm2m",</lwm2m/3/0>' });
    expect(text((await server.read('alt-root', '/3/0/0')).payload?.bytes)).toBe('under /lwm2m');
    expect((await server.create('alt-root', '/3303', { contentFormat: 112, bytes: Buffer.from([0x80]) })).location).toBe('/3303/0');
  });

  it('a large answer is fetched block by block (Block2) and handed back whole', async () => {
    const before = dev.requests.length;
    const answer = await server.read('dm-1', '/5/0/0');
    expect(answer.payload?.bytes).toEqual(Buffer.alloc(3000, 0x42));
    const blocks = dev.requests.slice(before).map((m) => decodeBlock(firstOption(m, Option.BLOCK2) ?? Buffer.alloc(0))?.num);
    expect(blocks).toEqual([0, 1, 2]);
  });

  it('a device that sends short blocks marked "more" is refused with kind protocol, not asked again forever', async () => {
    dev.handler = (_, p) =>
      p === '/5/0/1' ? { code: Code.CONTENT, payload: 'short', options: [option(Option.BLOCK2, encodeBlock({ num: 0, more: true, szx: 6 }))] } : undefined;
    const sent = server.stats().requestsSent;
    await expect(server.read('dm-1', '/5/0/1')).rejects.toMatchObject({ kind: 'protocol', message: expect.any(String) as string });
    expect(server.stats().requestsSent).toBe(sent + 1);
    dev.handler = undefined;
  });

  it('a large write goes out in Block1 blocks of 1024 bytes', async () => {
    const seen: CoapMessage[] = [];
    dev.handler = (m) => (seen.push(m), { code: Code.CHANGED });
    const firmware = Buffer.alloc(2500);
    for (let i = 0; i < firmware.length; i += 1) firmware[i] = i % 251;
    expect((await server.write('dm-1', '/5/0/0', { contentFormat: ContentFormat.OCTET_STREAM, bytes: firmware })).code).toBe('2.04');
    // The handler sees the reassembled body once; the device saw three PUTs.
    expect(seen).toHaveLength(1);
    expect(seen[0]!.payload.equals(firmware)).toBe(true);
    const puts = dev.requests.filter((m) => m.code === Method.PUT && path(m) === '/5/0/0');
    expect(puts.slice(-1)[0]!.payload.equals(firmware)).toBe(true);
    dev.handler = undefined;
  });

  it('a separate response (empty ACK, then the answer as a CON) resolves the request', async () => {
    dev.handler = (_, p) => (p === '/3/0/2' ? { separate: { code: Code.CONTENT, payload: 'later' } } : undefined);
    expect(text((await server.read('dm-1', '/3/0/2')).payload?.bytes)).toBe('later');
    dev.handler = undefined;
  });

  it('a RST from the device rejects with kind reset', async () => {
    dev.handler = (_, p) => (p === '/3/0/3' ? 'reset' : undefined);
    await expect(server.read('dm-1', '/3/0/3')).rejects.toMatchObject({ kind: 'reset' });
    dev.handler = undefined;
  });

  it('one request at a time per device (NSTART 1): the second leaves after the first is answered', async () => {
    let held: CoapMessage | undefined;
    dev.handler = (m, p) => (p === '/3/0/13' ? ((held = m), 'silent') : undefined);
    const slow = await startTestServer({ timing: { ackTimeoutMs: 2_000, maxRetransmit: 1 } });
    const single = await TestDevice.open(slow.port);
    others.push(single);
    single.handler = dev.handler;
    single.resources.set('/3/0/0', { code: Code.CONTENT, payload: 'second' });
    await single.register({ ep: 'nstart' });
    const first = slow.server.read('nstart', '/3/0/13');
    const second = slow.server.read('nstart', '/3/0/0');
    await single.nextRequest();
    expect(slow.server.stats().queuedRequests).toBe(1);
    single.send({ type: 'ACK', code: Code.CONTENT, messageId: held!.messageId, token: held!.token, payload: Buffer.from('first') });
    expect(text((await first).payload?.bytes)).toBe('first');
    expect(text((await second).payload?.bytes)).toBe('second');
    await slow.server.close();
    dev.handler = undefined;
  });

  it('bad calls fail before anything is sent: unknown device, bad path, wrong depth', async () => {
    const sent = server.stats().requestsSent;
    await expect(server.read('nobody', '/3/0/0')).rejects.toMatchObject({ kind: 'not-registered' });
    await expect(server.read('dm-1', '3/0')).rejects.toMatchObject({ kind: 'invalid-request' });
    await expect(server.execute('dm-1', '/3/0')).rejects.toMatchObject({ kind: 'invalid-request' });
    await expect(server.create('dm-1', '/3303/0', { contentFormat: 0, bytes: Buffer.alloc(0) })).rejects.toBeInstanceOf(Lwm2mError);
    expect(server.stats().requestsSent).toBe(sent);
  });
});

describe('a device that never answers', () => {
  it('gets the request 1 + MAX_RETRANSMIT times with doubling gaps, then the call rejects with a timeout', async () => {
    const { server, port } = await startTestServer({ timing: { ackTimeoutMs: 20, ackRandomFactor: 1, maxRetransmit: 2 } });
    const dev = await TestDevice.open(port);
    try {
      await dev.register({ ep: 'mute' });
      const arrivals: number[] = [];
      dev.handler = () => (arrivals.push(performance.now()), 'silent');
      const started = performance.now();
      const error = await within(5_000, 'timeout', server.read('mute', '/3/0/0').catch((e: unknown) => e));
      expect(error).toBeInstanceOf(Lwm2mTimeoutError);
      expect(error).toMatchObject({ kind: 'timeout', stage: 'no-ack' });
      expect((error as Error).message).toMatch(/no ACK after 3 transmissions/);
      expect(performance.now() - started).toBeGreaterThanOrEqual(20 + 40 + 80 - 5);
      // The server sent everything before it answers this ping: the device has read all transmissions.
      await dev.ping();
      // Three transmissions of one message: same Message ID (a retransmission, not a new request).
      const gets = dev.requests.filter((m) => m.code === Method.GET);
      expect(gets).toHaveLength(3);
      expect(new Set(gets.map((m) => m.messageId)).size).toBe(1);
      // Back-off doubles: 20 ms, then 40 ms (lower bounds: timers may run late under load, never early).
      expect(arrivals[1]! - arrivals[0]!).toBeGreaterThanOrEqual(15);
      expect(arrivals[2]! - arrivals[1]!).toBeGreaterThanOrEqual(35);
      expect(server.stats()).toMatchObject({ timeouts: 1, retransmissions: 2 });
    } finally {
      await dev.close();
      await server.close();
    }
  });

  it('an empty ACK with no separate response after it times out as no-response', async () => {
    // The ACK comes at once, so the ACK timeout never matters; the wait after it does.
    const { server, port } = await startTestServer({ timing: { ackTimeoutMs: 1_000, separateResponseTimeoutMs: 50 } });
    const dev = await TestDevice.open(port);
    try {
      await dev.register({ ep: 'acks-only' });
      dev.handler = () => 'ack-only';
      await expect(within(5_000, 'timeout', server.read('acks-only', '/3/0/0'))).rejects.toMatchObject({ kind: 'timeout', stage: 'no-response' });
      expect(dev.requests).toHaveLength(1);
    } finally {
      await dev.close();
      await server.close();
    }
  });

  it('closing the server fails what is outstanding with kind closed', async () => {
    const { server, port } = await startTestServer({ timing: { ackTimeoutMs: 10_000 } });
    const dev = await TestDevice.open(port);
    await dev.register({ ep: 'closing' });
    dev.handler = () => 'silent';
    const pending = server.read('closing', '/3/0/0').catch((e: unknown) => e);
    await dev.nextRequest();
    await server.close();
    expect(await pending).toMatchObject({ kind: 'closed' });
    await dev.close();
  });
});
