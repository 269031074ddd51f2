import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Code, Method } from '../../functions/lwm2m/coap/message.ts';
import { manualScheduler } from '../../functions/lwm2m/scheduler.ts';
import { TestDevice } from '../lwm2m/server/testDevice.ts';
import { nextHandled, startBackend, startTestBridge, type Backend } from './support.ts';

/**
 * A queue-mode device (LwM2M Core §6.5) that is asleep: the bridge answers `queued`, holds the
 * command, and sends it when the device next speaks, unless it expired first. Time is the
 * server's and the bridge's manual scheduler, moved by hand: nothing here sleeps.
 */

const AWAKE_MS = 10_000;
const scheduler = manualScheduler(Date.now());
let backend: Backend;
let b: Awaited<ReturnType<typeof startTestBridge>>;
let device: TestDevice;
let location: string;

const at = (ms: number) => new Date(scheduler.now() + ms).toISOString();
const gets = () => device.requests.filter((r) => r.code === Method.GET).length;

beforeAll(async () => {
  backend = await startBackend();
  b = await startTestBridge(backend, 'sleepy', { lwm2m: { scheduler, queue: { awakeMs: AWAKE_MS } } });
  device = await TestDevice.open(b.port);
  device.resources.set('/3/0/9', { code: Code.CONTENT, contentFormat: 0, payload: '64' });
  ({ location } = await device.register({ ep: 'sleeper-1', lwm2m: '1.1', b: 'U', queue: true, links: '</3/0>' }));
  await backend.nextEvent('sleepy', 'register', 'sleeper-1');
});

afterAll(async () => {
  await b?.bridge.close();
  await device?.close();
  await backend?.close();
});

describe('a sleeping queue-mode device', () => {
  it('is reachable right after it registered: dispatched at once', async () => {
    const id = await backend.command('sleeper-1', { operation: 'read', path: '/3/0/9', expiresAt: at(60_000) });
    expect((await backend.untilAnswer(id, 'final')).map((a) => a.status)).toEqual(['dispatched', 'succeeded']);
  });

  it('gets `queued`, then the result after it wakes; a command that expired meanwhile is dropped without a word', async () => {
    scheduler.advance(AWAKE_MS + 1);
    const sent = gets();
    const late = await backend.command('sleeper-1', { operation: 'read', path: '/3/0/9', expiresAt: at(60_000) });
    const early = await backend.command('sleeper-1', { operation: 'read', path: '/3/0/9', expiresAt: at(5_000) });
    await backend.untilAnswer(late, 'queued');
    await backend.untilAnswer(early, 'queued');
    expect(b.bridge.stats().held).toBe(2);
    expect(gets()).toBe(sent);

    const expired = nextHandled(b.bridge, 'the early command expiring', (h) => h.kind === 'command' && h.commandId === early && h.outcome === 'expired');
    scheduler.advance(6_000);
    await expired;
    expect(b.bridge.stats().held).toBe(1);

    // The device wakes with an Update: the held command goes out after the update event.
    await device.update(location);
    const answers = await backend.untilAnswer(late, 'final');
    expect(answers.map((a) => a.status)).toEqual(['queued', 'dispatched', 'succeeded']);
    expect(answers[2]?.values).toEqual([{ path: '/3/0/9', value: { kind: 'number', v: 64 } }]);
    expect(gets()).toBe(sent + 1);
    expect(backend.answersTo(early).map((a) => a.status)).toEqual(['queued']);
    const update = backend.received.findIndex((m) => m.topic === 'dt/lwm2m-bridge/sleepy/update/sleeper-1');
    const dispatched = backend.received.findIndex((m) => m.route?.kind === 'command-response' && m.route.commandId === late && m.payload.includes('"dispatched"'));
    expect(update).toBeGreaterThanOrEqual(0);
    expect(update).toBeLessThan(dispatched);
  });

  it('fails what waits when the device de-registers instead of waking', async () => {
    scheduler.advance(AWAKE_MS + 1);
    const id = await backend.command('sleeper-1', { operation: 'execute', path: '/3/0/4', expiresAt: at(60_000) });
    await backend.untilAnswer(id, 'queued');
    await device.deregister(location);
    const answers = await backend.untilAnswer(id, 'final');
    expect(answers.map((a) => [a.status, a.lwm2mCode])).toEqual([
      ['queued', undefined],
      ['failed', 'device-gone'],
    ]);
    expect(device.requests.some((r) => r.code === Method.POST)).toBe(false);
  });
});
