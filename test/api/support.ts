import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../infra/embedded/config.ts';
import { commandsModule } from '../../infra/embedded/modules/commands.ts';
import { deprovisioningModule, type RunningDeprovisioning } from '../../infra/embedded/modules/deprovisioning.ts';
import { provisioningModule, type RunningProvisioning } from '../../infra/embedded/modules/provisioning.ts';
import { startEmbeddedSystem, type EmbeddedSystem } from '../../infra/embedded/system.ts';

export interface FullSystem {
  readonly system: EmbeddedSystem;
  readonly provisioning: RunningProvisioning;
  readonly deprovisioning: RunningDeprovisioning;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** The embedded system with every module that serves routes, composed as main.ts composes it. */
export const startFullSystem = async (prefix: string): Promise<FullSystem> => {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  let provisioning: RunningProvisioning | undefined;
  let deprovisioning: RunningDeprovisioning | undefined;
  const system: EmbeddedSystem = await startEmbeddedSystem(loadConfig({ FLEET_DATA_DIR: dataDir, FLEET_HTTP_PORT: '0', FLEET_MQTT_PORT: '0', FLEET_LOG_LEVEL: 'silent' }), {
    workflowTimeScale: 0.001,
    systemModules: [
      provisioningModule((p) => (provisioning = p)),
      deprovisioningModule({ disconnect: (id) => system.mqtt.broker.disconnectCertificate(id) }, (d) => (deprovisioning = d)),
      commandsModule(),
    ],
  });
  if (!provisioning || !deprovisioning) throw new Error('the provisioning and deprovisioning modules did not start');
  return {
    system,
    provisioning,
    deprovisioning,
    dataDir,
    async stop() {
      await system.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
};

export const batchExecution = (batchId: string) => `arn:aws:states:local:000000000000:execution:provisioning:${batchId}`;

/** The route keys as the permission table writes them; HEAD routes fastify adds for GETs are left out. */
export const routeKeys = (routes: readonly { method: string; route: string }[]) => routes.map((r) => `${r.method} ${r.route}`).sort();
