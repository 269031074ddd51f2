import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../events/envelope.ts';
import { Fleet } from '../../functions/simulator/fleet.ts';
import { startStorySystem, until, uploadManifest, type StorySystem } from '../e2e/storySupport.ts';

/**
 * Issue 5's scale problem: 1,000 simulated devices (functions/simulator, each on its own UDP
 * socket) register with the embedded LwM2M server within seconds, and the bridge relays every
 * registration over MQTT/TLS to the backend, which stores each one as DeviceRegistered and starts
 * a bootstrap for it. The system here delivers no credentials over plain CoAP (the default,
 * ADR 0010), so every bootstrap ends at once in BootstrapRejected `unauthenticated`: the figure
 * is the registration path (bridge → broker → handler → store → workflow start), not 1,000 TLS
 * handshakes. Counts are asserted, never times; the waits are generous because the machine is shared.
 */

const DEVICES = 1000;
const PREFIX = 'meter-';
const BRIDGE = 'scale';
const thingOf = (i: number) => `${PREFIX}${i}`;

let story: StorySystem;
let fleet: Fleet | undefined;
const registered = new Map<string, number>();
const rejected = new Map<string, string>();

beforeAll(async () => {
  story = await startStorySystem({
    name: 'fleet1000',
    bridgeId: BRIDGE,
    env: { FLEET_BOOTSTRAP_OVER_PLAIN_COAP: 'false' },
    // Every simulated device sends from 127.0.0.1: the per-address Register limit (right for a network) is lifted.
    lwm2m: { lwm2m: { registrationRateLimit: { burst: 10_000, perSecond: 10_000 } } },
  });
}, 60_000);

afterAll(async () => {
  await fleet?.stop({ deregister: false });
  await story?.stop();
});

/** Every DeviceRegistered and BootstrapRejected the store holds, read in pages from the start. */
const collect = async (after: number): Promise<number> => {
  let cursor = String(after);
  for (;;) {
    const page = await story.system.events.readAll({ after: cursor, limit: 1000 });
    for (const e of page.events as StoredEvent<string, { thingName?: string; endpoint?: string; reason?: string }>[]) {
      if (e.type === 'DeviceRegistered' && e.data.thingName !== undefined) registered.set(e.data.thingName, (registered.get(e.data.thingName) ?? 0) + 1);
      if (e.type === 'BootstrapRejected' && e.data.endpoint !== undefined) rejected.set(e.data.endpoint, e.data.reason ?? '');
    }
    if (page.events.length === 0 || page.cursor === undefined) return Number(cursor);
    cursor = page.cursor;
  }
};

describe(`${DEVICES} simulated devices register through the bridge within seconds`, () => {
  it('provisions the fleet from a manifest', async () => {
    const csv = ['serial,tenant,latitude,longitude,kind', ...Array.from({ length: DEVICES }, (_, i) => `${thingOf(i)},city-of-lund,${(55.6 + i / 10_000).toFixed(4)},13.19,meter`)].join('\n') + '\n';
    const { progress } = await uploadManifest(story, 'fleet1000.csv', csv);
    expect(progress).toMatchObject({ status: 'SUCCEEDED', totalRows: DEVICES, provisioned: DEVICES, failed: 0 });
  }, 120_000);

  it('stores a DeviceRegistered for every device, once each, and a bootstrap for each that refuses plain CoAP', async () => {
    const server = story.lwm2m.plainCoap;
    if (!server) throw new Error('the LwM2M server has no plain CoAP socket: FLEET_LWM2M_PLAIN_COAP=true did not reach it');
    const from = story.system.events.headPosition();
    // A steep ramp (4 s): all at once, 1,000 Registers overflow the server's UDP receive buffer and the
    // figure becomes the devices' CoAP retransmission back-off, not the path under test.
    fleet = await Fleet.open({ devices: DEVICES, prefix: PREFIX, server, startsPerSecond: 250, device: { sampleEveryMs: 0, publishEveryMs: 0, lifetimeSeconds: 3600 } });
    const started = fleet;
    started.start();

    let position = from;
    await until(
      `${DEVICES} DeviceRegistered and ${DEVICES} BootstrapRejected stored`,
      async () => {
        position = await collect(position);
        return registered.size === DEVICES && rejected.size === DEVICES;
      },
      {
        timeoutMs: 90_000,
        everyMs: 250,
        progress: () =>
          `${registered.size} DeviceRegistered, ${rejected.size} BootstrapRejected, devices ${JSON.stringify(started.counters())}, bridge ${JSON.stringify(story.lwm2m.bridge?.stats().mqtt)}`,
      },
    );

    const counters = started.counters();
    expect(counters.registered).toBe(DEVICES);
    for (let i = 0; i < DEVICES; i++) expect(registered.get(thingOf(i)), thingOf(i)).toBe(1);
    expect(new Set(rejected.values())).toEqual(new Set(['unauthenticated']));
    // A device that registered twice (a Register retransmitted and answered twice) would be a second fact, not a lost one.
    expect(counters.registrations).toBe(DEVICES);
    const bridge = story.lwm2m.bridge!.stats();
    expect(bridge.relayed.register).toBe(DEVICES);
    expect(bridge.mqtt).toMatchObject({ publishFailures: 0, queued: 0 });
    expect(story.system.mqtt.broker.stats().handlerErrors).toBe(0);
  }, 120_000);
});
