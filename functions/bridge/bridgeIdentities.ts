import { bridgeThingName, isBridgeId } from '../../schemas/topics/topics.ts';
import type { ObjectStore } from '../objectStore/objectStore.ts';
import { credentialKeys } from '../provisioning/batchObjects.ts';
import { bridgePolicy, bridgePolicyName, type ArnContext } from '../registry/devicePolicy.ts';
import type { DeviceRegistry, EnsureOutcome } from '../registry/deviceRegistry.ts';
import { createBridgeIdentity } from '../registry/bridgeIdentity.ts';
import { BridgeIdentityMissing, readStoredBridgeIdentity, writeStoredBridgeIdentity } from './storedBridgeIdentity.ts';

/**
 * Makes sure every bridge id of the pool has a usable identity: a certificate that AWS IoT (or the
 * embedded registry) accepts for `bridge:<id>`, with its key in the credentials area where the
 * bridge task reads it. Run at every deploy (the BridgeIdentities custom resource), so it changes
 * only what is not usable, and a run cut short is finished by the next one.
 */

/** Why an identity was (re)issued. */
export type IssueReason =
  /** No object at `bridges/<id>/mqtt.json`. */
  | 'missing'
  /** The object is not JSON, not an identity, or names another bridge. */
  | 'unreadable'
  /** The stored certificate is unknown to the registry, INACTIVE or REVOKED: the bridge could not connect with it. */
  | 'certificate-not-active'
  /** The stored certificate is ACTIVE but not attached to `bridge:<id>` alone: AWS IoT would not let it act as that thing. */
  | 'certificate-not-attached';

export type BridgeIdentityResult =
  | {
      readonly bridgeId: string;
      readonly outcome: 'unchanged';
      readonly certificateId: string;
      /** The bridge policy is kept at the current document even when the identity is left as it is. */
      readonly policy: EnsureOutcome;
    }
  | {
      readonly bridgeId: string;
      readonly outcome: 'created';
      readonly reason: IssueReason;
      readonly certificateId: string;
      /**
       * The certificate the stored identity named, when it could be read. It is left as it is (a task
       * may still be connected with it); revoke it once the bridge runs on the new one.
       */
      readonly previousCertificateId?: string;
    };

/** The step of one id that failed, as the error names it. */
export type BridgeIdentityStep = 'read-stored-identity' | 'check-certificate' | 'update-policy' | 'issue-identity' | 'store-identity';

/** One id failed; the ids before it are done (in `done`) and a rerun starts from where this stopped. */
export class BridgeIdentitiesFailed extends Error {
  override name = 'BridgeIdentitiesFailed';
  constructor(
    message: string,
    readonly bridgeId: string,
    readonly step: BridgeIdentityStep,
    readonly done: readonly BridgeIdentityResult[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface EnsureBridgeIdentitiesInput {
  readonly registry: DeviceRegistry;
  /** The credentials area (SSE-KMS on AWS, encrypted folder embedded). */
  readonly credentials: ObjectStore;
  /** Account and region the bridge policies name. */
  readonly arn: ArnContext;
  readonly bridgeIds: readonly string[];
  /** Checked before each id and before issuing: once aborted, nothing new is started (an issued identity is still stored). */
  readonly signal?: AbortSignal;
  /** Each id's result as soon as it is known, so a run cut short has logged what it did. */
  readonly onResult?: (result: BridgeIdentityResult) => void;
}

/** Bridge ids as the pool names them: valid, unique, in the order given. */
export const checkBridgeIds = (bridgeIds: readonly unknown[]): string[] => {
  const bad = bridgeIds.filter((id) => typeof id !== 'string' || !isBridgeId(id));
  if (bad.length > 0) {
    throw new Error(
      `Bridge ids ${bad.map((id) => JSON.stringify(id)).join(', ')} are not valid: use lower-case letters, digits and '-', 1 to 63 characters, starting with a letter or digit (like aws-1).`,
    );
  }
  const ids = bridgeIds as string[];
  const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (repeated.length > 0) throw new Error(`Bridge ids ${[...new Set(repeated)].join(', ')} are listed twice: list each pool id once.`);
  return ids;
};

const messageOf = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

type Verdict =
  | { readonly usable: true; readonly certificateId: string }
  | { readonly usable: false; readonly reason: IssueReason; readonly previousCertificateId?: string };

export const ensureBridgeIdentities = async (input: EnsureBridgeIdentitiesInput): Promise<BridgeIdentityResult[]> => {
  const { registry, credentials, arn } = input;
  const bridgeIds = checkBridgeIds(input.bridgeIds);
  const done: BridgeIdentityResult[] = [];

  for (const bridgeId of bridgeIds) {
    input.signal?.throwIfAborted();
    const thingName = bridgeThingName(bridgeId);
    const key = `${credentials.area}/${credentialKeys.bridge(bridgeId)}`;
    const doneSoFar = () => (done.length === 0 ? 'no id was done before it' : `${done.map((r) => r.bridgeId).join(', ')} are done`);
    const fail = (step: BridgeIdentityStep, what: string, error: unknown): never => {
      throw new BridgeIdentitiesFailed(`Bridge identity ${bridgeId} failed at ${step} (${what}): ${messageOf(error)}. ${doneSoFar()}; deploy again (or update the stack) to continue.`, bridgeId, step, [...done], {
        cause: error,
      });
    };

    const verdict: Verdict = await (async (): Promise<Verdict> => {
      let stored;
      try {
        if ((await credentials.head(credentialKeys.bridge(bridgeId))) === undefined) return { usable: false, reason: 'missing' };
        stored = await readStoredBridgeIdentity(credentials, bridgeId);
      } catch (error) {
        // Only a damaged object means "issue a new one": a read that failed (permissions, KMS,
        // network) must not rotate a working identity, so it fails the run instead.
        if (error instanceof BridgeIdentityMissing) return { usable: false, reason: 'unreadable' };
        return fail('read-stored-identity', `reading ${key}`, error);
      }
      let status;
      try {
        status = await registry.certificateStatus(stored.certificateId);
      } catch (error) {
        return fail('check-certificate', `certificate ${stored.certificateId}`, error);
      }
      const previous = { previousCertificateId: stored.certificateId };
      if (status?.status !== 'ACTIVE') return { usable: false, reason: 'certificate-not-active', ...previous };
      if (status.thingNames.length !== 1 || status.thingNames[0] !== thingName) return { usable: false, reason: 'certificate-not-attached', ...previous };
      return { usable: true, certificateId: stored.certificateId };
    })();

    if (verdict.usable) {
      // The policy document may have changed since the identity was issued (a new release): bring
      // it up to date, and make sure it is still attached. Both calls are idempotent.
      let policy: EnsureOutcome;
      const policyName = bridgePolicyName(bridgeId);
      try {
        policy = (await registry.ensurePolicy(policyName, bridgePolicy(bridgeId, arn))).outcome;
        await registry.attachPolicy(policyName, verdict.certificateId);
      } catch (error) {
        return fail('update-policy', `policy ${policyName}`, error);
      }
      const result: BridgeIdentityResult = { bridgeId, outcome: 'unchanged', certificateId: verdict.certificateId, policy };
      done.push(result);
      input.onResult?.(result);
      continue;
    }

    // Checked again here: the reads above may have outlasted the time, and nothing is made yet.
    input.signal?.throwIfAborted();
    let issued;
    try {
      issued = await createBridgeIdentity(registry, bridgeId, arn);
    } catch (error) {
      return fail('issue-identity', `thing ${thingName}, its policy and a new certificate`, error);
    }
    try {
      // At once: the private key exists only in `issued`, and the registry never returns it again.
      await writeStoredBridgeIdentity(credentials, {
        bridgeId,
        certificateId: issued.certificateId,
        certificatePem: issued.certificatePem,
        privateKeyPem: issued.privateKeyPem,
      });
    } catch (error) {
      return fail(
        'store-identity',
        `writing ${key}; certificate ${issued.certificateId} is attached to ${thingName} with no stored key, revoke it`,
        error,
      );
    }
    const result: BridgeIdentityResult = {
      bridgeId,
      outcome: 'created',
      reason: verdict.reason,
      certificateId: issued.certificateId,
      ...(verdict.previousCertificateId === undefined ? {} : { previousCertificateId: verdict.previousCertificateId }),
    };
    done.push(result);
    input.onResult?.(result);
  }
  return done;
};

/** Counts for CloudFormation's Data and the log. */
export const countBridgeIdentities = (results: readonly BridgeIdentityResult[]) => ({
  Total: results.length,
  Created: results.filter((r) => r.outcome === 'created').length,
  Unchanged: results.filter((r) => r.outcome === 'unchanged').length,
});

/** One line per run: "aws-1 unchanged; aws-2 created (missing)". */
export const describeBridgeIdentities = (results: readonly BridgeIdentityResult[]): string =>
  results.length === 0 ? 'no bridge ids' : results.map((r) => (r.outcome === 'created' ? `${r.bridgeId} created (${r.reason})` : `${r.bridgeId} unchanged`)).join('; ');
