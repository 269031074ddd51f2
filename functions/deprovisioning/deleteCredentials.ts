import { z } from 'zod';
import { ThingName } from '../../events/catalog/common.ts';
import type { ObjectStore } from '../objectStore/objectStore.ts';
import { credentialKeys } from '../provisioning/batchObjects.ts';
import { parseDeprovisioningInput } from './deprovisioningInput.ts';

export interface DeleteCredentialsDeps {
  readonly credentials: ObjectStore;
}

export const DeleteCredentialsInput = z.object({ thingName: ThingName });

/**
 * DeleteCredentials: the stored MQTT certificate + key and the LwM2M PSK, so bootstrap has nothing
 * left to deliver. Deleting a missing object succeeds (the port's rule), so a rerun is harmless.
 */
export const deleteCredentials =
  (deps: DeleteCredentialsDeps) =>
  async (input: unknown): Promise<{ deletedKeys: readonly string[] }> => {
    const { thingName } = parseDeprovisioningInput(DeleteCredentialsInput, input, 'DeleteCredentials');
    const keys = [credentialKeys.mqtt(thingName), credentialKeys.psk(thingName)];
    const present: string[] = [];
    for (const key of keys) {
      if (await deps.credentials.head(key)) present.push(key);
      await deps.credentials.delete(key);
    }
    return { deletedKeys: present };
  };
