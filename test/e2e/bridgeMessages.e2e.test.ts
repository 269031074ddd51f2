import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceSessionRow } from '../../events/projections/deviceSessions.ts';
import type { DeviceStateRow } from '../../events/projections/deviceState.ts';
import type { RejectionRow } from '../../events/projections/rejections.ts';
import type { BridgeMessageResult } from '../../functions/bridgeMessages/handleBridgeMessage.ts';
import { loadConfig } from '../../infra/embedded/config.ts';
import { bootstrapModule } from '../../infra/embedded/modules/bootstrap.ts';
import { bridgeMessagesModule, type RunningBridgeMessages } from '../../infra/embedded/modules/bridgeMessages.ts';
import { provisioningModule } from '../../infra/embedded/modules/provisioning.ts';
import { startEmbeddedSystem, type EmbeddedSystem } from '../../infra/embedded/system.ts';
import { encodeSenmlCbor } from '../../schemas/senml/index.ts';
import { topics } from '../../schemas/topics/topics.ts';
import { within } from '../broker/support.ts';
import { dataOf, startBridge, untilStream, type TestBridge } from '../bridgeMessages/support.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'e2e-bridge-'));
let system: EmbeddedSystem;
let bridgeMessages: RunningBridgeMessages;
let b1: TestBridge;

beforeAll(async () => {
  system = await startEmbeddedSystem(loadConfig({ FLEET_DATA_DIR: dataDir, FLEET_HTTP_PORT: '0', FLEET_MQTT_PORT: '0', FLEET_LOG_LEVEL: 'silent' }), {
    systemModules: [provisioningModule(), bootstrapModule({ brokerUri: () => `mqtts://127.0.0.1:${system.mqtt.port}` }), bridgeMessagesModule((m) => (bridgeMessages = m))],
  });
  const csv = ['serial,tenant,latitude,longitude', 'pump-1,water,55.70,13.19', 'pump-2,water,55.71,13.19', 'pump-3,water,55.72,13.19', 'pump-4,water,55.73,13.19'].join('\n') + '\n';
  await system.objects.uploads.put('manifests/b-pumps.csv', csv, { contentType: 'text/csv' });
  const batch = await system.workflows.waitForCompletion('arn:aws:states:local:000000000000:execution:provisioning:b-pumps');
  expect(batch.output).toMatchObject({ provisioned: 4 });
  b1 = await startBridge(system, 'b1');
});
afterAll(async () => {
  await b1?.end();
  await system?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const at = (second: number) => new Date(Date.UTC(2026, 10, 24, 12, 0, second)).toISOString();
const register = (endpoint: string, second: number, extra: Record<string, unknown> = {}) => ({
  endpoint,
  lwm2mVersion: '1.1',
  lifetimeSeconds: 120,
  bindingMode: 'UQ',
  queueMode: true,
  // An 18830 instance: the device has its credentials, so no bootstrap starts.
  objectLinks: '</1/0>,</3/0>,</3303/0>,</18830/0>',
  location: `/rd/${endpoint}-${second}`,
  registeredAt: at(second),
  transport: 'coaps',
  ...extra,
});
const stream = (thingName: string) => system.events.readStream(`device-${thingName}`);
const session = async (thingName: string) => {
  await system.projections.settled();
  return system.projectionStore.getRow('device-sessions', thingName) as DeviceSessionRow | undefined;
};
const rejectionsOf = async (streamId: string) => (await system.events.readStream(streamId)).filter((e) => e.type === 'MessageRejected').map(dataOf);

describe('bridge messages end to end: a bridge publishes over mutual TLS → facts attributed to it → device sessions', () => {
  it('turns register, update and deregister into device facts and follows them in device-sessions', async () => {
    await b1.event('register', 'pump-1', register('pump-1', 0));
    expect(await session('pump-1')).toMatchObject({ bridgeId: 'b1', endpoint: 'pump-1', registered: true, queueMode: true, lifetimeSeconds: 120, expiresAt: at(120) });

    await b1.event('update', 'pump-1', { endpoint: 'pump-1', lifetimeSeconds: 300, updatedAt: at(60) });
    expect(await session('pump-1')).toMatchObject({ registered: true, lifetimeSeconds: 300, lastUpdateAt: at(60), expiresAt: at(360) });

    await b1.event('deregister', 'pump-1', { endpoint: 'pump-1', reason: 'deregistered', at: at(90) });
    expect(await session('pump-1')).toMatchObject({ registered: false, endedReason: 'deregistered', bridgeId: 'b1' });

    const facts = await stream('pump-1');
    expect(facts.map((e) => e.type)).toEqual(['DeviceProvisioned', 'DeviceRegistered', 'DeviceRegistrationUpdated', 'DeviceDeregistered']);
    for (const fact of facts.slice(1)) expect(fact.actor).toEqual({ kind: 'system', id: 'bridge:b1' });
    expect(dataOf(facts[1])).toMatchObject({ thingName: 'pump-1', bridgeId: 'b1', objectLinks: '</1/0>,</3/0>,</3303/0>,</18830/0>', registeredAt: at(0) });
    expect(dataOf(facts[3])).toEqual({ thingName: 'pump-1', endpoint: 'pump-1', bridgeId: 'b1', reason: 'deregistered' });
  });

  it('ingests notify and send as device state, through the same decode as a device\'s own message, naming the bridge in the fact', async () => {
    const pack = (v: number) => Buffer.from(encodeSenmlCbor([{ bn: '/3303/0/', n: '5700', v, u: 'Cel', t: 1_795_000_000 + v }], { profile: 'lwm2m' }));
    await b1.event('notify', 'pump-2', pack(21));
    await b1.event('send', 'pump-2', pack(22));
    const reported = (await untilStream(system.events, 'device-pump-2', (es) => es.filter((e) => e.type === 'DeviceStateReported').length === 2)).filter((e) => e.type === 'DeviceStateReported');
    expect(reported.map((e) => dataOf(e)?.['topic'])).toEqual([topics.bridgeEvent('b1', 'notify', 'pump-2'), topics.bridgeEvent('b1', 'send', 'pump-2')]);
    await system.projections.settled();
    const state = system.projectionStore.getRow('device-state', 'pump-2') as DeviceStateRow;
    expect(state.resources['/3303/0/5700']).toMatchObject({ value: { kind: 'number', v: 22 }, unit: 'Cel' });

    // Garbage in a notify is the ingestion path's refusal, kept with its bytes in the device's stream.
    await b1.event('notify', 'pump-2', Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    const refused = await untilStream(system.events, 'device-pump-2', (es) => es.some((e) => e.type === 'MessageRejected'));
    expect(dataOf(refused.find((e) => e.type === 'MessageRejected'))).toMatchObject({ stage: 'decode', payloadBase64: '3q2+7w==', topic: topics.bridgeEvent('b1', 'notify', 'pump-2') });
  });

  it('records a bootstrap result for the workflow', async () => {
    await b1.event('bootstrap-result', 'pump-2', { endpoint: 'pump-2', requestId: 'bs-1', ok: false, lwm2mCode: '4.04', at: at(5) });
    const result = (await stream('pump-2')).find((e) => e.type === 'BootstrapResultReported');
    expect(result).toMatchObject({ actor: { kind: 'system', id: 'bridge:b1' }, data: { thingName: 'pump-2', bridgeId: 'b1', requestId: 'bs-1', ok: false, lwm2mCode: '4.04', reportedAt: at(5) } });
  });

  it('ends the session of every device a bridge held when its last will says offline, and only those', async () => {
    const offline = { topic: topics.bridgeStatus('b2'), payload: Buffer.from(JSON.stringify({ bridgeId: 'b2', status: 'offline' })), qos: 1 as const, retain: true };
    const b2 = await startBridge(system, 'b2', { will: offline });
    await b2.status({ bridgeId: 'b2', status: 'online', lwm2mEndpoints: ['coaps://127.0.0.1:5684'] });
    await b2.event('register', 'pump-3', register('pump-3', 10));
    await b2.event('register', 'pump-4', register('pump-4', 11));
    await b1.event('register', 'pump-1', register('pump-1', 12));

    const handled = new Promise<BridgeMessageResult>((resolve) => {
      const stop = bridgeMessages.onHandled((result, message) => {
        if (message.topic === topics.bridgeStatus('b2')) {
          stop();
          resolve(result);
        }
      });
    });
    // The connection dies without DISCONNECT: the broker publishes the will.
    b2.client.stream.destroy();
    expect(await within(10_000, 'the last will being handled', handled)).toEqual({ outcome: 'recorded', events: ['DeviceSessionLost', 'DeviceSessionLost', 'BridgeStatusChanged'] });

    expect(await session('pump-3')).toMatchObject({ registered: false, endedReason: 'bridge-offline', bridgeId: 'b2' });
    expect(await session('pump-4')).toMatchObject({ registered: false, endedReason: 'bridge-offline' });
    expect(await session('pump-1')).toMatchObject({ registered: true, bridgeId: 'b1' });
    const lost = (await stream('pump-3')).find((e) => e.type === 'DeviceSessionLost');
    expect(lost).toMatchObject({ actor: { kind: 'system', id: 'bridge:b2' }, data: { thingName: 'pump-3', bridgeId: 'b2', reason: 'bridge-offline' } });
    const statuses = (await system.events.readStream('bridge-b2')).map((e) => dataOf(e));
    expect(statuses).toMatchObject([{ bridgeId: 'b2', status: 'online', lwm2mEndpoints: ['coaps://127.0.0.1:5684'] }, { bridgeId: 'b2', status: 'offline', devicesLost: 2 }]);
    await b2.end();
  });

  it('keeps a message that fails its contract as MessageRejected in the bridge\'s stream, with its bytes and the reason', async () => {
    await b1.event('update', 'pump-1', Buffer.from('{"endpoint": "pump-1", "updatedAt":'));
    await b1.event('register', 'pump-1', { ...register('pump-1', 20), lifetimeSeconds: 'forever' });
    await b1.event('deregister', 'pump-1', { endpoint: 'pump-9', reason: 'deregistered', at: at(21) });
    await b1.status({ bridgeId: 'b1', status: 'napping' });
    const rejections = await rejectionsOf('bridge-b1');
    expect(rejections.map((r) => [r?.['stage'], r?.['thingName']])).toEqual([
      ['decode', 'pump-1'],
      ['validate', 'pump-1'],
      ['validate', 'pump-1'],
      ['validate', undefined],
    ]);
    expect(Buffer.from(String(rejections[0]?.['payloadBase64']), 'base64').toString()).toBe('{"endpoint": "pump-1", "updatedAt":');
    expect(rejections[1]?.['reason']).toMatch(/lifetimeSeconds/);
    expect(rejections[2]?.['reason']).toMatch(/endpoint pump-9 but its topic names pump-1/);
    await system.projections.settled();
    const listed = [...system.projectionStore.allRows('rejections').values()] as RejectionRow[];
    expect(listed.filter((r) => r.topic.startsWith('dt/lwm2m-bridge/b1/'))).toHaveLength(4 + 1); // and the refused notify above
    // Nothing about pump-1 changed.
    expect((await stream('pump-1')).filter((e) => e.type === 'DeviceRegistered')).toHaveLength(2);
  });

  it('refuses what a bridge reports about an endpoint that is no device of the fleet', async () => {
    await b1.event('update', 'ghost-1', { endpoint: 'ghost-1', updatedAt: at(30) });
    await b1.event('notify', 'ghost-1', Buffer.from(encodeSenmlCbor([{ n: '/3303/0/5700', v: 1 }], { profile: 'lwm2m' })));
    const refused = (await rejectionsOf('bridge-b1')).filter((r) => r?.['stage'] === 'unknown-device');
    expect(refused.map((r) => [r?.['thingName'], r?.['topic']])).toEqual([
      ['ghost-1', topics.bridgeEvent('b1', 'update', 'ghost-1')],
      ['ghost-1', topics.bridgeEvent('b1', 'notify', 'ghost-1')],
    ]);
    expect(await system.events.streamVersion('device-ghost-1')).toBe(0);
  });
});
