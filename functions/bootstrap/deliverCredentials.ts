import { createHash } from 'node:crypto';
import { z } from 'zod';
import { BootstrapDelivery } from '../../schemas/bridge/bootstrapMessages.ts';
import { topics } from '../../schemas/topics/topics.ts';
import type { EventStore } from '../eventStore/eventStore.ts';
import type { ObjectStore } from '../objectStore/objectStore.ts';
import { ObjectNotFoundError } from '../objectStore/objectStore.ts';
import { credentialKeys } from '../provisioning/batchObjects.ts';
import type { StoredMqttCredentials } from '../provisioning/provisionDevice.ts';
import type { Clock } from '../shared/clock.ts';
import { BootstrapInput, parseTaskInput } from './bootstrapInput.ts';
import { BridgePublishFailed, type BridgePublisher } from './bootstrapPublisher.ts';
import { deviceStreamId } from './bootstrapStreams.ts';

export interface DeliverCredentialsDeps {
  readonly eventStore: Pick<EventStore, 'streamVersion'>;
  /** The encrypted credentials store provisioning wrote (`devices/<thing>/mqtt.json`). */
  readonly credentials: ObjectStore;
  readonly publish: BridgePublisher;
  /**
   * Where devices connect with these credentials: the broker's mqtts endpoint as devices reach it.
   * Asked at each delivery, since an embedded broker on an ephemeral port knows it only once it listens.
   */
  readonly brokerUri: () => string;
  /** The CA the device must trust for the broker's server certificate. */
  readonly trustAnchorPem: string;
  readonly clock: Clock;
  /**
   * The bridge starts no delivery after this many seconds (the delivery's expiresAt). Shorter than
   * the workflow's wait for the result by more than CoAP's MAX_TRANSMIT_WAIT (93 s), so a write the
   * bridge began in time is answered before the workflow gives up. Default 60.
   */
  readonly deliveryTtlSeconds?: number;
}

export const DeliverCredentialsInput = BootstrapInput.pick({ thingName: true, bridgeId: true }).extend({
  certificateId: z.string().regex(/^[0-9a-f]{64}$/, 'a certificate id is 64 lowercase hex digits'),
  /** `$$.Execution.Name`: the request id comes from it, so a retried task sends the same request. */
  executionName: z.string().min(1).max(80),
});

/** What the workflow keeps: identifiers and times, never a certificate or a key. */
export interface Delivered {
  readonly requestId: string;
  /** The device stream's version before the delivery: its result can only come after it. */
  readonly fromPosition: number;
  readonly expiresAt: string;
  readonly brokerUri: string;
}

/** Provisioning stored no credentials for the device (or they were deleted); nothing can be delivered. */
export class CredentialsMissing extends Error {
  override name = 'CredentialsMissing';
}

/** The stored credentials hold another certificate than the one the registry attaches to the thing. */
export class CredentialsMismatch extends Error {
  override name = 'CredentialsMismatch';
}

export const requestIdOf = (executionName: string): string => `bs-${createHash('sha256').update(executionName).digest('hex').slice(0, 32)}`;

const StoredCredentials = z.object({ certificateId: z.string().min(1), certificatePem: z.string().min(1), privateKeyPem: z.string().min(1) });

const readCredentials = async (store: ObjectStore, thingName: string): Promise<StoredMqttCredentials> => {
  const key = credentialKeys.mqtt(thingName);
  let bytes: Buffer;
  try {
    bytes = await store.getBytes(key);
  } catch (error) {
    if (error instanceof ObjectNotFoundError) {
      throw new CredentialsMissing(`no stored credentials for ${thingName} (${store.area}/${key}): provision the device again (re-upload its manifest row), then let it register again`);
    }
    throw error;
  }
  // Never echo the object's text in an error (JSON.parse quotes it): it holds a private key.
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    json = undefined;
  }
  const stored = StoredCredentials.safeParse(json);
  if (!stored.success) throw new CredentialsMissing(`the stored credentials of ${thingName} (${store.area}/${key}) are not certificateId + certificatePem + privateKeyPem: provision the device again`);
  return stored.data;
};

/**
 * DeliverCredentials: reads and decrypts the device's credentials and publishes them, as a
 * BootstrapDelivery, to the bridge that holds the device (`cmd/lwm2m-bridge/<bridgeId>/bootstrap/<thing>`).
 * It publishes itself, so the certificate and key never pass through the workflow: its result is a
 * request id, a stream position and times, which is all the history ever shows.
 */
export const deliverCredentials = (deps: DeliverCredentialsDeps) => {
  const ttlSeconds = deps.deliveryTtlSeconds ?? 60;
  return async (input: unknown): Promise<Delivered> => {
    const { thingName, bridgeId, certificateId, executionName } = parseTaskInput(DeliverCredentialsInput, input, 'DeliverCredentials');
    const stored = await readCredentials(deps.credentials, thingName);
    if (stored.certificateId !== certificateId) {
      throw new CredentialsMismatch(
        `the stored credentials of ${thingName} hold certificate ${stored.certificateId}, but the device's certificate is ${certificateId}: provision the device again so the two agree`,
      );
    }
    const fromPosition = await deps.eventStore.streamVersion(deviceStreamId(thingName));
    const requestId = requestIdOf(executionName);
    const brokerUri = deps.brokerUri();
    const expiresAt = new Date(deps.clock.now().getTime() + ttlSeconds * 1000).toISOString();
    const delivery = BootstrapDelivery.safeParse({
      endpoint: thingName,
      requestId,
      brokerUri,
      clientId: thingName,
      securityMode: 'certificate',
      certificatePem: stored.certificatePem,
      privateKeyPem: stored.privateKeyPem,
      trustAnchorPem: deps.trustAnchorPem,
      expiresAt,
    });
    // Issues name fields and rules, never values: safe to report.
    if (!delivery.success) throw new Error(`the bootstrap delivery for ${thingName} does not fit its contract: ${delivery.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    try {
      await deps.publish({ topic: topics.bootstrapResponse(bridgeId, thingName), payload: JSON.stringify(delivery.data) });
    } catch (error) {
      throw new BridgePublishFailed(`the delivery for ${thingName} could not be published to bridge ${bridgeId}: ${(error as Error).message}`);
    }
    return { requestId, fromPosition, expiresAt, brokerUri };
  };
};
