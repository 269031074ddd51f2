import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BridgeConfigError, bridgeDtlsFromEnv, bridgeSettingsFromEnv } from './bridgeEnv.ts';
import { NoFreeBridgeId } from './bridgeIdLease.ts';
import { startBridgeFromSettings, type StartedBridge } from './bridgeStartup.ts';
import { BridgeIdentityMissing } from './storedBridgeIdentity.ts';

/**
 * The bridge as its own process: what the ECS Fargate service runs behind a UDP load balancer
 * (ADR 0009, ADR 0012), one LwM2M server and one MQTT connection to AWS IoT Core per task.
 * Configuration comes from the environment (bridgeEnv.ts), the rest from AWS at start
 * (bridgeStartup.ts). SIGTERM (ECS stopping the task) publishes `offline`, disconnects and gives
 * the bridge id back before the process exits; losing the id's lease stops the process (exit 75),
 * and ECS starts a new task.
 */
const main = async () => {
  const settings = bridgeSettingsFromEnv(process.env, (path) => readFileSync(path, 'utf8'));
  const dtls = bridgeDtlsFromEnv(process.env);
  // Set once the bridge runs; a signal before that exits without anything to close.
  const state: { started?: StartedBridge } = {};
  let stopping = false;
  const stop = (code: number, why: string) => {
    if (stopping) {
      process.stderr.write(`${why} again: exiting now.\n`);
      process.exit(130);
    }
    stopping = true;
    if (code !== 0) process.stderr.write(`${why}: stopping the bridge.\n`);
    (state.started ? state.started.close() : Promise.resolve()).then(
      () => process.exit(code),
      (err: unknown) => {
        process.stderr.write(`the bridge did not close cleanly: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(code === 0 ? 1 : code);
      },
    );
  };
  process.on('SIGINT', () => stop(0, 'SIGINT'));
  process.on('SIGTERM', () => stop(0, 'SIGTERM'));

  const started = await startBridgeFromSettings(settings, dtls, {
    dynamo: () => DynamoDBDocumentClient.from(new DynamoDBClient({})),
    s3: () => new S3Client({}),
    iot: () => new IoTClient({}),
    holder: `${hostname()}#${randomUUID().slice(0, 8)}`,
    // EX_TEMPFAIL: nothing is wrong with the configuration; a new task will claim an id again.
    onLeaseLost: (reason) => stop(75, `lost the bridge id lease (${reason})`),
  });
  state.started = started;
  const { running } = started;
  const listening = [
    ...(running.coaps ? [`coaps://${running.coaps.address}:${running.coaps.port}`] : []),
    ...(running.coap ? [`coap://${running.coap.address}:${running.coap.port}`] : []),
    ...(started.health ? [`health http://${settings.health!.host}:${started.health.port}/health`] : []),
  ];
  process.stdout.write(`LwM2M bridge ${started.bridgeId} is running: ${listening.join(' ')} -> ${started.brokerUrl}\n`);
};

main().catch((err: unknown) => {
  const known = err instanceof BridgeConfigError || err instanceof NoFreeBridgeId || err instanceof BridgeIdentityMissing;
  process.stderr.write(`${known ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
