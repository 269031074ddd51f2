import { z } from 'zod';
import { ThingName } from '../../events/catalog/common.ts';
import { DEVICE_POLICY_NAME } from '../registry/devicePolicy.ts';
import type { DeviceRegistry } from '../registry/deviceRegistry.ts';
import { CertificateIds, parseDeprovisioningInput } from './deprovisioningInput.ts';

export interface DetachAndDeleteDeps {
  readonly registry: DeviceRegistry;
  /** The policies provisioning attaches (the port cannot list a certificate's policies). */
  readonly policyNames?: readonly string[];
}

export const DetachAndDeleteInput = z.object({ thingName: ThingName, certificateIds: CertificateIds });

/**
 * DetachAndDelete, in the order the registry port prescribes: per certificate detachPolicy →
 * detachThingPrincipal → deleteCertificate, then removeThingFromGroups → deleteThing. Every call
 * succeeds when there is nothing left to remove, so the state's Retry can run it again from the top.
 * On AWS the detach propagates within seconds: until then deleteCertificate and deleteThing throw
 * DeleteConflictException, which the state retries with backoff.
 */
export const detachAndDelete =
  (deps: DetachAndDeleteDeps) =>
  async (input: unknown): Promise<{ deletedCertificates: readonly string[]; removedFromGroups: readonly string[]; thingDeleted: boolean }> => {
    const { thingName, certificateIds } = parseDeprovisioningInput(DetachAndDeleteInput, input, 'DetachAndDelete');
    const policyNames = deps.policyNames ?? [DEVICE_POLICY_NAME];
    for (const certificateId of certificateIds) {
      if ((await deps.registry.certificateStatus(certificateId)) === undefined) continue;
      for (const policyName of policyNames) await deps.registry.detachPolicy(policyName, certificateId);
      await deps.registry.detachThingPrincipal(thingName, certificateId);
      await deps.registry.deleteCertificate(certificateId);
    }
    const thing = await deps.registry.describeThing(thingName);
    if (!thing) return { deletedCertificates: certificateIds, removedFromGroups: [], thingDeleted: false };
    const { removedFrom } = await deps.registry.removeThingFromGroups(thingName);
    await deps.registry.deleteThing(thingName);
    return { deletedCertificates: certificateIds, removedFromGroups: removedFrom, thingDeleted: true };
  };
