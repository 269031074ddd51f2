import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceRow } from '../../events/projections/devices.ts';
import type { DeviceSessionRow } from '../../events/projections/deviceSessions.ts';
import type { DeviceStateRow } from '../../events/projections/deviceState.ts';
import { runPool } from '../../functions/provisioning/runPool.ts';
import { Fleet } from '../../functions/simulator/fleet.ts';
import { SimulatedDevice } from '../../functions/simulator/simulatedDevice.ts';
import { lwm2mBridgeModule, type Lwm2mBridgeModuleOptions, type RunningLwm2mBridge } from '../../infra/embedded/modules/lwm2mBridge.ts';
import type { RuntimeContext } from '../../infra/embedded/runtime.ts';
import { nextEvent } from '../simulator/support.ts';
import { commandOutcome, requestRead, startStorySystem, typesOf, until, untilStream, uploadManifest, type StorySystem } from './storySupport.ts';

/**
 * Issue 5's done-when with 200 simulated devices (functions/simulator/fleet.ts, each on its own UDP
 * socket) against the whole embedded system: a manifest uploaded through the API → the provisioning
 * workflow → the fleet registers with the embedded LwM2M server → the bootstrap workflow delivers
 * credentials through the bridge → every device connects over MQTT/TLS and publishes its state →
 * the projections and every device's stream hold it all. A stranger gets nothing and the refusal is
 * recorded. The bridge (and its LwM2M server) restarts; the devices register again and an operator's
 * read reaches them again.
 */

const DEVICES = 200;
const PREFIX = 'lamp-';
const BRIDGE = 'fleet';
const STRANGER = 'stranger-1';
/** Devices started per second: a ramp, not a wall, as `npm run simulate` does (its default is 50/s). */
const STARTS_PER_SECOND = 100;
/** Re-registrations in flight at once after the restart. */
const REREGISTER_AT_ONCE = 32;
const thingOf = (i: number) => `${PREFIX}${i}`;
/** Each device reads its own temperature, so each state row can be told from the others. */
const celsiusOf = (i: number) => Math.round((12 + i * 0.05) * 100) / 100;

const LWM2M: Omit<Lwm2mBridgeModuleOptions, 'bridgeId'> = {
  // Every simulated device sends from 127.0.0.1, and the server limits Registers per source address
  // (burst 20, then 2/s), which is right for a real network and would make this fleet wait minutes.
  lwm2m: { registrationRateLimit: { burst: 1000, perSecond: 1000 } },
};

let story: StorySystem;
let fleet: Fleet;
let stranger: SimulatedDevice;
let restarted: RunningLwm2mBridge | undefined;
const bootstrapRuns = new Set<string>();

/** The bridge that serves devices now: the module's first run, or the one the restart test started. */
const bridgeNow = () => restarted ?? story.lwm2m;

beforeAll(async () => {
  story = await startStorySystem({ name: 'e2e-fleet200', bridgeId: BRIDGE, lwm2m: LWM2M });
  story.system.workflows.onEvent(({ executionId, stateMachine, event }) => {
    if (stateMachine === 'bootstrap' && event.type === 'ExecutionStarted') bootstrapRuns.add(executionId);
  });
});

afterAll(async () => {
  await fleet?.stop({ deregister: false });
  await stranger?.stop({ deregister: false });
  // The restarted bridge is not one of the runtime's modules: it stops here, while the broker is still up.
  await restarted?.stop();
  await story?.stop();
});

const sessionOf = (thing: string) => story.system.projectionStore.getRow('device-sessions', thing) as DeviceSessionRow | undefined;
const stateOf = (thing: string) => story.system.projectionStore.getRow('device-state', thing) as DeviceStateRow | undefined;
const things = () => Array.from({ length: DEVICES }, (_, i) => thingOf(i));
const streamOf = (thing: string) => story.system.events.readStream(`device-${thing}`);

/** How the backend's bootstraps ended so far, for a failure message: `bootstrapped: 180, failed timeout: 20`. */
const bootstrapOutcomes = (): string => {
  const counts = new Map<string, number>();
  for (const thing of things()) {
    const last = sessionOf(thing)?.lastBootstrap;
    const key = last === undefined ? 'none yet' : [last.outcome, last.lwm2mCode ?? last.reason].filter(Boolean).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k}: ${n}`).join(', ');
};

/** What a device answers for a path, as it holds it itself. */
const deviceValue = (i: number, path: string) => fleet.devices[i]!.valuesAt(path)[0]?.value;

const readThroughTheBridge = async (i: number, path: string) => {
  const commandId = await requestRead(story, thingOf(i), path);
  const events = await commandOutcome(story, commandId);
  expect(typesOf(events), `command ${commandId} on ${thingOf(i)}`).toEqual(['CommandRequested', 'CommandPublished', 'CommandDispatched', 'CommandSucceeded']);
  expect(events[1]!.data).toMatchObject({ bridgeId: BRIDGE });
  return events.at(-1)!.data as { lwm2mCode: string; result: { values: { path: string; value: unknown }[] } };
};

describe(`${DEVICES} simulated devices: manifest → provisioning → registration → bootstrap through the bridge → MQTT/TLS state`, () => {
  it('provisions every row of a manifest uploaded through the API by an admin', async () => {
    const csv = ['serial,tenant,latitude,longitude,kind', ...things().map((t, i) => `${t},city-of-lund,${(55.6 + i / 1000).toFixed(4)},13.19,lamp`)].join('\n') + '\n';
    const { progress } = await uploadManifest(story, 'fleet200.csv', csv);
    expect(progress).toMatchObject({ status: 'SUCCEEDED', totalRows: DEVICES, invalidRows: 0, provisioned: DEVICES, failed: 0 });
    await story.system.projections.settled();
    for (const thing of things()) expect((story.system.projectionStore.getRow('devices', thing) as DeviceRow | undefined)?.status, thing).toBe('provisioned');
  });

  it('registers the fleet, bootstraps every device through the bridge, and every state row holds what its device published over MQTT/TLS', async () => {
    const server = story.lwm2m.plainCoap;
    if (!server) throw new Error('the LwM2M server has no plain CoAP socket: FLEET_LWM2M_PLAIN_COAP=true did not reach it');
    fleet = await Fleet.open({
      devices: DEVICES,
      prefix: PREFIX,
      server,
      startsPerSecond: STARTS_PER_SECOND,
      // No timers of their own: each publishes its state once, on connecting, so every event below is
      // one the test caused. 200 TLS handshakes share one loaded process with the broker: a generous
      // connect timeout keeps a slow handshake from becoming a reconnect (and a second state message).
      device: { sampleEveryMs: 0, publishEveryMs: 0, mqtt: { connectTimeoutMs: 30_000 } },
    });
    fleet.devices.forEach((device, i) => device.setTemperature(celsiusOf(i)));
    stranger = await SimulatedDevice.open({ endpoint: STRANGER, server, sampleEveryMs: 0, publishEveryMs: 0 });
    fleet.start();
    stranger.start();

    const progress = () => JSON.stringify(fleet.counters());
    await until('every device bootstrapped, connected to the broker and published its state', () => {
      const c = fleet.counters();
      return c.registered === DEVICES && c.bootstrapped === DEVICES && c.mqttConnected === DEVICES && fleet.devices.every((d) => d.stats().published >= 1);
    }, { timeoutMs: 60_000, everyMs: 100, progress: () => `${progress()}; backend: ${bootstrapOutcomes()}` });
    // The backend's view: bootstrapped (the workflow concluded), the Update that announced 18830/0 recorded, the state projected.
    await until('every device bootstrapped, re-announced and with state in the projections', () =>
      things().every((t) => {
        const session = sessionOf(t);
        return session?.bootstrapped === true && session.objectLinks?.includes('</18830/0>') === true && stateOf(t) !== undefined;
      }), { timeoutMs: 30_000, everyMs: 100, progress: bootstrapOutcomes });
    await story.system.projections.settled();

    const c = fleet.counters();
    expect(c).toMatchObject({ registered: DEVICES, registrationFailures: 0, bootstrapped: DEVICES, mqttConnected: DEVICES, mqttErrors: 0, statesPublished: DEVICES, alarmsPublished: 0 });
    for (let i = 0; i < DEVICES; i++) {
      const thing = thingOf(i);
      const row = stateOf(thing);
      expect(row?.messages, thing).toBe(1);
      expect(row?.resources['/3303/0/5700'], thing).toMatchObject({ value: { kind: 'number', v: celsiusOf(i) }, unit: 'Cel' });
      expect(row?.resources['/3/0/13']?.value.kind, thing).toBe('number');
      expect((story.system.projectionStore.getRow('devices', thing) as DeviceRow).status, thing).toBe('bootstrapped');
    }

    // One bootstrap run per device, each SUCCEEDED; the bridge wrote 200 deliveries and nothing else.
    expect(bootstrapRuns.size).toBe(DEVICES);
    const runs = await Promise.all([...bootstrapRuns].map((id) => story.system.workflows.describeExecution(id)));
    expect(runs.filter((r) => r.status !== 'SUCCEEDED')).toEqual([]);
    expect(story.lwm2m.bridge?.stats().bootstrap).toMatchObject({ received: DEVICES, ok: DEVICES, failed: 0 });
  });

  it('keeps every step of every device as events in its stream, in causal order', async () => {
    const expected = ['BootstrapResultReported', 'DeviceBootstrapped', 'DeviceProvisioned', 'DeviceRegistered', 'DeviceRegistrationUpdated', 'DeviceStateReported'];
    for (let i = 0; i < DEVICES; i++) {
      const thing = thingOf(i);
      const events = await streamOf(thing);
      const types = typesOf(events);
      const at = (type: string) => types.indexOf(type);
      const data = (type: string) => events[at(type)]!.data as Record<string, unknown>;
      expect([...types].sort(), thing).toEqual(expected);
      expect(events.map((e) => e.streamPosition), thing).toEqual(events.map((_, k) => k + 1));
      expect(events.every((e, k) => k === 0 || e.recordedAt >= events[k - 1]!.recordedAt), `${thing} recorded in order`).toBe(true);
      // The causal order. The device's first state and the workflow's conclusion race by design: the
      // device connects as soon as its write is answered; the workflow concludes at its next check.
      expect(types.slice(0, 2), thing).toEqual(['DeviceProvisioned', 'DeviceRegistered']);
      expect(at('BootstrapResultReported'), thing).toBeLessThan(at('DeviceBootstrapped'));
      expect(events[1]!.actor).toEqual({ kind: 'system', id: `bridge:${BRIDGE}` });
      expect(data('DeviceRegistered')['objectLinks'], thing).toMatch(/<\/18830>/);
      expect(data('DeviceRegistered')['objectLinks'], thing).not.toMatch(/<\/18830\/0>/);
      expect(data('BootstrapResultReported'), thing).toMatchObject({ bridgeId: BRIDGE, ok: true });
      expect(data('DeviceBootstrapped'), thing).toMatchObject({ thingName: thing, bridgeId: BRIDGE, brokerUri: `mqtts://127.0.0.1:${story.system.mqtt.port}` });
      expect(data('DeviceRegistrationUpdated')['objectLinks'], thing).toMatch(/<\/18830\/0>/);
      expect(data('DeviceStateReported'), thing).toMatchObject({ topic: `dt/lwm2m/${thing}/state` });
      expect(events[at('DeviceStateReported')]!.actor, thing).toMatchObject({ kind: 'device', id: thing });
    }
  });

  it('gives an endpoint no manifest brought in nothing, and records the refusal under the endpoint\'s name', async () => {
    const refused = await untilStream(story.system, `endpoint-${STRANGER}`, (events) => events.length > 0, 'the refusal of the stranger');
    expect(refused.map((e) => [e.type, e.data])).toEqual([['BootstrapRejected', { endpoint: STRANGER, bridgeId: BRIDGE, reason: 'unknown-device' }]]);
    // It registered like the others, and holds no credentials: no 18830 instance, no MQTT.
    expect(stranger.registrationState).toBe('registered');
    expect(stranger.valuesAt('/18830')).toEqual([]);
    expect(stranger.mqttConnected).toBe(false);
    expect(await story.system.events.streamVersion(`device-${STRANGER}`)).toBe(0);
    expect([...bootstrapRuns].filter((id) => id.includes(STRANGER))).toEqual([]);
    expect(story.lwm2m.bridge?.stats().bootstrap.received).toBe(DEVICES);
    await stranger.stop();
  });

  it('serves an operator\'s read, restarts the bridge and its LwM2M server, and the devices register again and answer reads again', async () => {
    const sample = [0, Math.floor(DEVICES / 2), DEVICES - 1];
    for (const i of sample) {
      const outcome = await readThroughTheBridge(i, '/3/0/2');
      expect(outcome).toMatchObject({ lwm2mCode: '2.05', result: { values: [{ path: '/3/0/2', value: { kind: 'string', v: deviceValue(i, '/3/0/2') } }] } });
    }

    // Stop: the bridge says offline, which ends every session it held (DeviceSessionLost each).
    const first = story.lwm2m;
    const plainPort = first.plainCoap!.port;
    const coapsPort = first.coaps.port;
    const before = new Map(await Promise.all(things().map(async (t) => [t, await story.system.events.streamVersion(`device-${t}`)] as const)));
    await first.stop();
    const offline = await untilStream(
      story.system,
      `bridge-${BRIDGE}`,
      (events) => events.some((e) => e.type === 'BridgeStatusChanged' && (e.data as { status: string }).status === 'offline'),
      'the bridge offline',
    );
    expect(offline.find((e) => (e.data as { status: string }).status === 'offline')!.data).toMatchObject({ devicesLost: DEVICES });
    await story.system.projections.settled();
    expect(things().filter((t) => sessionOf(t)?.registered)).toEqual([]);

    // Start again: the same module, on the ports the devices know (lwm2mBridge.ts offers no restart of a running module).
    const { system } = story;
    const ctx: RuntimeContext = { ...system, config: { ...system.config, lwm2m: { ...system.config.lwm2m, port: plainPort, coapsPort } } };
    const module = lwm2mBridgeModule({ ...LWM2M, bridgeId: BRIDGE }, (m) => (restarted = m)).create({
      ca: system.ca,
      registry: system.registry,
      objects: system.objects,
      workflows: system.workflows,
      broker: system.mqtt.broker,
    });
    await module.start(ctx);
    expect(restarted?.plainCoap?.port).toBe(plainPort);
    await restarted!.connect(system.mqtt.port);
    const restartedAt = new Date().toISOString();

    // Each device's next Update (brought forward: lifetimes are 5 min) finds itself forgotten (4.04) and registers again.
    await runPool(fleet.devices, REREGISTER_AT_ONCE, async (device) => {
      const registered = nextEvent<{ reason: string }>(device.events, 'registered', 20_000);
      device.updateNow();
      expect((await registered).reason).toBe('not-found');
    });
    await until('every device registered again in the backend', () => things().every((t) => sessionOf(t)?.registered === true && (sessionOf(t)?.registeredAt ?? '') >= restartedAt), {
      timeoutMs: 30_000,
      progress: () => `${things().filter((t) => sessionOf(t)?.registered).length} registered`,
    });
    await story.system.projections.settled();
    expect(bridgeNow().server.registrations()).toHaveLength(DEVICES);

    // What the restart added to each stream: the lost session, then the new registration, which carries
    // the 18830 instance the device kept, so no bootstrap starts again.
    for (const thing of things()) {
      const added = (await streamOf(thing)).slice(before.get(thing));
      expect(typesOf(added), thing).toEqual(['DeviceSessionLost', 'DeviceRegistered']);
      expect(added[0]!.data).toMatchObject({ reason: 'bridge-offline', bridgeId: BRIDGE });
      expect((added[1]!.data as { objectLinks: string }).objectLinks).toMatch(/<\/18830\/0>/);
    }
    expect(bootstrapRuns.size).toBe(DEVICES);

    for (const i of sample) {
      const outcome = await readThroughTheBridge(i, '/3/0/2');
      expect(outcome).toMatchObject({ lwm2mCode: '2.05', result: { values: [{ path: '/3/0/2', value: { kind: 'string', v: deviceValue(i, '/3/0/2') } }] } });
    }
    expect(restarted?.bridge?.stats().commands).toMatchObject({ succeeded: sample.length });
  });
});
