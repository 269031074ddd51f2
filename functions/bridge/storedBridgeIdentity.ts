import { z } from 'zod';
import { BRIDGE_ID_PATTERN } from '../../schemas/topics/topics.ts';
import { ObjectNotFoundError, type ObjectStore } from '../objectStore/objectStore.ts';
import { credentialKeys } from '../provisioning/batchObjects.ts';

/**
 * A bridge identity as the credentials area keeps it (`bridges/<id>/mqtt.json`): written once per
 * pool id at deploy (functions/bridge/bridgeIdentities.ts, a CloudFormation custom resource), read
 * by the Fargate task that claims that id (functions/bridge/main.ts). On AWS the bucket is SSE-KMS.
 */
export const StoredBridgeIdentity = z.object({
  bridgeId: z.string().regex(BRIDGE_ID_PATTERN),
  /** AWS IoT's certificate id (SHA-256 of the DER, lowercase hex). */
  certificateId: z.string().regex(/^[0-9a-f]{64}$/),
  certificatePem: z.string().regex(/-----BEGIN CERTIFICATE-----/),
  privateKeyPem: z.string().regex(/-----BEGIN [A-Z ]*PRIVATE KEY-----/),
});
export type StoredBridgeIdentity = z.infer<typeof StoredBridgeIdentity>;

export const writeStoredBridgeIdentity = (credentials: ObjectStore, identity: StoredBridgeIdentity): Promise<unknown> =>
  credentials.put(credentialKeys.bridge(identity.bridgeId), JSON.stringify(StoredBridgeIdentity.parse(identity)), { contentType: 'application/json' });

/** Thrown when the identity is missing or unreadable; the message says what to do, never quotes the object. */
export class BridgeIdentityMissing extends Error {
  override name = 'BridgeIdentityMissing';
}

/** The identity of `bridgeId`, checked; a missing or damaged object is a BridgeIdentityMissing naming the key. */
export const readStoredBridgeIdentity = async (credentials: ObjectStore, bridgeId: string): Promise<StoredBridgeIdentity> => {
  const key = credentialKeys.bridge(bridgeId);
  let text: string;
  try {
    text = (await credentials.getBytes(key)).toString('utf8');
  } catch (error) {
    if (error instanceof ObjectNotFoundError) {
      throw new BridgeIdentityMissing(
        `${credentials.area}/${key} does not exist: the bridge identity ${bridgeId} was never created. Deploy the stack again (its BridgeIdentities resource creates one per pool id).`,
      );
    }
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BridgeIdentityMissing(`${credentials.area}/${key} is not JSON: delete it and deploy again to issue a new identity.`);
  }
  const checked = StoredBridgeIdentity.safeParse(parsed);
  if (!checked.success || checked.data.bridgeId !== bridgeId) {
    const fields = checked.success ? 'bridgeId' : checked.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new BridgeIdentityMissing(`${credentials.area}/${key} is not a bridge identity for ${bridgeId} (check ${fields}): delete it and deploy again to issue a new identity.`);
  }
  return checked.data;
};
