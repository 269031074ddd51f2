import { ConfigError, loadConfig } from './config.ts';
import { deprovisioningModule } from './modules/deprovisioning.ts';
import { provisioningModule } from './modules/provisioning.ts';
import { startEmbeddedSystem } from './system.ts';

/** `npm start`: the whole system on this machine with embedded defaults. */
const main = async () => {
  const config = loadConfig();
  const runtime = await startEmbeddedSystem(config, {
    // A deprovisioned device's live MQTT connections are dropped at once, not at its next connect.
    systemModules: [provisioningModule(), deprovisioningModule({ disconnect: (id) => runtime.mqtt.broker.disconnectCertificate(id) })],
  });
  const lines = Object.entries(runtime.endpoints).map(([k, v]) => `  ${k.padEnd(12)} ${v}`);
  process.stdout.write(`\nLwM2M fleet backend (embedded) is running\n${lines.join('\n')}\n  health       ${runtime.url}/health\n\nCtrl-C stops it cleanly.\n`);

  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      process.stderr.write(`${signal} again: exiting now.\n`);
      process.exit(130);
    }
    runtime.log.info({ signal }, 'shutting down');
    runtime.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        runtime.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
};

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
