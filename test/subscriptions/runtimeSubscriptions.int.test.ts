import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/embedded/config.ts';
import { startRuntime } from '../../infra/embedded/runtime.ts';
import { SubscriptionConfigError } from '../../functions/subscriptions/subscriptionConfig.ts';
import { verifySignature } from '../../functions/subscriptions/signature.ts';
import { provisioned } from '../support/events.ts';
import { startReceiver, type Receiver } from './receiver.ts';
import { SECRET } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'runtime-subscriptions-'));
const receivers: Receiver[] = [];
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  rmSync(dir, { recursive: true, force: true });
});

const env = (name: string, extra: Record<string, string> = {}) => ({ FLEET_DATA_DIR: join(dir, name), FLEET_HTTP_PORT: '0', FLEET_LOG_LEVEL: 'silent' as const, ...extra });

describe('webhook subscriptions in the embedded runtime', () => {
  it('delivers events appended through the runtime to the webhooks of FLEET_SUBSCRIPTIONS_FILE', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const file = join(dir, 'subscriptions.json');
    writeFileSync(
      file,
      JSON.stringify({ subscriptions: [{ name: 'provisioned', pattern: { source: ['lwm2m.fleet'], 'detail-type': ['DeviceProvisioned'] }, target: { url: receiver.url }, secret: SECRET }] }),
    );
    const runtime = await startRuntime(loadConfig(env('on', { FLEET_SUBSCRIPTIONS_FILE: file })));
    expect(runtime.subscriptions).toBeDefined();
    const { events } = await runtime.events.append({ streamId: 'device-m1', expectedVersion: 0, events: [provisioned('m1')] });
    await receiver.until(1);
    const [request] = receiver.received;
    expect(request!.headers['x-fleet-event-id']).toBe(events[0]!.eventId);
    expect(verifySignature(request!.body, request!.headers['x-fleet-signature'] as string, SECRET)).toBe(true);
    await runtime.stop();
  });

  it('is off without a file, and a bad file stops the start with an error naming the subscription and field', async () => {
    const off = await startRuntime(loadConfig(env('off')));
    expect(off.subscriptions).toBeUndefined();
    await off.stop();
    expect(loadConfig(env('empty', { FLEET_SUBSCRIPTIONS_FILE: '' })).subscriptionsFile).toBeUndefined();

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ subscriptions: [{ name: 'alarms', pattern: { source: ['lwm2m.fleet'] }, target: { url: 'mailto:ops@example.com' }, secret: SECRET }] }));
    const failed = startRuntime(loadConfig(env('bad', { FLEET_SUBSCRIPTIONS_FILE: bad })));
    await expect(failed).rejects.toThrow(SubscriptionConfigError);
    await expect(failed).rejects.toThrow(/bad\.json: subscription "alarms", target\.url: must be an absolute http/);
    await expect(startRuntime(loadConfig(env('missing', { FLEET_SUBSCRIPTIONS_FILE: join(dir, 'nope.json') })))).rejects.toThrow(/nope\.json: cannot be read/);
  });
});
