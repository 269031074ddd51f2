import { join } from 'node:path';
import type { StoredEvent } from '../../events/envelope.ts';
import { loadConfig } from '../../infra/embedded/config.ts';
import { bootstrapEnv, bootstrapModule } from '../../infra/embedded/modules/bootstrap.ts';
import { bridgeMessagesModule } from '../../infra/embedded/modules/bridgeMessages.ts';
import { commandsModule, type RunningCommands } from '../../infra/embedded/modules/commands.ts';
import { deprovisioningModule } from '../../infra/embedded/modules/deprovisioning.ts';
import { lwm2mBridgeModule, type RunningLwm2mBridge } from '../../infra/embedded/modules/lwm2mBridge.ts';
import { provisioningModule, type RunningProvisioning } from '../../infra/embedded/modules/provisioning.ts';
import { startEmbeddedSystem, type EmbeddedSystem } from '../../infra/embedded/system.ts';

/**
 * The whole embedded system as `npm start` composes it (infra/embedded/main.ts: provisioning,
 * deprovisioning, commands, bootstrap, bridge messages, the LwM2M server and its bridge connected
 * to the broker over mutual TLS), on ephemeral loopback ports, for benches that drive simulated
 * devices through it.
 */

export interface BridgeSystem {
  readonly system: EmbeddedSystem;
  readonly lwm2m: RunningLwm2mBridge;
  readonly provisioning: RunningProvisioning;
  readonly commands: RunningCommands;
  /** Told every batch of events the live projections committed (the system has one listener: this). */
  onProjected(listener: (events: readonly StoredEvent[]) => void): () => void;
  /** Uploads a CSV manifest of `serials` into the uploads area and waits until its provisioning run SUCCEEDED with every row provisioned. */
  provision(batchId: string, serials: readonly string[]): Promise<void>;
}

/**
 * The simulator (functions/simulator) speaks plain CoAP only, and the server listens for it and
 * bootstrap delivers to it only when told to (docs/adr/0010-plain-coap-threats.md): a bench on
 * loopback turns both on for its own system, and says so.
 */
export const PLAIN_COAP_ENV = { FLEET_LWM2M_PLAIN_COAP: 'true', FLEET_BOOTSTRAP_OVER_PLAIN_COAP: 'true' } as const;

export const startBridgeSystem = async (options: {
  readonly dataDir: string;
  readonly bridgeId: string;
  /** Every simulated device sends from 127.0.0.1; the server's per-address Register limit (right for a network) would throttle a bench to it. */
  readonly registrationRateLimit: { readonly burst: number; readonly perSecond: number };
}): Promise<BridgeSystem> => {
  const env = {
    ...process.env,
    FLEET_DATA_DIR: join(options.dataDir, 'system'),
    FLEET_HTTP_PORT: '0',
    FLEET_MQTT_PORT: '0',
    FLEET_LWM2M_PORT: '0',
    FLEET_LWM2M_COAPS_PORT: '0',
    FLEET_LOG_LEVEL: 'silent',
    ...PLAIN_COAP_ENV,
  };
  const config = loadConfig(env);
  const bootstrap = bootstrapEnv(env);
  const listeners = new Set<(events: readonly StoredEvent[]) => void>();
  let lwm2m: RunningLwm2mBridge | undefined;
  let provisioning: RunningProvisioning | undefined;
  let commands: RunningCommands | undefined;
  let system: EmbeddedSystem | undefined;
  try {
    system = await startEmbeddedSystem(config, {
      // No workflowTimeScale: the bootstrap workflow waits as deployed (its first result check 1 s after delivery).
      onProjected: (events) => {
        for (const listener of listeners) listener(events);
      },
      systemModules: [
        provisioningModule((m) => (provisioning = m)),
        deprovisioningModule({ disconnect: (id) => (system ? system.mqtt.broker.disconnectCertificate(id) : Promise.resolve(0)) }),
        commandsModule({}, (m) => (commands = m)),
        bootstrapModule({ allowPlainCoap: bootstrap.allowPlainCoap, brokerUri: () => `mqtts://127.0.0.1:${system?.mqtt.port ?? 0}` }),
        bridgeMessagesModule(),
        lwm2mBridgeModule({ bridgeId: options.bridgeId, lwm2m: { registrationRateLimit: options.registrationRateLimit } }, (m) => (lwm2m = m)),
      ],
    });
    if (!lwm2m || !provisioning || !commands) throw new Error('a module of the bench system did not start: check infra/embedded/modules/');
    if (!lwm2m.plainCoap) throw new Error('the LwM2M server has no plain CoAP socket: FLEET_LWM2M_PLAIN_COAP=true did not reach it');
    await lwm2m.connect(system.mqtt.port);
  } catch (error) {
    await system?.stop();
    throw error;
  }
  const started = system;
  const running = provisioning;
  return {
    system: started,
    lwm2m,
    provisioning: running,
    commands,
    onProjected(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async provision(batchId, serials) {
      const csv = ['serial,tenant,latitude,longitude,kind', ...serials.map((s, i) => `${s},city-of-lund,${(55.6 + (i % 1000) / 10_000).toFixed(4)},13.19,lamp`)].join('\n') + '\n';
      await started.objects.uploads.put(`manifests/${batchId}.csv`, csv, { contentType: 'text/csv' });
      const execution = await running.workflows.waitForCompletion(`arn:aws:states:local:000000000000:execution:provisioning:${batchId}`);
      const output = execution.output as { provisioned?: number } | undefined;
      if (execution.status !== 'SUCCEEDED' || output?.provisioned !== serials.length) {
        throw new Error(`provisioning batch ${batchId} ended ${execution.status} with ${JSON.stringify(execution.output ?? execution.cause)}; expected ${serials.length} devices provisioned`);
      }
      await started.projections.settled();
    },
  };
};
