import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Code, Method, type CoapMessage } from '../../functions/lwm2m/coap/message.ts';
import { Option, uintOption } from '../../functions/lwm2m/coap/options.ts';
import { decodePayload, encodePayload } from '../../schemas/lwm2m/index.ts';
import { decodeSenmlCbor, resolve } from '../../schemas/senml/index.ts';
import { TestDevice } from '../lwm2m/server/testDevice.ts';
import { nextHandled, startBackend, startTestBridge, type Backend } from './support.ts';

/**
 * Commands through a real bridge: the backend publishes on the embedded broker (mutual TLS, the
 * bridge policy), the bridge drives its LwM2M server over UDP, a raw CoAP device answers, and the
 * answers come back on cmd/lwm2m/<thing>/res/<id> in the contract's shape.
 */

let backend: Backend;
let b: Awaited<ReturnType<typeof startTestBridge>>;
let modern: TestDevice; // LwM2M 1.1: SenML CBOR
let legacy: TestDevice; // LwM2M 1.0: TLV
const requests: { device: string; message: CoapMessage; path: string }[] = [];

const answered = (device: string, path: string, method: number) => requests.filter((r) => r.device === device && r.path === path && r.message.code === method);

beforeAll(async () => {
  backend = await startBackend();
  b = await startTestBridge(backend, 'cmd-bridge');
  modern = await TestDevice.open(b.port);
  legacy = await TestDevice.open(b.port);
  modern.resources.set('/3303/0/5700', { code: Code.CONTENT, contentFormat: 112, payload: Buffer.from(encodePayload(112, [{ path: '/3303/0/5700', type: 'Float', value: 21.5 }])) });
  modern.resources.set('/3/0', {
    code: Code.CONTENT,
    contentFormat: 112,
    payload: Buffer.from(
      encodePayload(112, [
        { path: '/3/0/0', type: 'String', value: 'Acme' },
        { path: '/3/0/9', type: 'Integer', value: 87 },
        { path: '/3/0/13', type: 'Time', value: 1_767_225_600 },
      ]),
    ),
  });
  legacy.resources.set('/3/0/9', { code: Code.CONTENT, contentFormat: 11542, payload: Buffer.from(encodePayload(11542, [{ path: '/3/0/9', type: 'Integer', value: 42 }], { path: '/3/0/9' })) });
  for (const [name, device] of [
    ['modern', modern],
    ['legacy', legacy],
  ] as const) {
    device.handler = (message, path) => {
      requests.push({ device: name, message, path });
      if (path === '/3/0/1') return 'silent';
      if (path === '/3' && message.code === Method.GET) return { code: Code.CONTENT, contentFormat: 40, payload: '</3>,</3/0/0>,</3/0/9>,</3/0/13>' };
      if (message.code === Method.PUT || (message.code === Method.POST && path === '/3/0')) return { code: Code.CHANGED };
      if (message.code === Method.POST && path === '/3/0/4') return { code: Code.CHANGED };
      return undefined;
    };
  }
  await modern.register({ ep: 'lamp-1', lwm2m: '1.1', links: '</>;rt="oma.lwm2m";ct="60 110 112 11542",</3/0>,</3303/0>' });
  await legacy.register({ ep: 'meter-1', lwm2m: '1.0', links: '</3/0>' });
  await backend.nextEvent('cmd-bridge', 'register', 'meter-1');
});

afterAll(async () => {
  await b?.bridge.close();
  await modern?.close();
  await legacy?.close();
  await backend?.close();
});

describe('read', () => {
  it('asks a 1.1 device for SenML CBOR and answers dispatched, then succeeded with typed values', async () => {
    const id = await backend.command('lamp-1', { operation: 'read', path: '/3/0' });
    const answers = await backend.untilAnswer(id, 'final');
    expect(answers.map((a) => a.status)).toEqual(['dispatched', 'succeeded']);
    expect(answers[1]).toMatchObject({
      commandId: id,
      bridgeId: 'cmd-bridge',
      lwm2mCode: '2.05',
      values: [
        { path: '/3/0/0', value: { kind: 'string', v: 'Acme' } },
        { path: '/3/0/9', value: { kind: 'number', v: 87 } },
        { path: '/3/0/13', value: { kind: 'time', v: 1_767_225_600 } },
      ],
    });
    const get = answered('modern', '/3/0', Method.GET).at(-1)!;
    expect(uintOption(get.message, Option.ACCEPT)).toBe(112);
  });

  it('asks a 1.0 device for TLV and decodes its TLV answer', async () => {
    const id = await backend.command('meter-1', { operation: 'read', path: '/3/0/9' });
    const answers = await backend.untilAnswer(id, 'final');
    expect(answers.at(-1)).toMatchObject({ status: 'succeeded', lwm2mCode: '2.05', values: [{ path: '/3/0/9', value: { kind: 'number', v: 42 } }] });
    expect(uintOption(answered('legacy', '/3/0/9', Method.GET).at(-1)!.message, Option.ACCEPT)).toBe(11542);
  });
});

describe('write, execute, discover, write-attributes', () => {
  it('writes a resource in the device format (TLV for 1.0) with PUT', async () => {
    const id = await backend.command('meter-1', { operation: 'write', path: '/3/0/13', values: [{ path: '/3/0/13', value: { kind: 'time', v: 1_767_225_600 } }] });
    const answers = await backend.untilAnswer(id, 'final');
    expect(answers.at(-1)).toMatchObject({ status: 'succeeded', lwm2mCode: '2.04' });
    const put = answered('legacy', '/3/0/13', Method.PUT).at(-1)!.message;
    expect(uintOption(put, Option.CONTENT_FORMAT)).toBe(11542);
    expect(decodePayload(11542, put.payload, '/3/0/13')).toEqual([{ path: '/3/0/13', type: 'Time', value: 1_767_225_600 }]);
  });

  it('updates an instance with POST in SenML CBOR for 1.1', async () => {
    const id = await backend.command('lamp-1', {
      operation: 'write',
      path: '/3/0',
      values: [
        { path: '/3/0/13', value: { kind: 'time', v: 1_700_000_000 } },
        { path: '/3/0/14', value: { kind: 'string', v: '+01' } },
      ],
    });
    expect((await backend.untilAnswer(id, 'final')).at(-1)).toMatchObject({ status: 'succeeded', lwm2mCode: '2.04' });
    const post = answered('modern', '/3/0', Method.POST).at(-1)!.message;
    expect(uintOption(post, Option.CONTENT_FORMAT)).toBe(112);
    expect(decodePayload(112, post.payload, '/3/0').map((v) => [v.path, v.value])).toEqual([
      ['/3/0/13', 1_700_000_000],
      ['/3/0/14', '+01'],
    ]);
  });

  it('refuses values outside the command path without sending anything', async () => {
    const before = requests.length;
    const id = await backend.command('lamp-1', { operation: 'write', path: '/3/0/13', values: [{ path: '/3/0/14', value: { kind: 'string', v: 'x' } }] });
    const answers = await backend.untilAnswer(id, 'final');
    expect(answers.at(-1)).toMatchObject({ status: 'failed', lwm2mCode: 'invalid-request' });
    expect(answers.at(-1)?.message).toMatch(/outside the command's path/);
    expect(requests.length).toBe(before);
  });

  it('executes with arguments as text', async () => {
    const id = await backend.command('lamp-1', { operation: 'execute', path: '/3/0/4', arguments: "0='now'" });
    expect((await backend.untilAnswer(id, 'final')).at(-1)).toMatchObject({ status: 'succeeded', lwm2mCode: '2.04' });
    const post = answered('modern', '/3/0/4', Method.POST).at(-1)!.message;
    expect(post.payload.toString('utf8')).toBe("0='now'");
  });

  it('returns the links of a discover', async () => {
    const id = await backend.command('lamp-1', { operation: 'discover', path: '/3' });
    expect((await backend.untilAnswer(id, 'final')).at(-1)).toMatchObject({ status: 'succeeded', lwm2mCode: '2.05', links: '</3>,</3/0/0>,</3/0/9>,</3/0/13>' });
  });

  it('writes notification attributes as a query', async () => {
    const id = await backend.command('lamp-1', { operation: 'write-attributes', path: '/3303/0/5700', attributes: { pmin: 10, pmax: 60 } });
    expect((await backend.untilAnswer(id, 'final')).at(-1)).toMatchObject({ status: 'succeeded', lwm2mCode: '2.04' });
    const put = answered('modern', '/3303/0/5700', Method.PUT).at(-1)!.message;
    expect(put.options.filter((o) => o.number === Option.URI_QUERY).map((o) => o.value.toString('utf8'))).toEqual(['pmin=10', 'pmax=60']);
  });
});

describe('observe', () => {
  it('answers with the current value, relays notifications as SenML CBOR notify events, and cancels', async () => {
    const id = await backend.command('lamp-1', { operation: 'observe', path: '/3303/0/5700' });
    expect((await backend.untilAnswer(id, 'final')).at(-1)).toMatchObject({ status: 'succeeded', lwm2mCode: '2.05', values: [{ path: '/3303/0/5700', value: { kind: 'number', v: 21.5 } }] });
    expect(b.bridge.stats().observations).toBe(1);

    const after = backend.received.length;
    // The device notifies in plain text: the bridge relays SenML CBOR whatever format the device used.
    await modern.notify('/3303/0/5700', '22.25', { contentFormat: 0 });
    const notify = await backend.nextEvent('cmd-bridge', 'notify', 'lamp-1', after);
    const records = resolve(decodeSenmlCbor(notify.payload, { profile: 'lwm2m' }), 0, { profile: 'lwm2m' });
    expect(records.map((r) => [r.name, r.value])).toEqual([['/3303/0/5700', { kind: 'number', v: 22.25 }]]);
    // Stamped with the time the LwM2M server received it (absolute, not relative to the backend's clock).
    expect(Math.abs(records[0]!.time - Date.now() / 1000)).toBeLessThan(60);

    const cancel = await backend.command('lamp-1', { operation: 'cancel-observe', path: '/3303/0/5700' });
    expect((await backend.untilAnswer(cancel, 'final')).at(-1)).toMatchObject({ status: 'succeeded', lwm2mCode: '2.05' });
    const cancelGet = answered('modern', '/3303/0/5700', Method.GET).at(-1)!.message;
    expect(uintOption(cancelGet, Option.OBSERVE)).toBe(1);
    expect(b.bridge.stats().observations).toBe(0);
  });
});

describe('failures', () => {
  it('reports the device error code (4.04) as failed', async () => {
    const id = await backend.command('lamp-1', { operation: 'read', path: '/3/0/99' });
    const answers = await backend.untilAnswer(id, 'final');
    expect(answers.map((a) => a.status)).toEqual(['dispatched', 'failed']);
    expect(answers[1]).toMatchObject({ lwm2mCode: '4.04' });
    expect(answers[1]?.message).toMatch(/4\.04 Not Found/);
  });

  it('reports a device that never answers as failed with "timeout"', async () => {
    const id = await backend.command('lamp-1', { operation: 'read', path: '/3/0/1' });
    const answers = await backend.untilAnswer(id, 'final');
    expect(answers.at(-1)).toMatchObject({ status: 'failed', lwm2mCode: 'timeout' });
    // 1 + MAX_RETRANSMIT (2) transmissions of the same CON, then the bridge gave up.
    const sent = answered('modern', '/3/0/1', Method.GET);
    expect(sent.length).toBe(3);
    expect(new Set(sent.map((r) => r.message.messageId)).size).toBe(1);
  });

  it('counts malformed command JSON, answers invalid-request, and keeps working', async () => {
    const before = b.bridge.stats().malformed.json;
    const bad = await backend.command('lamp-1', { operation: 'read', path: '/3/0' }, '{"commandId": "x", oops');
    const answers = await backend.untilAnswer(bad, 'final');
    expect(answers).toMatchObject([{ status: 'failed', lwm2mCode: 'invalid-request' }]);
    expect(b.bridge.stats().malformed.json).toBe(before + 1);
    expect(b.lines.some((l) => l.level === 'warn' && /not JSON/.test(l.message))).toBe(true);

    const schema = await backend.command('lamp-1', { operation: 'read', path: '/3/0' }, JSON.stringify({ commandId: 'whatever', operation: 'reboot' }));
    expect((await backend.untilAnswer(schema, 'final')).at(-1)).toMatchObject({ status: 'failed', lwm2mCode: 'invalid-request' });
    expect(b.bridge.stats().malformed.schema).toBeGreaterThanOrEqual(1);

    const good = await backend.command('lamp-1', { operation: 'read', path: '/3303/0/5700' });
    expect((await backend.untilAnswer(good, 'final')).at(-1)).toMatchObject({ status: 'succeeded' });
  });

  it('drops an expired command without a word and a redelivered one without acting twice', async () => {
    const expired = nextHandled(b.bridge, 'the expired command', (h) => h.kind === 'command' && h.outcome === 'expired');
    const old = await backend.command('lamp-1', { operation: 'read', path: '/3/0', expiresAt: new Date(Date.now() - 1000).toISOString() });
    await expired;
    expect(backend.answersTo(old)).toEqual([]);

    const id = await backend.command('lamp-1', { operation: 'execute', path: '/3/0/4' });
    await backend.untilAnswer(id, 'final');
    const executes = answered('modern', '/3/0/4', Method.POST).length;
    const duplicate = nextHandled(b.bridge, 'the duplicate', (h) => h.kind === 'command' && h.commandId === id && h.outcome === 'duplicate');
    await backend.command('lamp-1', { operation: 'execute', path: '/3/0/4', commandId: id });
    await duplicate;
    expect(answered('modern', '/3/0/4', Method.POST).length).toBe(executes);
    expect(backend.answersTo(id).map((a) => a.status)).toEqual(['dispatched', 'succeeded']);
  });

  it('stays silent about commands for devices it does not hold, even malformed ones', async () => {
    const before = b.bridge.stats();
    const ignored = nextHandled(b.bridge, 'the ignored command', (h) => h.kind === 'command' && h.thingName === 'someone-else' && h.outcome === 'ignored');
    const id = await backend.command('someone-else', { operation: 'read', path: '/3/0' }, 'not json at all');
    await ignored;
    const after = b.bridge.stats();
    expect(after.commands.ignored).toBe(before.commands.ignored + 1);
    expect(after.malformed.json).toBe(before.malformed.json);
    expect(backend.answersTo(id)).toEqual([]);
  });
});
