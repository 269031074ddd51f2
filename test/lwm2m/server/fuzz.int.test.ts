import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBlock } from '../../../functions/lwm2m/coap/block.ts';
import { encodeCoap, type EncodableMessage } from '../../../functions/lwm2m/coap/codec.ts';
import { Code, Method } from '../../../functions/lwm2m/coap/message.ts';
import { Option, option } from '../../../functions/lwm2m/coap/options.ts';
import type { Lwm2mServer } from '../../../functions/lwm2m/lwm2mServer.ts';
import { REJECTION_KINDS } from '../../../functions/lwm2m/stats.ts';
import { startTestServer, type LogLine } from './support.ts';
import { TestDevice } from './testDevice.ts';

/** A small seeded generator, so a failing run can be replayed from the seed in its name. */
const prng = (seed: number) => {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
  return { next, int: (n: number) => Math.floor(next() * n), bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256))) };
};

const SEED = 20260101;
const DATAGRAMS = 6000;
const BURST = 50;

describe(`fuzzing a running server with ${DATAGRAMS} datagrams (seed ${SEED})`, () => {
  let server: Lwm2mServer;
  let port: number;
  let lines: LogLine[];
  let fuzzer: TestDevice;

  beforeAll(async () => {
    ({ server, port, lines } = await startTestServer({ limits: { maxDatagramBytes: 1500, maxBodyBytes: 8192 } }));
    // From another loopback address: the per-address rate limit the fuzzer may drain is not the device's.
    fuzzer = await TestDevice.open(port, { host: '127.0.0.2' });
  });
  afterAll(async () => {
    await fuzzer.close();
    await server.close();
  });

  it('survives random and mutated datagrams, counts every one, and still registers a normal device', async () => {
    const rand = prng(SEED);
    const templates: (() => EncodableMessage)[] = [
      () => ({
        type: 'CON',
        code: Method.POST,
        messageId: rand.int(0x10000),
        token: rand.bytes(rand.int(9)),
        options: [option(Option.URI_PATH, 'rd'), option(Option.CONTENT_FORMAT, 40), option(Option.URI_QUERY, `ep=fuzz-${rand.int(50)}`), option(Option.URI_QUERY, 'lt=60')],
        payload: Buffer.from('</>;rt="oma.lwm2m",</1/0>,</3/0>,</3303>;ver=1.1'),
      }),
      () => ({ type: 'CON', code: Method.POST, messageId: rand.int(0x10000), token: rand.bytes(4), options: [option(Option.URI_PATH, 'rd'), option(Option.URI_PATH, rand.bytes(16).toString('base64url'))] }),
      () => ({ type: 'CON', code: Method.DELETE, messageId: rand.int(0x10000), options: [option(Option.URI_PATH, 'rd'), option(Option.URI_PATH, 'x')] }),
      () => ({ type: 'NON', code: Method.POST, messageId: rand.int(0x10000), token: rand.bytes(2), options: [option(Option.URI_PATH, 'dp'), option(Option.CONTENT_FORMAT, 110)], payload: Buffer.from('[{"n":"1","v":2}]') }),
      () => ({
        type: 'CON',
        code: Method.POST,
        messageId: rand.int(0x10000),
        token: rand.bytes(3),
        options: [option(Option.URI_PATH, 'rd'), option(Option.URI_QUERY, 'ep=blocky'), option(Option.BLOCK1, encodeBlock({ num: rand.int(0x100000), more: rand.int(2) === 1, szx: rand.int(7) }))],
        payload: rand.bytes(rand.int(1100)),
      }),
      () => ({ type: 'CON', code: 0, messageId: rand.int(0x10000) }),
      () => ({ type: 'ACK', code: rand.int(2) === 0 ? 0 : Code.CONTENT, messageId: rand.int(0x10000), token: rand.bytes(rand.int(9)) }),
      () => ({ type: rand.int(2) === 0 ? 'CON' : 'NON', code: Code.CONTENT, messageId: rand.int(0x10000), token: rand.bytes(8), options: [option(Option.OBSERVE, rand.int(0x1000000))], payload: rand.bytes(20) }),
      () => ({ type: 'RST', code: 0, messageId: rand.int(0x10000) }),
      () => ({ type: 'CON', code: Method.GET, messageId: rand.int(0x10000), options: Array.from({ length: rand.int(8) }, () => option(rand.int(300), rand.bytes(rand.int(20)))) }),
    ];
    const mutate = (bytes: Buffer): Buffer => {
      const out = Buffer.from(bytes);
      switch (rand.int(6)) {
        case 0:
          for (let i = 0; i < 1 + rand.int(4); i += 1) if (out.length > 0) out[rand.int(out.length)]! ^= 1 << rand.int(8);
          return out;
        case 1:
          return out.subarray(0, rand.int(out.length + 1));
        case 2:
          return Buffer.concat([out, rand.bytes(1 + rand.int(64))]);
        case 3:
          if (out.length > 4) out[4 + rand.int(out.length - 4)] = 0xff;
          return out;
        case 4:
          // Keep a valid header, randomise everything after it.
          return Buffer.concat([out.subarray(0, 4), rand.bytes(rand.int(120))]);
        default:
          return out;
      }
    };
    const datagram = (): Buffer => {
      const roll = rand.int(10);
      if (roll < 3) return rand.bytes(rand.int(200));
      if (roll === 3) return Buffer.concat([Buffer.from([0x40 | rand.int(0x40), rand.int(256)]), rand.bytes(rand.int(300))]);
      if (roll === 4) return encodeCoap({ ...templates[rand.int(templates.length)]!(), payload: rand.bytes(1500 + rand.int(1000)) });
      return mutate(encodeCoap(templates[rand.int(templates.length)]!()));
    };

    const before = server.stats();
    let sent = 0;
    let pings = 0;
    while (sent < DATAGRAMS) {
      for (let i = 0; i < BURST && sent < DATAGRAMS; i += 1, sent += 1) fuzzer.sendRaw(datagram());
      // The ping is answered after everything before it from this socket was handled: no sleeping.
      await fuzzer.ping();
      pings += 1;
    }

    const after = server.stats();
    expect(after.datagramsReceived - before.datagramsReceived).toBe(sent + pings);
    const rejected = REJECTION_KINDS.reduce((sum, kind) => sum + after.rejected[kind] - before.rejected[kind], 0);
    expect(rejected).toBeGreaterThan(sent / 2);
    expect(after.rejected['malformed-message']).toBeGreaterThan(0);
    expect(after.rejected['oversized-message'] - before.rejected['oversized-message']).toBeGreaterThan(DATAGRAMS / 20);
    expect(after.rejected['unexpected-message']).toBeGreaterThan(0);
    // No datagram made a handler throw: the only errors would be bugs.
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    // What the fuzzer could register is bounded by the per-address rate limit (burst 20).
    expect(after.registrations).toBeLessThanOrEqual(20);

    const device = await TestDevice.open(port);
    try {
      device.resources.set('/3/0/0', { code: Code.CONTENT, payload: 'alive' });
      const { code } = await device.register({ ep: 'after-the-storm', lt: 60 });
      expect(code).toBe(Code.CREATED);
      const read = await server.read('after-the-storm', '/3/0/0');
      expect(Buffer.from(read.payload!.bytes).toString()).toBe('alive');
    } finally {
      await device.close();
    }
  });
});
