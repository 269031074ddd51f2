import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBlock, encodeBlock } from '../../../functions/lwm2m/coap/block.ts';
import { encodeCoap } from '../../../functions/lwm2m/coap/codec.ts';
import { Code, Method, type CoapMessage } from '../../../functions/lwm2m/coap/message.ts';
import { firstOption, Option, option, uintOption } from '../../../functions/lwm2m/coap/options.ts';
import type { Lwm2mServer } from '../../../functions/lwm2m/lwm2mServer.ts';
import type { RejectionKind } from '../../../functions/lwm2m/stats.ts';
import { startTestServer, type LogLine } from './support.ts';
import { TestDevice } from './testDevice.ts';

/**
 * Hostile and broken input: each gets the answer the RFCs and the LwM2M spec name (or none where
 * they say drop it), is counted under its kind and logged, and a well-behaved device registered
 * beforehand is still served afterwards.
 */
describe('hostile input', () => {
  let server: Lwm2mServer;
  let port: number;
  let lines: LogLine[];
  let attacker: TestDevice;
  let bystander: TestDevice;

  beforeAll(async () => {
    ({ server, port, lines } = await startTestServer({
      limits: { maxDatagramBytes: 2048, maxBodyBytes: 4096 },
      registrationRateLimit: { burst: 1000, perSecond: 1000 },
    }));
    attacker = await TestDevice.open(port);
    bystander = await TestDevice.open(port);
    bystander.resources.set('/3/0/0', { code: Code.CONTENT, payload: 'still here' });
    await bystander.register({ ep: 'bystander' });
  });
  afterAll(async () => {
    // Nothing hostile disturbed the device that behaved.
    expect(Buffer.from((await server.read('bystander', '/3/0/0')).payload!.bytes).toString()).toBe('still here');
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    await Promise.all([attacker.close(), bystander.close()]);
    await server.close();
  });

  /** Sends, waits until the server has handled it (a ping behind it is answered), returns what came back. */
  const exchange = async (bytes: Buffer): Promise<CoapMessage[]> => {
    const from = attacker.received.length;
    attacker.sendRaw(bytes);
    const pong = await attacker.ping();
    return attacker.received.slice(from).filter((m) => m !== pong);
  };
  const counted = (kind: RejectionKind) => server.stats().rejected[kind];
  const logged = (kind: RejectionKind) => lines.some((l) => l.level === 'warn' && l.details.kind === kind);
  const post = (query: string[], payload?: Buffer | string, extra: ReturnType<typeof option>[] = [], type: 'CON' | 'NON' = 'CON') =>
    encodeCoap({
      type,
      code: Method.POST,
      messageId: attacker.nextMessageId(),
      token: Buffer.from([1, 2, 3]),
      options: [option(Option.URI_PATH, 'rd'), ...query.map((q) => option(Option.URI_QUERY, q)), ...extra],
      payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
    });

  it.each<[string, () => Buffer, RejectionKind, number]>([
    ['a Register without ep', () => post(['lt=60']), 'bad-registration', Code.BAD_REQUEST],
    ['a Register with a broken lifetime', () => post(['ep=x', 'lt=soon']), 'bad-registration', Code.BAD_REQUEST],
    ['a Register with an unknown parameter', () => post(['ep=x', 'admin=1']), 'bad-registration', Code.BAD_REQUEST],
    ['a Register with broken link format', () => post(['ep=x'], '</1/0>,</3/0', [option(Option.CONTENT_FORMAT, 40)]), 'bad-link-format', Code.BAD_REQUEST],
    ['a Register whose body is not UTF-8', () => post(['ep=x'], Buffer.from([0x3c, 0xc3, 0x28, 0x3e])), 'bad-link-format', Code.BAD_REQUEST],
    ['a Register with a JSON body', () => post(['ep=x'], '{"objects":[3]}', [option(Option.CONTENT_FORMAT, 50)]), 'unsupported-content-format', Code.UNSUPPORTED_CONTENT_FORMAT],
    ['a Register for LwM2M 2.0', () => post(['ep=x', 'lwm2m=2.0']), 'unsupported-lwm2m-version', Code.PRECONDITION_FAILED],
    ['an unrecognized critical option (If-None-Match)', () => post(['ep=x'], undefined, [option(Option.IF_NONE_MATCH, Buffer.alloc(0))]), 'bad-option', Code.BAD_OPTION],
    ['a critical option with a bad length (Accept of 3 bytes)', () => post(['ep=x'], undefined, [option(Option.ACCEPT, Buffer.from([1, 2, 3]))]), 'bad-option', Code.BAD_OPTION],
    ['a proxy request', () => post(['ep=x'], undefined, [option(Option.PROXY_URI, 'coap://elsewhere/')]), 'proxy-request', Code.PROXYING_NOT_SUPPORTED],
    ['GET /rd', () => encodeCoap({ type: 'CON', code: Method.GET, messageId: attacker.nextMessageId(), options: [option(Option.URI_PATH, 'rd')] }), 'method-not-allowed', Code.METHOD_NOT_ALLOWED],
    ['a path the server does not serve', () => encodeCoap({ type: 'CON', code: Method.GET, messageId: attacker.nextMessageId(), options: [option(Option.URI_PATH, 'bs')] }), 'not-found', Code.NOT_FOUND],
    ['an Update of a location that does not exist', () => encodeCoap({ type: 'CON', code: Method.POST, messageId: attacker.nextMessageId(), options: [option(Option.URI_PATH, 'rd'), option(Option.URI_PATH, 'guessed')] }), 'unknown-registration', Code.NOT_FOUND],
    ['a De-register of a location that does not exist', () => encodeCoap({ type: 'CON', code: Method.DELETE, messageId: attacker.nextMessageId(), options: [option(Option.URI_PATH, 'rd'), option(Option.URI_PATH, 'guessed')] }), 'unknown-registration', Code.NOT_FOUND],
  ])('%s: answered, counted, logged', async (_, build, kind, expected) => {
    const before = counted(kind);
    const bytes = build();
    const replies = await exchange(bytes);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ type: 'ACK', code: expected, messageId: bytes.readUInt16BE(2) });
    expect(counted(kind)).toBe(before + 1);
    expect(logged(kind)).toBe(true);
  });

  it('every refusal carries a diagnostic saying what was wrong', async () => {
    const [reply] = await exchange(post(['lt=60']));
    expect(reply!.payload.toString()).toBe("the 'ep' (Endpoint Client Name) parameter is mandatory");
  });

  it('a malformed CON is answered with RST (RFC 7252 §4.2)', async () => {
    // CON, token length 9 (reserved), Message ID 0x4242.
    const replies = await exchange(Buffer.from([0x49, 0x02, 0x42, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(replies).toEqual([expect.objectContaining({ type: 'RST', code: 0, messageId: 0x4242 })]);
    expect(logged('malformed-message')).toBe(true);
  });

  it.each([
    ['a malformed NON', Buffer.from([0x59, 0x02, 0x42, 0x43, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 'malformed-message'],
    ['a malformed ACK', Buffer.from([0x60, 0x45, 0x42, 0x44, 0xf0]), 'malformed-message'],
    ['a truncated option in a NON', Buffer.from([0x50, 0x02, 0x42, 0x45, 0xb5, 0x72]), 'malformed-message'],
    ['2 bytes', Buffer.from([0x40, 0x01]), 'malformed-message'],
    ['nothing at all', Buffer.alloc(0), 'malformed-message'],
    ['CoAP version 2', Buffer.from([0x80, 0x01, 0x42, 0x46]), 'unsupported-version'],
    ['a NON with Empty code', Buffer.from([0x50, 0x00, 0x42, 0x47]), 'malformed-message'],
    ['a request inside an ACK', encodeCoap({ type: 'ACK', code: Method.GET, messageId: 0x4248 }), 'malformed-message'],
    ['a Reset with a code', encodeCoap({ type: 'RST', code: Code.CONTENT, messageId: 0x4249 }), 'malformed-message'],
    ['an ACK nobody waits for', encodeCoap({ type: 'ACK', code: 0, messageId: 0x424a }), 'unexpected-message'],
  ] as const)('%s is dropped silently, counted and logged', async (_, bytes, kind) => {
    const before = counted(kind);
    expect(await exchange(bytes)).toEqual([]);
    expect(counted(kind)).toBe(before + 1);
    expect(logged(kind)).toBe(true);
  });

  it('a code in a reserved class is a format error: RST to a CON', async () => {
    const replies = await exchange(encodeCoap({ type: 'CON', code: (7 << 5) | 3, messageId: 0x4250 }));
    expect(replies).toEqual([expect.objectContaining({ type: 'RST', messageId: 0x4250 })]);
  });

  it('a NON request with an unrecognized critical option is rejected with RST (RFC 7252 §5.4.1)', async () => {
    const bytes = post(['ep=x'], undefined, [option(9, 'x')], 'NON');
    const replies = await exchange(bytes);
    expect(replies).toEqual([expect.objectContaining({ type: 'RST', messageId: bytes.readUInt16BE(2) })]);
  });

  it('a response to nothing gets RST (CON and NON)', async () => {
    for (const [type, messageId] of [['CON', 0x4260], ['NON', 0x4261]] as const) {
      const replies = await exchange(encodeCoap({ type, code: Code.CONTENT, messageId, token: Buffer.from('nothing'), payload: Buffer.from('x') }));
      expect(replies).toEqual([expect.objectContaining({ type: 'RST', messageId })]);
    }
  });

  it('an oversized datagram is refused with 4.13, Size1 and a Block1 hint', async () => {
    const before = counted('oversized-message');
    const [reply] = await exchange(post(['ep=huge'], Buffer.alloc(3000, 0x2c)));
    expect(reply).toMatchObject({ type: 'ACK', code: Code.REQUEST_ENTITY_TOO_LARGE });
    expect(uintOption(reply!, Option.SIZE1)).toBe(4096);
    expect(decodeBlock(firstOption(reply!, Option.BLOCK1)!)).toEqual({ num: 0, more: false, szx: 6 });
    expect(counted('oversized-message')).toBe(before + 1);
    expect(server.registration('huge')).toBeUndefined();
  });

  it('a body that grows past maxBodyBytes in blocks is refused with 4.13', async () => {
    const answers = await attacker.requestInBlocks({ code: Method.POST, path: '/rd', query: ['ep=block-flood'], payload: Buffer.alloc(6000, 0x2c) }, 6);
    expect(answers.at(-1)).toMatchObject({ code: Code.REQUEST_ENTITY_TOO_LARGE });
    expect(uintOption(answers.at(-1)!, Option.SIZE1)).toBe(4096);
    expect(counted('body-too-large')).toBeGreaterThanOrEqual(1);
  });

  it('a truncated block-wise body (block 2 after block 0) is 4.08 Request Entity Incomplete', async () => {
    const payload = Buffer.alloc(64, 0x2c);
    const first = await attacker.requestInBlocks({ code: Method.POST, path: '/rd', query: ['ep=gappy'], payload: payload.subarray(0, 32) }, 0);
    expect(first[0]!.code).toBe(Code.CONTINUE);
    const skipped = await attacker.request({
      code: Method.POST,
      path: '/rd',
      query: ['ep=gappy'],
      payload: payload.subarray(0, 16),
      options: [option(Option.BLOCK1, encodeBlock({ num: 2, more: false, szx: 0 }))],
    });
    expect(skipped.code).toBe(Code.REQUEST_ENTITY_INCOMPLETE);
    expect(counted('incomplete-body')).toBeGreaterThanOrEqual(1);
    expect(server.registration('gappy')).toBeUndefined();
  });

  it('a listener that throws (or rejects) is logged and counted; the device is still registered', async () => {
    const throwing = () => {
      throw new Error('bridge bug');
    };
    // The bridge's listeners may be async; emit() must catch what they reject with.
    const rejecting = (() => Promise.reject(new Error('async bridge bug'))) as unknown as () => void;
    server.events.on('registered', throwing);
    server.events.on('registered', rejecting);
    const before = server.stats().listenerErrors;
    try {
      const dev = await TestDevice.open(port);
      expect((await dev.register({ ep: 'despite-listeners' })).code).toBe(Code.CREATED);
      await dev.ping();
      expect(server.registration('despite-listeners')).toBeDefined();
      expect(server.stats().listenerErrors).toBe(before + 2);
      await dev.close();
    } finally {
      server.events.off('registered', throwing);
      server.events.off('registered', rejecting);
      // These two errors were expected; the afterAll check is for unexpected ones.
      lines.splice(0, lines.length, ...lines.filter((l) => l.details.event !== 'registered'));
    }
  });
});

describe('a flood of Registers from one address', () => {
  it('is held to the rate limit with 5.03 and Max-Age; another address and registered devices are unaffected', async () => {
    const { server, port, lines } = await startTestServer({ registrationRateLimit: { burst: 5, perSecond: 0.01 } });
    const flooder = await TestDevice.open(port);
    const other = await TestDevice.open(port, { host: '127.0.0.2' });
    try {
      const codes: number[] = [];
      let maxAge: number | undefined;
      for (let i = 0; i < 50; i += 1) {
        const { response } = await flooder.register({ ep: `flood-${i}` });
        codes.push(response.code);
        if (response.code === Code.SERVICE_UNAVAILABLE) maxAge = uintOption(response, Option.MAX_AGE);
      }
      expect(codes.filter((c) => c === Code.CREATED)).toHaveLength(5);
      expect(codes.filter((c) => c === Code.SERVICE_UNAVAILABLE)).toHaveLength(45);
      expect(maxAge).toBe(100);
      expect(server.stats().rejected['rate-limited']).toBe(45);
      // Logged, but not 45 times: the log is throttled per kind, the counter is not.
      const logged = lines.filter((l) => l.details.kind === 'rate-limited').length;
      expect(logged).toBeGreaterThan(0);
      expect(logged).toBeLessThanOrEqual(20);

      expect((await other.register({ ep: 'elsewhere' })).code).toBe(Code.CREATED);
      expect(server.registration('elsewhere')?.address.address).toBe('127.0.0.2');
      // What registered before the limit bit is still served.
      flooder.resources.set('/3/0/0', { code: Code.CONTENT, payload: 'ok' });
      expect((await server.read('flood-0', '/3/0/0')).code).toBe('2.05');
    } finally {
      await Promise.all([flooder.close(), other.close()]);
      await server.close();
    }
  });

  it('a full server answers 5.03 to new endpoints but still lets registered ones register again', async () => {
    const { server, port } = await startTestServer({ maxRegistrations: 2 });
    const dev = await TestDevice.open(port);
    try {
      await dev.register({ ep: 'a' });
      await dev.register({ ep: 'b' });
      const { response } = await dev.register({ ep: 'c' });
      expect(response.code).toBe(Code.SERVICE_UNAVAILABLE);
      expect(uintOption(response, Option.MAX_AGE)).toBe(60);
      expect(server.stats().rejected['server-full']).toBe(1);
      expect((await dev.register({ ep: 'a' })).code).toBe(Code.CREATED);
    } finally {
      await dev.close();
      await server.close();
    }
  });
});
