import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BridgeMessageResult } from '../../functions/bridgeMessages/handleBridgeMessage.ts';
import { loadConfig } from '../../infra/embedded/config.ts';
import { bootstrapModule } from '../../infra/embedded/modules/bootstrap.ts';
import { bridgeMessagesModule, type RunningBridgeMessages } from '../../infra/embedded/modules/bridgeMessages.ts';
import { provisioningModule } from '../../infra/embedded/modules/provisioning.ts';
import { startEmbeddedSystem, type EmbeddedSystem } from '../../infra/embedded/system.ts';
import type { BridgeEvent } from '../../schemas/topics/topics.ts';
import { startBridge, type TestBridge } from './support.ts';

/**
 * A bridge that does not wait for each PUBACK (as functions/bridge does, with a window of
 * publishes in flight) sends every device's whole story at once, the devices interleaved: the
 * embedded system handles the devices concurrently, and each device's facts must still be stored
 * in the order its bridge sent them, once each, however often the bytes arrive.
 */

const DEVICES = 30;
const dataDir = mkdtempSync(join(tmpdir(), 'e2e-bridge-burst-'));
let system: EmbeddedSystem;
let bridgeMessages: RunningBridgeMessages;
let bridge: TestBridge;
const handled: BridgeMessageResult[] = [];

const thingOf = (i: number) => `valve-${i}`;
const at = (second: number) => new Date(Date.UTC(2026, 10, 24, 12, 0, second)).toISOString();

/** One device's story: register, update, de-register, register again; an 18830 instance, so no bootstrap starts. */
const story = (thing: string): [BridgeEvent, unknown][] => [
  ['register', { endpoint: thing, lwm2mVersion: '1.1', lifetimeSeconds: 120, queueMode: false, objectLinks: '</1/0>,</3/0>,</18830/0>', location: `/rd/${thing}-a`, registeredAt: at(0), transport: 'coaps' }],
  ['update', { endpoint: thing, lifetimeSeconds: 300, updatedAt: at(60) }],
  ['deregister', { endpoint: thing, reason: 'deregistered', at: at(90) }],
  ['register', { endpoint: thing, lwm2mVersion: '1.1', lifetimeSeconds: 120, queueMode: false, objectLinks: '</1/0>,</3/0>,</18830/0>', location: `/rd/${thing}-b`, registeredAt: at(100), transport: 'coaps' }],
];

/** Every step of every device, device by device within each step, none waiting for another's PUBACK. */
const sendAll = () => {
  const sent: Promise<void>[] = [];
  for (let step = 0; step < 4; step++) {
    for (let i = 0; i < DEVICES; i++) {
      const [event, body] = story(thingOf(i))[step]!;
      sent.push(bridge.event(event, thingOf(i), body));
    }
  }
  return Promise.all(sent);
};

beforeAll(async () => {
  system = await startEmbeddedSystem(loadConfig({ FLEET_DATA_DIR: dataDir, FLEET_HTTP_PORT: '0', FLEET_MQTT_PORT: '0', FLEET_LOG_LEVEL: 'silent' }), {
    systemModules: [provisioningModule(), bootstrapModule({ brokerUri: () => `mqtts://127.0.0.1:${system.mqtt.port}` }), bridgeMessagesModule((m) => (bridgeMessages = m))],
  });
  const csv = ['serial,tenant,latitude,longitude', ...Array.from({ length: DEVICES }, (_, i) => `${thingOf(i)},water,55.70,13.19`)].join('\n') + '\n';
  await system.objects.uploads.put('manifests/b-valves.csv', csv, { contentType: 'text/csv' });
  const batch = await system.workflows.waitForCompletion('arn:aws:states:local:000000000000:execution:provisioning:b-valves');
  expect(batch.output).toMatchObject({ provisioned: DEVICES });
  bridgeMessages.onHandled((result) => handled.push(result));
  bridge = await startBridge(system, 'burst');
});
afterAll(async () => {
  await bridge?.end();
  await system?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const factsOf = async (i: number) => (await system.events.readStream(`device-${thingOf(i)}`)).map((e) => e.type);
const EXPECTED = ['DeviceProvisioned', 'DeviceRegistered', 'DeviceRegistrationUpdated', 'DeviceDeregistered', 'DeviceRegistered'];

describe('a burst of bridge messages: concurrent across devices, in order per device, stored once', () => {
  it("stores each device's facts in the order its bridge sent them", async () => {
    // Every PUBACK means the backend has the message (handleBeforeAck): nothing to wait for after this.
    await sendAll();
    expect(handled).toHaveLength(4 * DEVICES);
    for (let i = 0; i < DEVICES; i++) expect(await factsOf(i), thingOf(i)).toEqual(EXPECTED);
    const second = (await system.events.readStream(`device-${thingOf(0)}`))[4]!;
    expect(second.data).toMatchObject({ registeredAt: at(100), bridgeId: 'burst' });
  });

  it('stores nothing twice when the same messages arrive again', async () => {
    const head = system.events.headPosition();
    handled.length = 0;
    await sendAll();
    expect(handled).toHaveLength(4 * DEVICES);
    // Each redelivery names the fact it already produced.
    expect(new Set(handled.map((h) => h.outcome))).toEqual(new Set(['recorded']));
    expect(system.events.headPosition()).toBe(head);
    for (let i = 0; i < DEVICES; i++) expect(await factsOf(i), thingOf(i)).toEqual(EXPECTED);
  });
});
