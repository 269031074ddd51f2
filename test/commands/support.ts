import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { StoredEvent } from '../../events/envelope.ts';
import { deviceSessionsProjection } from '../../events/projections/deviceSessions.ts';
import { bridgePolicy, bridgePolicyName } from '../../functions/registry/devicePolicy.ts';
import type { IssuedCertificate } from '../../functions/registry/localCa.ts';
import { loadConfig } from '../../infra/embedded/config.ts';
import { commandsModule, type CommandsModuleOptions, type RunningCommands } from '../../infra/embedded/modules/commands.ts';
import type { EmbeddedModule } from '../../infra/embedded/runtime.ts';
import { startEmbeddedSystem, type EmbeddedSystem } from '../../infra/embedded/system.ts';
import { CommandRequestMessage, type CommandResponseMessage } from '../../schemas/bridge/commandMessages.ts';
import { bridgeIdOfThingName, bridgeThingName, parseTopic, topicFilters, topics } from '../../schemas/topics/topics.ts';
import { connect, end, subscribeCodes, within } from '../broker/support.ts';
import { newEvent, provisioned } from '../support/events.ts';

export interface CommandSystem {
  readonly system: EmbeddedSystem;
  readonly commands: RunningCommands;
}

/**
 * The embedded system with the commands module, and the `device-sessions` projection it reads. In
 * the full system the bridge-messages module runs that projection and appends DeviceRegistered from
 * bridges' register messages; these tests append those facts themselves (addDevice), so a command's
 * path does not depend on the bootstrap workflow that a registration may start.
 */
export const startCommandSystem = async (dataDir: string, options: CommandsModuleOptions = {}): Promise<CommandSystem> => {
  const config = loadConfig({ FLEET_DATA_DIR: dataDir, FLEET_HTTP_PORT: '0', FLEET_MQTT_PORT: '0', FLEET_LOG_LEVEL: 'silent' });
  const sessions: EmbeddedModule = { name: 'device-sessions', projections: [deviceSessionsProjection], start: () => Promise.resolve({ stop: () => Promise.resolve() }) };
  let commands: RunningCommands | undefined;
  const system = await startEmbeddedSystem(config, { systemModules: [commandsModule(options, (c) => (commands = c))], modules: [sessions] });
  if (!commands) throw new Error('the commands module did not start');
  return { system, commands };
};

/** A thing in the registry with an attached certificate, as provisioning (or a bridge's setup) makes it. */
export const registerThing = async (system: EmbeddedSystem, thingName: string): Promise<IssuedCertificate> => {
  await system.registry.ensureThing({ thingName, attributes: {} });
  const cert = await system.registry.createKeysAndCertificate({ thingName });
  await system.registry.attachThingPrincipal(thingName, cert.certificateId);
  return { ...cert, commonName: thingName } as unknown as IssuedCertificate;
};

/** A provisioned device; `heldBy` registers it with that bridge's LwM2M server, as the bridge's register message records it. */
export const addDevice = async (system: EmbeddedSystem, thingName: string, heldBy?: { bridgeId: string; queueMode?: boolean }) => {
  const events = [provisioned(thingName)];
  if (heldBy) {
    events.push(
      newEvent('DeviceRegistered', {
        thingName,
        endpoint: thingName,
        bridgeId: heldBy.bridgeId,
        lifetimeSeconds: 86_400,
        queueMode: heldBy.queueMode ?? false,
        objectLinks: '</3/0>,</3303/0>',
        registeredAt: new Date().toISOString(),
      }) as unknown as ReturnType<typeof provisioned>,
    );
  }
  await system.events.append({ streamId: `device-${thingName}`, expectedVersion: 'any', events });
};

/** How the fake bridge answers requests for a device. */
export type Behaviour = 'value' | 'not-found' | 'queued-then-value' | 'never';

export interface FakeBridge {
  readonly client: MqttClient;
  /** Every request the bridge received, in order. */
  readonly received: CommandRequestMessage[];
  /** Publishes an answer as this bridge (resolves on PUBACK: the backend has handled it). */
  answer(thingName: string, commandId: string, message: Omit<CommandResponseMessage, 'bridgeId' | 'at' | 'commandId'> & { commandId?: string; bridgeId?: string }): Promise<void>;
  close(): Promise<void>;
}

const caPem = (system: EmbeddedSystem) => readFileSync(join(system.config.dataDir, 'pki', 'ca.pem'), 'utf8');

/**
 * Connects a real MQTT client over TLS with a certificate from the registry: a device by its thing
 * name, or a bridge as `bridge:<id>`, whose certificate also gets its bridge policy attached.
 */
export const connectAs = async (system: EmbeddedSystem, clientId: string) => {
  const identity = await registerThing(system, clientId);
  const bridgeId = bridgeIdOfThingName(clientId);
  if (bridgeId !== undefined) {
    await system.registry.ensurePolicy(bridgePolicyName(bridgeId), bridgePolicy(bridgeId));
    await system.registry.attachPolicy(bridgePolicyName(bridgeId), identity.certificateId);
  }
  const connection = connect({ port: system.mqtt.port, clientId, caPem: caPem(system), identity });
  await connection.connected;
  return connection.client;
};

/**
 * A bridge played by a real MQTT client: it subscribes to every command request, as bridges do,
 * and answers the ones for devices it has a behaviour for (the devices it "holds").
 */
export const fakeBridge = async (system: EmbeddedSystem, bridgeId: string, behaviours: Readonly<Record<string, Behaviour>>): Promise<FakeBridge> => {
  const client = await connectAs(system, bridgeThingName(bridgeId));
  const received: CommandRequestMessage[] = [];
  const answer: FakeBridge['answer'] = async (thingName, commandId, message) => {
    const body: CommandResponseMessage = { commandId, bridgeId, at: new Date().toISOString(), ...message };
    await within(5_000, `bridge ${bridgeId} answers ${commandId}`, client.publishAsync(topics.commandResponse(thingName, commandId), JSON.stringify(body), { qos: 1 }));
  };
  const relay = async (thingName: string, request: CommandRequestMessage) => {
    switch (behaviours[thingName]) {
      case 'value':
        await answer(thingName, request.commandId, { status: 'dispatched' });
        await answer(thingName, request.commandId, { status: 'succeeded', lwm2mCode: '2.05', values: [{ path: request.path, value: { kind: 'number', v: 21.5 } }] });
        return;
      case 'not-found':
        await answer(thingName, request.commandId, { status: 'dispatched' });
        await answer(thingName, request.commandId, { status: 'failed', lwm2mCode: '4.04', message: 'Not Found' });
        return;
      case 'queued-then-value':
        await answer(thingName, request.commandId, { status: 'queued' });
        // The device wakes: the bridge sends the queued command and relays the answer.
        await answer(thingName, request.commandId, { status: 'dispatched' });
        await answer(thingName, request.commandId, { status: 'succeeded', lwm2mCode: '2.04' });
        return;
      default:
        return; // not ours, or a device that never answers
    }
  };
  client.on('message', (topic, payload) => {
    const route = parseTopic(topic);
    if (route?.kind !== 'command-request') return;
    const request = CommandRequestMessage.parse(JSON.parse(payload.toString('utf8')));
    received.push(request);
    void relay(route.thingName, request).catch(() => undefined);
  });
  const codes = await subscribeCodes(client, topicFilters.allCommandRequests);
  if (codes[0] !== 1) throw new Error(`bridge ${bridgeId} could not subscribe to command requests (SUBACK ${codes.join(',')})`);
  return { client, received, answer, close: () => end(client) };
};

/**
 * Resolves with the stream's events once one matches; waits on the store's append notifications
 * (never on a fixed sleep), up to `ms`.
 */
export const waitForEvent = (system: EmbeddedSystem, streamId: string, match: (e: StoredEvent) => boolean, what: string, ms = 10_000): Promise<readonly StoredEvent[]> => {
  let unsubscribe: () => void = () => undefined;
  const found = new Promise<readonly StoredEvent[]>((resolve, reject) => {
    const check = () => {
      system.events.readStream(streamId).then((events) => {
        if (events.some(match)) resolve(events);
      }, reject);
    };
    unsubscribe = system.events.onAppended(check);
    check();
  });
  return within(ms, what, found).finally(() => unsubscribe());
};

export const types = (events: readonly StoredEvent[]) => events.map((e) => e.type);
