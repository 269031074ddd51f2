import { readFileSync } from 'node:fs';
import { startBridge } from './bridge.ts';
import { BridgeConfigError, bridgeOptionsFromEnv } from './bridgeEnv.ts';

/**
 * The bridge as its own process: what the ECS Fargate service runs behind a UDP load balancer
 * (ADR 0009), one LwM2M server and one MQTT connection to AWS IoT Core per task. Configuration
 * comes from the environment (bridgeEnv.ts); SIGTERM (ECS stopping the task) publishes `offline`
 * and disconnects before the process exits.
 */
const main = async () => {
  const options = bridgeOptionsFromEnv(process.env, (path) => readFileSync(path, 'utf8'));
  const bridge = await startBridge(options);
  const { address, port } = bridge.server.address();
  process.stdout.write(`LwM2M bridge ${bridge.bridgeId} is running: coap://${address}:${port} -> ${options.mqtt.url}\n`);

  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      process.stderr.write(`${signal} again: exiting now.\n`);
      process.exit(130);
    }
    bridge.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`the bridge did not close cleanly: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
};

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof BridgeConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
