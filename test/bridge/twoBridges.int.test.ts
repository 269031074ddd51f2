import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialsNeed } from '../../functions/bootstrap/bootstrapTrigger.ts';
import { readBridgeMessage } from '../../functions/bridgeMessages/readBridgeMessage.ts';
import { Code } from '../../functions/lwm2m/coap/message.ts';
import { BridgeDeregister, BridgeRegister, BridgeStatus, BridgeUpdate } from '../../schemas/bridge/bridgeEvents.ts';
import { encodePayload } from '../../schemas/lwm2m/index.ts';
import { decodeSenmlCbor, resolve } from '../../schemas/senml/index.ts';
import type { InboundMessage } from '../../functions/broker/embeddedBroker.ts';
import { TestDevice } from '../lwm2m/server/testDevice.ts';
import { json, nextHandled, startBackend, startTestBridge, type Backend } from './support.ts';

/**
 * Two bridges on one broker, each with its own LwM2M server: every bridge receives every command,
 * only the one whose server holds the device acts, and what the bridges report reaches the backend
 * in the contract's shape (read here with the backend's own reader, functions/bridgeMessages).
 */

let backend: Backend;
let north: Awaited<ReturnType<typeof startTestBridge>>;
let south: Awaited<ReturnType<typeof startTestBridge>>;
const devices: TestDevice[] = [];

const device = async (port: number) => {
  const d = await TestDevice.open(port);
  d.resources.set('/3/0/0', { code: Code.CONTENT, contentFormat: 0, payload: 'Acme' });
  devices.push(d);
  return d;
};

/** What the backend's bridge-message handler makes of a message: it must never be a refusal. */
const asBackendReadsIt = (m: InboundMessage) => readBridgeMessage({ topic: m.topic, clientId: m.identity.clientId, payload: m.payload });

beforeAll(async () => {
  backend = await startBackend();
  [north, south] = await Promise.all([startTestBridge(backend, 'north'), startTestBridge(backend, 'south')]);
});

afterAll(async () => {
  await Promise.all([north?.bridge.close(), south?.bridge.close()]);
  await Promise.all(devices.map((d) => d.close()));
  await backend?.close();
});

describe('status', () => {
  it('publishes a retained online status naming where devices reach it, as the bridge identity', async () => {
    const status = await backend.next('north online', (m) => m.topic === 'dt/lwm2m-bridge/north/status');
    expect(status.retain).toBe(true);
    expect(status.identity).toMatchObject({ kind: 'bridge', bridgeId: 'north', clientId: 'bridge:north' });
    expect(BridgeStatus.parse(json(status))).toMatchObject({ bridgeId: 'north', status: 'online', lwm2mEndpoints: [`coap://127.0.0.1:${north.port}`] });
    expect(asBackendReadsIt(status).kind).toBe('status');
  });
});

describe('registration events', () => {
  it('relays register, update, send and deregister in the contract shape', async () => {
    const d = await device(north.port);
    const { location } = await d.register({ ep: 'lamp-7', lt: 300, lwm2m: '1.1', b: 'U', links: '</>;rt="oma.lwm2m";ct="110 112",</1/0>,</3/0>,</18830>' });
    const register = await backend.nextEvent('north', 'register', 'lamp-7');
    const body = BridgeRegister.parse(json(register));
    expect(body).toMatchObject({ endpoint: 'lamp-7', lwm2mVersion: '1.1', lifetimeSeconds: 300, bindingMode: 'U', queueMode: false, location, transport: 'coap' });
    expect(body.objectLinks).toBe('</>;rt="oma.lwm2m";ct="110 112",</1/0>,</3/0>,</18830>');
    // The backend starts a bootstrap from exactly this: object 18830 without an instance.
    expect(credentialsNeed(body.objectLinks)).toBe('needs-credentials');
    expect(asBackendReadsIt(register).kind).toBe('register');

    let after = backend.received.length;
    await d.update(location, { query: ['lt=600'] });
    const update = BridgeUpdate.parse(json(await backend.nextEvent('north', 'update', 'lamp-7', after)));
    expect(update).toMatchObject({ endpoint: 'lamp-7', lifetimeSeconds: 600, bindingMode: 'U' });
    expect(update.objectLinks).toBeUndefined();

    after = backend.received.length;
    await d.update(location, { links: '</3/0>,</18830/0>' });
    const changed = BridgeUpdate.parse(json(await backend.nextEvent('north', 'update', 'lamp-7', after)));
    expect(changed.objectLinks).toBe('</3/0>,</18830/0>');
    expect(credentialsNeed(changed.objectLinks!)).toBe('has-credentials');

    // A Send in SenML JSON reaches the backend as SenML CBOR, the same pack a device would publish.
    const sendAt = Math.floor(Date.now() / 1000);
    await d.sendData(Buffer.from(encodePayload(110, [{ path: '/3303/0/5700', type: 'Float', value: 19.5, time: sendAt }])), 110);
    const send = await backend.nextEvent('north', 'send', 'lamp-7');
    const records = resolve(decodeSenmlCbor(send.payload, { profile: 'lwm2m' }), sendAt, { profile: 'lwm2m' });
    expect(records.map((r) => [r.name, r.value, r.time])).toEqual([['/3303/0/5700', { kind: 'number', v: 19.5 }, sendAt]]);
    expect(asBackendReadsIt(send)).toMatchObject({ kind: 'data', event: 'send', thingName: 'lamp-7' });

    await d.deregister(location);
    const deregister = await backend.nextEvent('north', 'deregister', 'lamp-7');
    expect(BridgeDeregister.parse(json(deregister))).toMatchObject({ endpoint: 'lamp-7', reason: 'deregistered' });
    expect(north.bridge.stats().relayed).toMatchObject({ register: 1, update: 2, send: 1, deregister: 1 });
  });

  it('reports a lifetime that ran out as a deregister with reason lifetime-expired', async () => {
    const d = await device(south.port);
    await d.register({ ep: 'brief-1', lt: 1, links: '</3/0>' });
    const register = BridgeRegister.parse(json(await backend.nextEvent('south', 'register', 'brief-1')));
    expect(register).toMatchObject({ lwm2mVersion: '1.0', lifetimeSeconds: 1 });
    const gone = await backend.nextEvent('south', 'deregister', 'brief-1');
    expect(BridgeDeregister.parse(json(gone))).toMatchObject({ endpoint: 'brief-1', reason: 'lifetime-expired' });
  });

  it('does not relay an endpoint name that is no thing name, and counts it', async () => {
    const d = await device(north.port);
    const before = north.bridge.stats().notRelayed;
    await d.register({ ep: 'bridge:north', links: '</3/0>' });
    await d.register({ ep: 'a%2Fb', links: '</3/0>' });
    expect(north.bridge.stats().notRelayed).toBe(before + 2);
    expect(backend.received.some((m) => m.topic.includes('bridge:north') || m.topic.includes('a%2Fb'))).toBe(false);
  });
});

describe('commands', () => {
  it('go only through the bridge that holds the device; the other stays silent', async () => {
    const a = await device(north.port);
    const b = await device(south.port);
    await a.register({ ep: 'held-north', links: '</3/0>' });
    await b.register({ ep: 'held-south', links: '</3/0>' });
    await backend.nextEvent('south', 'register', 'held-south');

    const southIgnores = nextHandled(south.bridge, 'south ignoring', (h) => h.kind === 'command' && h.thingName === 'held-north' && h.outcome === 'ignored');
    const forNorth = await backend.command('held-north', { operation: 'read', path: '/3/0/0' });
    const northAnswers = await backend.untilAnswer(forNorth, 'final');
    await southIgnores;
    expect(northAnswers.map((x) => [x.bridgeId, x.status])).toEqual([
      ['north', 'dispatched'],
      ['north', 'succeeded'],
    ]);
    expect(northAnswers[1]?.values).toEqual([{ path: '/3/0/0', value: { kind: 'string', v: 'Acme' } }]);

    const northIgnores = nextHandled(north.bridge, 'north ignoring', (h) => h.kind === 'command' && h.thingName === 'held-south' && h.outcome === 'ignored');
    const forSouth = await backend.command('held-south', { operation: 'read', path: '/3/0/0' });
    const southAnswers = await backend.untilAnswer(forSouth, 'final');
    await northIgnores;
    expect(southAnswers.map((x) => x.bridgeId)).toEqual(['south', 'south']);
    // Who published, as the broker established it from the certificates, not as the payload claims.
    const senders = backend.received.filter((m) => m.route?.kind === 'command-response').map((m) => [m.route?.kind === 'command-response' ? m.route.thingName : '', m.identity.clientId]);
    expect(new Set(senders.filter(([thing]) => thing === 'held-north').map(([, who]) => who))).toEqual(new Set(['bridge:north']));
    expect(new Set(senders.filter(([thing]) => thing === 'held-south').map(([, who]) => who))).toEqual(new Set(['bridge:south']));
    expect(a.requests.length).toBe(1);
    expect(b.requests.length).toBe(1);
  });
});

describe('payloads', () => {
  it('relays a TLV notification of a 1.0 device as SenML CBOR', async () => {
    const d = await device(south.port);
    d.resources.set('/3/0/9', { code: Code.CONTENT, contentFormat: 11542, payload: Buffer.from(encodePayload(11542, [{ path: '/3/0/9', type: 'Integer', value: 80 }], { path: '/3/0/9' })) });
    await d.register({ ep: 'old-meter', links: '</3/0>' });
    const id = await backend.command('old-meter', { operation: 'observe', path: '/3/0/9' });
    expect((await backend.untilAnswer(id, 'final')).at(-1)).toMatchObject({ status: 'succeeded', values: [{ path: '/3/0/9', value: { kind: 'number', v: 80 } }] });
    await d.notify('/3/0/9', Buffer.from(encodePayload(11542, [{ path: '/3/0/9', type: 'Integer', value: 79 }], { path: '/3/0/9' })), { contentFormat: 11542 });
    const notify = await backend.nextEvent('south', 'notify', 'old-meter');
    const records = resolve(decodeSenmlCbor(notify.payload, { profile: 'lwm2m' }), 0, { profile: 'lwm2m' });
    expect(records.map((r) => [r.name, r.value])).toEqual([['/3/0/9', { kind: 'number', v: 79 }]]);
    expect(asBackendReadsIt(notify)).toMatchObject({ kind: 'data', event: 'notify', bridgeId: 'south' });
  });
});
