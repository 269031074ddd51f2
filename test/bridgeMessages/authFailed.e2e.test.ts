import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BridgeMessageResult } from '../../functions/bridgeMessages/handleBridgeMessage.ts';
import { createAuthenticationFailureRecorder, type AuthenticationFailure } from '../../functions/dtls/authenticationFailures.ts';
import type { AppendRequest } from '../../functions/eventStore/eventStore.ts';
import { manualScheduler } from '../../functions/lwm2m/scheduler.ts';
import { loadConfig } from '../../infra/embedded/config.ts';
import { bootstrapModule } from '../../infra/embedded/modules/bootstrap.ts';
import { bridgeMessagesModule, type RunningBridgeMessages } from '../../infra/embedded/modules/bridgeMessages.ts';
import { provisioningModule } from '../../infra/embedded/modules/provisioning.ts';
import { startEmbeddedSystem, type EmbeddedSystem } from '../../infra/embedded/system.ts';
import type { BridgeAuthenticationFailed } from '../../schemas/bridge/authenticationMessages.ts';
import { topics } from '../../schemas/topics/topics.ts';
import { dataOf, startBridge, type TestBridge } from './support.ts';

/**
 * A standalone bridge's auth-failed message, published over mutual TLS with the bridge policy into
 * the embedded system (SQLite store): it becomes the very DeviceAuthenticationFailed the embedded
 * recorder appends for the same refusal, in the same stream; once however often it is delivered;
 * and a message that breaks the contract is kept as MessageRejected.
 */

const dataDir = mkdtempSync(join(tmpdir(), 'e2e-auth-failed-'));
let system: EmbeddedSystem;
let bridge: TestBridge;
const handled: BridgeMessageResult[] = [];

beforeAll(async () => {
  system = await startEmbeddedSystem(loadConfig({ FLEET_DATA_DIR: dataDir, FLEET_HTTP_PORT: '0', FLEET_MQTT_PORT: '0', FLEET_LOG_LEVEL: 'silent' }), {
    systemModules: [
      provisioningModule(),
      bootstrapModule({ brokerUri: () => `mqtts://127.0.0.1:${system.mqtt.port}` }),
      bridgeMessagesModule((m: RunningBridgeMessages) => m.onHandled((result) => handled.push(result))),
    ],
  });
  const csv = 'serial,tenant,latitude,longitude\nlamp-1,city,55.70,13.19\nlamp-2,city,55.71,13.19\n';
  await system.objects.uploads.put('manifests/b-lamps.csv', csv, { contentType: 'text/csv' });
  const batch = await system.workflows.waitForCompletion('arn:aws:states:local:000000000000:execution:provisioning:b-lamps');
  expect(batch.output).toMatchObject({ provisioned: 2 });
  await system.projections.settled();
  bridge = await startBridge(system, 'fargate-1');
});
afterAll(async () => {
  await bridge?.end();
  await system?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const remote = { address: '192.0.2.7', port: 40001 };
const T0 = '2026-01-01T00:00:00.000Z';

/** What the embedded recorder (with the fleet's devices as known ones) appends for `failure`, and the message a bridge with the same limiter publishes. */
const embeddedAndMessage = async (failure: AuthenticationFailure): Promise<{ append: AppendRequest; message: BridgeAuthenticationFailed }> => {
  const appended: AppendRequest[] = [];
  const recorder = createAuthenticationFailureRecorder({
    bridgeId: 'fargate-1',
    append: (request) => Promise.resolve(void appended.push(request)),
    isKnownDevice: (thing) => system.projectionStore.getRow('devices', thing) !== undefined,
    scheduler: manualScheduler(),
    log: { warn: () => undefined, error: () => undefined },
  });
  recorder.record(failure);
  await recorder.stop();
  const append = appended[0]!;
  const { bridgeId: _bridgeId, ...data } = append.events[0]!.data as Record<string, unknown>;
  // A standalone bridge has no device list: the backend decides whether an identity is a device's.
  const { thingName, ...rest } = data;
  const message = (failure.thingName === undefined ? rest : { thingName, ...rest }) as BridgeAuthenticationFailed;
  return { append, message };
};

const publish = (body: unknown) => bridge.publish(topics.bridgeAuthFailed('fargate-1'), typeof body === 'string' ? body : JSON.stringify(body));
const authEvents = async (streamId: string) => (await system.events.readStream(streamId)).filter((e) => e.type === 'DeviceAuthenticationFailed');

describe('auth-failed messages into the embedded system', () => {
  it('a wrong key for a device becomes the DeviceAuthenticationFailed the embedded recorder appends, in the device’s stream, attributed to the bridge', async () => {
    const { append, message } = await embeddedAndMessage({ reason: 'bad-psk', identity: 'lamp-1', thingName: 'lamp-1', remote });
    await publish(message);
    expect(handled.at(-1)).toEqual({ outcome: 'recorded', events: ['DeviceAuthenticationFailed'] });
    const [event, ...more] = await authEvents('device-lamp-1');
    expect(more).toEqual([]);
    expect(append.streamId).toBe('device-lamp-1');
    expect(event!.data).toEqual(append.events[0]!.data);
    expect(event!.actor).toEqual({ kind: 'system', id: 'bridge:fargate-1' });
    expect(dataOf(event)).toMatchObject({ thingName: 'lamp-1', bridgeId: 'fargate-1', attempts: 1, firstAttemptAt: T0, transport: 'coaps' });
  });

  it('an unknown identity that names a device of the fleet goes to that device, as embedded', async () => {
    const { append, message } = await embeddedAndMessage({ reason: 'unknown-identity', identity: 'lamp-2', remote });
    expect(message).not.toHaveProperty('thingName');
    await publish(message);
    expect(append.streamId).toBe('device-lamp-2');
    expect((await authEvents('device-lamp-2')).map((e) => e.data)).toEqual([append.events[0]!.data]);
  });

  it('a stranger stays in identity-<identity>, and a device name the fleet does not know is not believed', async () => {
    const { append, message } = await embeddedAndMessage({ reason: 'unknown-identity', identity: Buffer.from('stranger/7\u0000'), remote });
    await publish(message);
    expect(append.streamId).toBe('identity-stranger/7\\x00');
    expect((await authEvents('identity-stranger/7\\x00')).map((e) => e.data)).toEqual([append.events[0]!.data]);

    // A bridge naming a device no manifest brought in: the event keeps the identity, no device stream appears.
    await publish({ ...message, identity: 'phantom-9', thingName: 'phantom-9' });
    expect((await authEvents('identity-phantom-9')).map(dataOf)).toEqual([expect.not.objectContaining({ thingName: expect.anything() as unknown })]);
    expect(await system.events.streamVersion('device-phantom-9')).toBe(0);
  });

  it('a redelivered message is recorded once; a new summary of the same identity is a new event', async () => {
    const summary = { thingName: 'lamp-1', identity: 'lamp-1', reason: 'bad-psk', transport: 'coaps', remote, attempts: 49, firstAttemptAt: '2026-01-01T00:00:01.000Z', lastAttemptAt: '2026-01-01T00:00:49.000Z' };
    const before = (await authEvents('device-lamp-1')).length;
    await publish(summary);
    await publish(summary);
    expect(handled.slice(-2)).toEqual([
      { outcome: 'recorded', events: ['DeviceAuthenticationFailed'] },
      { outcome: 'recorded', events: ['DeviceAuthenticationFailed'] },
    ]);
    await publish({ ...summary, attempts: 60, firstAttemptAt: '2026-01-01T00:01:00.000Z', lastAttemptAt: '2026-01-01T00:01:59.000Z' });
    expect((await authEvents('device-lamp-1')).slice(before).map((e) => dataOf(e)!['attempts'])).toEqual([49, 60]);
  });

  it('refuses a malformed message as MessageRejected in the bridge’s stream, and records nothing else', async () => {
    const before = (await system.events.readAll({ limit: 100_000 })).events.filter((e) => e.type === 'DeviceAuthenticationFailed').length;
    await publish({ identity: 'lamp-1', reason: 'bad-psk', transport: 'coaps', remote, attempts: 1, firstAttemptAt: T0, lastAttemptAt: T0, psk: '8f3a' });
    await publish('not json');
    expect(handled.slice(-2)).toEqual([
      { outcome: 'rejected', events: ['MessageRejected'] },
      { outcome: 'rejected', events: ['MessageRejected'] },
    ]);
    const rejected = (await system.events.readStream('bridge-fargate-1')).filter((e) => e.type === 'MessageRejected').map(dataOf);
    expect(rejected.slice(-2)).toMatchObject([
      { stage: 'validate', topic: 'dt/lwm2m-bridge/fargate-1/auth-failed', reason: expect.stringMatching(/psk/) as unknown },
      { stage: 'decode', topic: 'dt/lwm2m-bridge/fargate-1/auth-failed' },
    ]);
    expect((await system.events.readAll({ limit: 100_000 })).events.filter((e) => e.type === 'DeviceAuthenticationFailed')).toHaveLength(before);
  });
});
