import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../infra/embedded/config.ts';
import { commandsModule } from '../../infra/embedded/modules/commands.ts';
import { deprovisioningModule } from '../../infra/embedded/modules/deprovisioning.ts';
import { provisioningModule, type RunningProvisioning } from '../../infra/embedded/modules/provisioning.ts';
import { startEmbeddedSystem, type EmbeddedSystem } from '../../infra/embedded/system.ts';

export const PROJECT_ROOT = resolve(import.meta.dirname, '../..');

export interface CliSystem {
  readonly system: EmbeddedSystem;
  readonly provisioning: RunningProvisioning;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** The embedded system with the modules whose routes the CLI calls, on ephemeral ports. */
export const startCliSystem = async (): Promise<CliSystem> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cli-e2e-'));
  let provisioning: RunningProvisioning | undefined;
  const system: EmbeddedSystem = await startEmbeddedSystem(loadConfig({ FLEET_DATA_DIR: dataDir, FLEET_HTTP_PORT: '0', FLEET_MQTT_PORT: '0', FLEET_LOG_LEVEL: 'silent' }), {
    workflowTimeScale: 0.001,
    systemModules: [
      provisioningModule((p) => (provisioning = p)),
      deprovisioningModule({ disconnect: (id) => system.mqtt.broker.disconnectCertificate(id) }),
      commandsModule(),
    ],
  });
  if (!provisioning) throw new Error('the provisioning module did not start');
  return {
    system,
    provisioning,
    dataDir,
    async stop() {
      await system.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
};

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The child's environment: nothing of the test runner's FLEET_* settings leaks in. */
export const cleanEnv = (extra: Readonly<Record<string, string>>): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('FLEET_') && !k.startsWith('VITEST')) env[k] = v;
  return { ...env, NO_COLOR: '1', ...extra };
};

/** Runs `fleet` as a user would: a child process (`node --import tsx functions/cli/main.ts ...`), not a TTY. */
export const runFleet = (args: readonly string[], env: Readonly<Record<string, string>>, cwd = PROJECT_ROOT): Promise<CliRun> =>
  new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'functions/cli/main.ts'), ...args], { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });

/** The system's API address as FLEET_HTTP_HOST/PORT, the CLI's default way to find it. */
export const hostPortEnv = (url: string): Record<string, string> => {
  const { hostname, port } = new URL(url);
  return { FLEET_HTTP_HOST: hostname, FLEET_HTTP_PORT: port };
};
