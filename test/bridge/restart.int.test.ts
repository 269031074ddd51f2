import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Code } from '../../functions/lwm2m/coap/message.ts';
import { BridgeStatus, BridgeUpdate } from '../../schemas/bridge/bridgeEvents.ts';
import { TestDevice } from '../lwm2m/server/testDevice.ts';
import { json, startBackend, startTestBridge, within, type Backend } from './support.ts';

/**
 * A bridge that goes away and comes back: closed and started again (devices find a new server that
 * does not know them, so they register again), and a broker connection dropped under it (it
 * reconnects, subscribes again and tells the backend its devices are still there).
 */

let backend: Backend;
let device: TestDevice;
let current: Awaited<ReturnType<typeof startTestBridge>> | undefined;

const readWorks = async () => {
  const id = await backend.command('phoenix-1', { operation: 'read', path: '/3/0/0' });
  return (await backend.untilAnswer(id, 'final')).at(-1);
};

beforeAll(async () => {
  backend = await startBackend();
  current = await startTestBridge(backend, 'phoenix');
  device = await TestDevice.open(current.port);
  device.resources.set('/3/0/0', { code: Code.CONTENT, contentFormat: 0, payload: 'Acme' });
});

afterAll(async () => {
  await current?.bridge.close();
  await device?.close();
  await backend?.close();
});

describe('closing and starting again', () => {
  it('publishes offline on close; after a restart the device registers again and commands work', async () => {
    const { location } = await device.register({ ep: 'phoenix-1', links: '</3/0>' });
    expect(await readWorks()).toMatchObject({ status: 'succeeded', bridgeId: 'phoenix' });

    const port = current!.port;
    const closing = backend.received.length;
    await current!.bridge.close();
    const offline = await backend.next('the offline status', (m) => backend.received.indexOf(m) >= closing && m.topic === 'dt/lwm2m-bridge/phoenix/status');
    expect(BridgeStatus.parse(json(offline))).toMatchObject({ status: 'offline' });
    expect(offline.retain).toBe(true);

    // The same UDP port, a new server: the old location means nothing to it.
    const after = backend.received.length;
    current = await startTestBridge(backend, 'phoenix', { lwm2m: { port } });
    const update = await device.update(location);
    expect(update.code).toBe(Code.NOT_FOUND);
    await device.register({ ep: 'phoenix-1', links: '</3/0>' });
    await backend.nextEvent('phoenix', 'register', 'phoenix-1', after);
    const online = backend.received.slice(after).find((m) => m.topic === 'dt/lwm2m-bridge/phoenix/status');
    expect(BridgeStatus.parse(json(online!))).toMatchObject({ status: 'online' });
    expect(await readWorks()).toMatchObject({ status: 'succeeded', values: [{ path: '/3/0/0', value: { kind: 'string', v: 'Acme' } }] });
  });
});

describe('losing the broker connection', () => {
  it('reconnects, subscribes again, re-announces held devices as updates, and commands work again', async () => {
    const bridge = current!.bridge;
    const reconnected = within(10_000, 'the bridge reconnecting', new Promise<boolean>((resolve) => bridge.events.once('connected', ({ first }) => resolve(first))));
    const after = backend.received.length;
    expect(await backend.broker.disconnectCertificate(current!.cert.certificateId)).toBe(1);

    // The broker publishes the bridge's last will: the backend learns it is gone.
    const will = await backend.next('the last will', (m) => backend.received.indexOf(m) >= after && m.topic === 'dt/lwm2m-bridge/phoenix/status');
    expect(BridgeStatus.parse(json(will))).toEqual({ bridgeId: 'phoenix', status: 'offline' });

    expect(await reconnected).toBe(false);
    const update = await backend.nextEvent('phoenix', 'update', 'phoenix-1', after);
    expect(BridgeUpdate.parse(json(update))).toMatchObject({ endpoint: 'phoenix-1', objectLinks: '</3/0>' });
    expect(bridge.stats().mqtt.connects).toBe(2);
    expect(await readWorks()).toMatchObject({ status: 'succeeded' });
  });
});
