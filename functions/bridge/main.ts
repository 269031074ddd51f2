import { readFileSync } from 'node:fs';
import { S3Client } from '@aws-sdk/client-s3';
import { createS3ObjectStore } from '../objectStore/s3ObjectStore.ts';
import { BridgeConfigError, bridgeDtlsFromEnv, bridgeOptionsFromEnv } from './bridgeEnv.ts';
import { startStandaloneBridge } from './standaloneBridge.ts';

/**
 * The bridge as its own process: what the ECS Fargate service runs behind a UDP load balancer
 * (ADR 0009), one LwM2M server and one MQTT connection to AWS IoT Core per task. Configuration
 * comes from the environment (bridgeEnv.ts); SIGTERM (ECS stopping the task) publishes `offline`
 * and disconnects before the process exits.
 */
const main = async () => {
  const options = bridgeOptionsFromEnv(process.env, (path) => readFileSync(path, 'utf8'));
  const dtls = bridgeDtlsFromEnv(process.env);
  // Read-only: the bucket is SSE-KMS, which S3 decrypts for the task role (no key id needed to read).
  const credentials = dtls && createS3ObjectStore({ client: new S3Client({}), bucket: dtls.credentialsBucket });
  const running = await startStandaloneBridge(options, dtls && credentials && { ...dtls, credentials });
  const listening = [
    ...(running.coaps ? [`coaps://${running.coaps.address}:${running.coaps.port}`] : []),
    ...(running.coap ? [`coap://${running.coap.address}:${running.coap.port}`] : []),
  ];
  process.stdout.write(`LwM2M bridge ${running.bridge.bridgeId} is running: ${listening.join(' ')} -> ${options.mqtt.url}\n`);

  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      process.stderr.write(`${signal} again: exiting now.\n`);
      process.exit(130);
    }
    running.close().then(
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
