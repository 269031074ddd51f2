import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Code, Method } from '../../functions/lwm2m/coap/message.ts';
import { Option, option, uintOption } from '../../functions/lwm2m/coap/options.ts';
import { issueDeviceCertificate, type IssuedCertificate } from '../../functions/registry/localCa.ts';
import { BridgeBootstrapResult, type BootstrapDelivery } from '../../schemas/bridge/index.ts';
import { decodePayload } from '../../schemas/lwm2m/index.ts';
import { topics } from '../../schemas/topics/topics.ts';
import { TestDevice } from '../lwm2m/server/testDevice.ts';
import { json, nextHandled, startBackend, startTestBridge, type Backend } from './support.ts';

/**
 * Credential delivery: the backend publishes a BootstrapDelivery on the bridge's own bootstrap
 * topic; the bridge writes object 18830 instance 0 (creating it when the device has none) and
 * answers with a bootstrap-result. The delivery holds a private key: nothing of it may reach a log.
 */

let backend: Backend;
let b: Awaited<ReturnType<typeof startTestBridge>>;
let credentials: IssuedCertificate;
const devices: TestDevice[] = [];

const deliver = async (thingName: string, overrides: Partial<BootstrapDelivery> = {}, raw?: string) => {
  const delivery: BootstrapDelivery = {
    endpoint: thingName,
    requestId: `bs-${thingName}-${devices.length}-${Math.random().toString(36).slice(2)}`,
    brokerUri: 'mqtts://broker.example:8883',
    clientId: thingName,
    securityMode: 'certificate',
    certificatePem: credentials.certificatePem,
    privateKeyPem: credentials.privateKeyPem,
    trustAnchorPem: backend.ca.certificatePem,
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
    ...overrides,
  };
  await backend.broker.publish({ topic: topics.bootstrapResponse('boot-bridge', thingName), payload: raw ?? JSON.stringify(delivery), qos: 1 });
  return delivery;
};

const resultFor = async (thingName: string, requestId: string) =>
  BridgeBootstrapResult.parse(json(await backend.next(`bootstrap-result for ${requestId}`, (m) => m.topic === `dt/lwm2m-bridge/boot-bridge/bootstrap-result/${thingName}` && json(m).requestId === requestId)));

const device = async (answer: (method: number, path: string) => { code: number; options?: ReturnType<typeof option>[] } | undefined) => {
  const d = await TestDevice.open(b.port);
  d.handler = (message, path) => answer(message.code, path);
  devices.push(d);
  return d;
};

beforeAll(async () => {
  backend = await startBackend();
  b = await startTestBridge(backend, 'boot-bridge');
  credentials = await issueDeviceCertificate(backend.ca, 'boot-1');
});

afterAll(async () => {
  await b?.bridge.close();
  await Promise.all(devices.map((d) => d.close()));
  await backend?.close();
});

describe('a bootstrap delivery', () => {
  it('creates instance 0 of object 18830 on a 1.1 device that has none, with every credential, and answers ok', async () => {
    const d = await device((method, path) => (method === Method.POST && path === '/18830' ? { code: Code.CREATED, options: [option(Option.LOCATION_PATH, '18830'), option(Option.LOCATION_PATH, '0')] } : undefined));
    await d.register({ ep: 'boot-1', lwm2m: '1.1', links: '</3/0>,</18830>' });
    await backend.nextEvent('boot-bridge', 'register', 'boot-1');
    const delivery = await deliver('boot-1');
    expect(await resultFor('boot-1', delivery.requestId)).toMatchObject({ endpoint: 'boot-1', ok: true, lwm2mCode: '2.01' });

    // The credentials take several Block1 blocks; the last request holds the reassembled body.
    const create = d.requests.findLast((r) => r.code === Method.POST)!;
    expect(uintOption(create, Option.CONTENT_FORMAT)).toBe(112);
    const written = Object.fromEntries(decodePayload(112, create.payload, '/18830').map((v) => [v.path, v.value instanceof Uint8Array ? Buffer.from(v.value).toString('utf8') : v.value]));
    expect(written).toEqual({
      '/18830/0/0': 'mqtts://broker.example:8883',
      '/18830/0/1': 'boot-1',
      '/18830/0/2': true,
      '/18830/0/3': 60,
      '/18830/0/6': 2,
      '/18830/0/7': credentials.certificatePem,
      '/18830/0/8': backend.ca.certificatePem,
      '/18830/0/9': credentials.privateKeyPem,
    });
  });

  it('writes instance 0 in TLV (a partial update, POST /18830/0) on a 1.0 device that has it', async () => {
    const d = await device((method, path) => (method === Method.POST && path === '/18830/0' ? { code: Code.CHANGED } : undefined));
    await d.register({ ep: 'boot-2', lwm2m: '1.0', links: '</3/0>,</18830/0>' });
    await backend.nextEvent('boot-bridge', 'register', 'boot-2');
    const delivery = await deliver('boot-2');
    expect(await resultFor('boot-2', delivery.requestId)).toMatchObject({ ok: true, lwm2mCode: '2.04' });
    const write = d.requests.findLast((r) => r.code === Method.POST)!;
    expect(uintOption(write, Option.CONTENT_FORMAT)).toBe(11542);
    const paths = decodePayload(11542, write.payload, '/18830/0').map((v) => v.path);
    expect(paths).toEqual(['/18830/0/0', '/18830/0/1', '/18830/0/6', '/18830/0/7', '/18830/0/8', '/18830/0/9']);
  });

  it('answers the device error code when the write fails', async () => {
    const d = await device(() => ({ code: Code.NOT_FOUND }));
    await d.register({ ep: 'boot-3', lwm2m: '1.1', links: '</3/0>' });
    await backend.nextEvent('boot-bridge', 'register', 'boot-3');
    const delivery = await deliver('boot-3');
    const result = await resultFor('boot-3', delivery.requestId);
    expect(result).toMatchObject({ ok: false, lwm2mCode: '4.04' });
    expect(result.message).toMatch(/4\.04/);
  });

  it('answers not-registered for a device its server does not hold', async () => {
    const delivery = await deliver('nobody-here');
    expect(await resultFor('nobody-here', delivery.requestId)).toMatchObject({ ok: false, lwm2mCode: 'not-registered' });
  });

  it('drops an expired delivery without writing or answering', async () => {
    const d = await device(() => ({ code: Code.CHANGED }));
    await d.register({ ep: 'boot-4', lwm2m: '1.1', links: '</18830/0>' });
    await backend.nextEvent('boot-bridge', 'register', 'boot-4');
    const expired = nextHandled(b.bridge, 'the expired delivery', (h) => h.kind === 'bootstrap' && h.thingName === 'boot-4' && h.outcome === 'expired');
    await deliver('boot-4', { expiresAt: new Date(Date.now() - 1).toISOString() });
    await expired;
    expect(d.requests).toEqual([]);
    expect(backend.received.some((m) => m.topic.endsWith('/bootstrap-result/boot-4'))).toBe(false);
  });

  it('counts a malformed delivery and never logs any part of a key or certificate', async () => {
    const before = b.bridge.stats().malformed;
    const json1 = nextHandled(b.bridge, 'the broken JSON', (h) => h.kind === 'bootstrap' && h.outcome === 'malformed');
    await deliver('boot-1', {}, `{"privateKeyPem": ${JSON.stringify(credentials.privateKeyPem)}, oops`);
    await json1;
    const schema = nextHandled(b.bridge, 'the wrong shape', (h) => h.kind === 'bootstrap' && h.outcome === 'malformed');
    await deliver('boot-1', {}, JSON.stringify({ endpoint: 'boot-1', privateKeyPem: credentials.privateKeyPem, certificatePem: 42 }));
    await schema;
    const after = b.bridge.stats().malformed;
    expect(after.json).toBe(before.json + 1);
    expect(after.schema).toBe(before.schema + 1);

    const logged = b.logText();
    expect(logged).toMatch(/not a BootstrapDelivery/);
    const keyBody = credentials.privateKeyPem.split('\n')[1]!;
    const certBody = credentials.certificatePem.split('\n')[2]!;
    for (const secret of ['PRIVATE KEY', 'BEGIN CERTIFICATE', keyBody.slice(0, 24), certBody.slice(0, 24)]) expect(logged).not.toContain(secret);
  });
});
