import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import type { StoredEvent } from '../../events/envelope.ts';
import { CommandAcceptedSchema } from '../../functions/commands/commandApiSchemas.ts';
import { loadConfig } from '../../infra/embedded/config.ts';
import { bootstrapEnv, bootstrapModule } from '../../infra/embedded/modules/bootstrap.ts';
import { bridgeMessagesModule } from '../../infra/embedded/modules/bridgeMessages.ts';
import { commandsModule, type RunningCommands } from '../../infra/embedded/modules/commands.ts';
import { deprovisioningModule } from '../../infra/embedded/modules/deprovisioning.ts';
import { lwm2mBridgeModule, type Lwm2mBridgeModuleOptions, type RunningLwm2mBridge } from '../../infra/embedded/modules/lwm2mBridge.ts';
import { provisioningModule, type RunningProvisioning } from '../../infra/embedded/modules/provisioning.ts';
import { startEmbeddedSystem, type EmbeddedSystem } from '../../infra/embedded/system.ts';
import { apiFetch } from '../support/api.ts';

/**
 * The whole embedded system as `npm start` composes it (infra/embedded/main.ts: provisioning,
 * deprovisioning, commands, bootstrap, bridge messages, the LwM2M server and its bridge), on
 * ephemeral ports in a fresh data folder, for the end-to-end stories of this folder.
 */

export interface StorySystem {
  readonly system: EmbeddedSystem;
  readonly lwm2m: RunningLwm2mBridge;
  readonly provisioning: RunningProvisioning;
  readonly commands: RunningCommands;
  readonly bridgeId: string;
  readonly dataDir: string;
  /** Stops the system and removes its data folder. */
  stop(): Promise<void>;
}

export interface StoryOptions {
  /** Prefix of the temporary data folder. */
  readonly name: string;
  readonly bridgeId: string;
  /** More environment (FLEET_SUBSCRIPTIONS_FILE, FLEET_SQLITE_SYNC...). */
  readonly env?: Readonly<Record<string, string>>;
  readonly lwm2m?: Omit<Lwm2mBridgeModuleOptions, 'bridgeId'>;
}

export const EXECUTION_PREFIX = 'arn:aws:states:local:000000000000:execution:';

export const startStorySystem = async (options: StoryOptions): Promise<StorySystem> => {
  const dataDir = mkdtempSync(join(tmpdir(), `${options.name}-`));
  const env = {
    FLEET_DATA_DIR: dataDir,
    FLEET_HTTP_PORT: '0',
    FLEET_MQTT_PORT: '0',
    FLEET_LWM2M_PORT: '0',
    FLEET_LWM2M_COAPS_PORT: '0',
    // The simulator (functions/simulator) speaks plain CoAP only, and both of these are off by
    // default now that the server speaks DTLS (docs/adr/0010-plain-coap-threats.md): the server
    // must listen on plain CoAP beside coaps, and bootstrap must deliver to devices that came that way.
    FLEET_LWM2M_PLAIN_COAP: 'true',
    FLEET_BOOTSTRAP_OVER_PLAIN_COAP: 'true',
    FLEET_LOG_LEVEL: 'silent',
    ...options.env,
  };
  const config = loadConfig(env);
  const bootstrap = bootstrapEnv(env);
  let lwm2m: RunningLwm2mBridge | undefined;
  let provisioning: RunningProvisioning | undefined;
  let commands: RunningCommands | undefined;
  let system: EmbeddedSystem | undefined;
  try {
    system = await startEmbeddedSystem(config, {
      // Bootstrap checks for the bridge's answer 15 times over 160 s (workflows/bootstrap/README.md);
      // scaled by 0.25 that is 40 s, the first check 250 ms after delivery. Everything here (devices,
      // LwM2M server, bridge, broker, workflows) shares one process: on a loaded 2-core machine a
      // scale of 0.02 (a 3 s budget) timed out deliveries whose answers were merely late.
      workflowTimeScale: 0.25,
      systemModules: [
        provisioningModule((m) => (provisioning = m)),
        deprovisioningModule({ disconnect: (id) => (system ? system.mqtt.broker.disconnectCertificate(id) : Promise.resolve(0)) }),
        commandsModule({}, (m) => (commands = m)),
        bootstrapModule({ allowPlainCoap: bootstrap.allowPlainCoap, brokerUri: () => `mqtts://127.0.0.1:${system?.mqtt.port ?? 0}` }),
        bridgeMessagesModule(),
        lwm2mBridgeModule({ ...options.lwm2m, bridgeId: options.bridgeId }, (m) => (lwm2m = m)),
      ],
    });
    if (!lwm2m || !provisioning || !commands) throw new Error('a module of the story system did not start');
    await lwm2m.connect(system.mqtt.port);
  } catch (error) {
    await system?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const started = system;
  return {
    system: started,
    lwm2m,
    provisioning,
    commands,
    bridgeId: options.bridgeId,
    dataDir,
    stop: async () => {
      await started.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
};

/**
 * Waits for a condition, not for a time: re-checks `ready` every `everyMs` and goes on the moment
 * it holds; past `timeoutMs` it fails with what it waited for and, when given, how far it got.
 */
export const until = async (
  what: string,
  ready: () => boolean | Promise<boolean>,
  options: { readonly timeoutMs?: number; readonly everyMs?: number; readonly progress?: () => string } = {},
): Promise<void> => {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ready()) return;
    if (Date.now() >= deadline) throw new Error(`${what}: did not hold within ${timeoutMs} ms${options.progress ? ` (${options.progress()})` : ''}`);
    await pause(options.everyMs ?? 50);
  }
};

/** A stream once `done` holds for it, re-read after every append to the store (no fixed waits). */
export const untilStream = (
  system: EmbeddedSystem,
  streamId: string,
  done: (events: readonly StoredEvent[]) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<readonly StoredEvent[]> => {
  let unsubscribe: () => void = () => undefined;
  let timer: NodeJS.Timeout | undefined;
  return new Promise<readonly StoredEvent[]>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not recorded in ${streamId} within ${timeoutMs} ms`)), timeoutMs);
    const check = () => {
      system.events.readStream(streamId).then((events) => {
        if (done(events)) resolve(events);
      }, reject);
    };
    unsubscribe = system.events.onAppended(check);
    check();
  }).finally(() => {
    clearTimeout(timer);
    unsubscribe();
  });
};

export const typesOf = (events: readonly StoredEvent[]): string[] => events.map((e) => e.type);

/** Uploads a CSV manifest as an admin, waits for its provisioning run, and returns the batch status the API reports. */
export const uploadManifest = async (story: StorySystem, name: string, csv: string): Promise<{ batchId: string; progress: Record<string, unknown> }> => {
  const res = await apiFetch(story.system, `/provisioning/manifests?name=${encodeURIComponent(name)}`, { method: 'POST', body: csv, headers: { 'content-type': 'text/csv' } }, 'admin');
  if (res.status !== 202) throw new Error(`the manifest upload answered ${res.status}: ${await res.text()}`);
  const accepted = (await res.json()) as { batchId: string; status: string };
  await story.provisioning.workflows.waitForCompletion(`${EXECUTION_PREFIX}provisioning:${accepted.batchId}`);
  const progress = (await (await apiFetch(story.system, accepted.status, {}, 'admin')).json()) as Record<string, unknown>;
  return { batchId: accepted.batchId, progress };
};

/** POST /commands as an operator; resolves with the accepted command's id once the API answered 202. */
export const requestRead = async (story: StorySystem, thingName: string, path: string): Promise<string> => {
  const res = await apiFetch(
    story.system,
    '/commands',
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ thingName, operation: 'read', path }) },
    'operator',
  );
  if (res.status !== 202) throw new Error(`POST /commands for ${thingName} answered ${res.status}: ${await res.text()}`);
  return CommandAcceptedSchema.parse(await res.json()).commandId;
};

/** The command's stream once it has ended (succeeded, failed, timed out or ignored). */
export const commandOutcome = (story: StorySystem, commandId: string): Promise<readonly StoredEvent[]> =>
  untilStream(
    story.system,
    `command-${commandId}`,
    (events) => events.some((e) => ['CommandSucceeded', 'CommandFailed', 'CommandTimedOut', 'CommandIgnored'].includes(e.type)),
    `the outcome of command ${commandId}`,
  );
