import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeviceDirectory } from '../directory/deviceDirectory.ts';
import { createDynamoDeviceDirectory } from '../directory/dynamoDeviceDirectory.ts';
import type { DeviceStatusOf } from '../dtls/devicePskLookup.ts';
import { amazonRootCa1Pem } from '../lambda/amazonTrustAnchor.ts';
import { iotDataEndpoint, type IotEndpointSender } from '../lambda/iotDataEndpoint.ts';
import { consoleLog, type Lwm2mLog } from '../lwm2m/log.ts';
import { createS3ObjectStore } from '../objectStore/s3ObjectStore.ts';
import type { ObjectStore } from '../objectStore/objectStore.ts';
import type { BridgeDtlsSettings, BridgeSettings } from './bridgeEnv.ts';
import { BridgeConfigError } from './bridgeEnv.ts';
import { claimBridgeId, type BridgeIdLease } from './bridgeIdLease.ts';
import { startHealthServer, type HealthServer } from './healthServer.ts';
import { startStandaloneBridge, type StandaloneBridge } from './standaloneBridge.ts';
import { readStoredBridgeIdentity } from './storedBridgeIdentity.ts';

/** A device's status from the directory projection; a device not (yet) in it is unknown, so refused. */
const directoryStatusOf =
  (directory: DeviceDirectory): DeviceStatusOf =>
  async (thingName) =>
    (await directory.get(thingName))?.status;

/** The AWS clients the start may need, made only when the settings need them. */
export interface BridgeStartupDeps {
  readonly dynamo: () => DynamoDBDocumentClient;
  readonly s3: () => S3Client;
  readonly iot: () => IotEndpointSender;
  /** This process among the tasks that share a pool (for the lease). */
  readonly holder: string;
  readonly log?: Lwm2mLog;
  /** The lease was lost: the process must stop, or two tasks would connect as one bridge. */
  readonly onLeaseLost: (reason: string) => void;
}

export interface StartedBridge {
  readonly bridgeId: string;
  readonly brokerUrl: string;
  readonly running: StandaloneBridge;
  readonly health?: HealthServer;
  readonly lease?: BridgeIdLease;
  /** `offline`, disconnect, LwM2M server, health endpoint, then the lease back to the pool. */
  close(): Promise<void>;
}

/**
 * What main.ts runs: resolves what the environment left to AWS, in this order, and starts the
 * bridge. (1) the bridge id: fixed, or a free one of the pool claimed on the lease table; (2) its
 * certificate and key, from `bridges/<id>/mqtt.json` in the credentials bucket unless given; (3)
 * the broker, the account's IoT data endpoint unless given, trusting Amazon Root CA 1 unless told
 * otherwise; then the LwM2M server (DTLS when configured) and the health endpoint. A failure after
 * the claim gives the id back, so a task that cannot start does not hold it for a lease.
 */
export const startBridgeFromSettings = async (settings: BridgeSettings, dtls: BridgeDtlsSettings | undefined, deps: BridgeStartupDeps): Promise<StartedBridge> => {
  const log = deps.log ?? consoleLog;
  let lease: BridgeIdLease | undefined;
  if ('pool' in settings.identity) {
    const poolSize = settings.identity.pool.length;
    lease = await claimBridgeId({
      client: deps.dynamo(),
      tableName: settings.identity.leaseTable,
      pool: settings.identity.pool,
      holder: deps.holder,
      onLost: (reason) => deps.onLeaseLost(reason),
      onWaiting: (pass) => log.warn({ pass, pool: poolSize }, 'every bridge id of the pool is held; waiting for one to come free'),
      onRenewalError: (error) => log.warn({ err: error }, 'renewing the bridge id lease failed; trying again at the next renewal'),
    });
    log.info({ bridgeId: lease.bridgeId, holder: deps.holder }, 'claimed a bridge id from the pool');
  }
  const bridgeId = lease?.bridgeId ?? ('bridgeId' in settings.identity ? settings.identity.bridgeId : '');
  const opened: { close(): Promise<void> }[] = [];
  try {
    const bucket = settings.credentialsBucket ?? dtls?.credentialsBucket;
    let credentials: ObjectStore | undefined;
    const credentialsStore = () => {
      if (bucket === undefined) throw new BridgeConfigError('CREDENTIALS_BUCKET is not set');
      // Read-only: the bucket is SSE-KMS, which S3 decrypts for the task role (no key id needed to read).
      return (credentials ??= createS3ObjectStore({ client: deps.s3(), bucket }));
    };
    let certificate = settings.mqtt.certificate;
    if (certificate === undefined) {
      const stored = await readStoredBridgeIdentity(credentialsStore(), bridgeId);
      certificate = { cert: stored.certificatePem, key: stored.privateKeyPem };
    }
    const brokerUrl = settings.mqtt.url ?? `mqtts://${await iotDataEndpoint(deps.iot()).resolve()}:${settings.mqtt.port}`;
    const running = await startStandaloneBridge(
      {
        bridgeId,
        mqtt: { url: brokerUrl, ca: settings.mqtt.ca ?? amazonRootCa1Pem(), cert: certificate.cert, key: certificate.key },
        lwm2m: settings.lwm2m,
        log,
        ...(settings.lwm2mEndpoints === undefined ? {} : { lwm2mEndpoints: settings.lwm2mEndpoints }),
      },
      dtls && {
        ...dtls,
        credentials: credentialsStore(),
        // A suspended or deprovisioned device is refused at the handshake; without the table, the stored PSK alone decides.
        ...(settings.directoryTable === undefined ? {} : { deviceStatus: directoryStatusOf(createDynamoDeviceDirectory({ client: deps.dynamo(), tableName: settings.directoryTable })) }),
      },
    );
    opened.push(running);
    const health =
      settings.health &&
      (await startHealthServer({
        ...settings.health,
        check: () => {
          const { mqtt, held } = running.bridge.stats();
          return {
            healthy: mqtt.connected && (lease === undefined || lease.expiresAt() > Date.now()),
            detail: { bridgeId, mqtt: mqtt.connected ? 'connected' : 'disconnected', registrations: held, ...(lease ? { leaseExpiresAt: new Date(lease.expiresAt()).toISOString() } : {}) },
          };
        },
      }));
    return {
      bridgeId,
      brokerUrl,
      running,
      ...(health ? { health } : {}),
      ...(lease ? { lease } : {}),
      close: async () => {
        try {
          await running.close();
          await health?.close();
        } finally {
          await lease?.release();
        }
      },
    };
  } catch (error) {
    for (const o of opened.reverse()) await o.close().catch(() => undefined);
    await lease?.release().catch(() => undefined);
    throw error;
  }
};
