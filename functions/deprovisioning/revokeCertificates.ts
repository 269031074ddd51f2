import { z } from 'zod';
import { ThingName } from '../../events/catalog/common.ts';
import type { DeviceRegistry } from '../registry/deviceRegistry.ts';
import { CertificateIds, parseDeprovisioningInput } from './deprovisioningInput.ts';

/**
 * Drops live MQTT connections that authenticated with a certificate; returns how many it closed.
 * Embedded: the broker's disconnectCertificate. AWS IoT Core re-checks a revoked certificate on
 * its own, so there it is a no-op.
 */
export type DisconnectCertificate = (certificateId: string) => Promise<number>;

export const noDisconnect: DisconnectCertificate = () => Promise.resolve(0);

export interface RevokeCertificatesDeps {
  readonly registry: DeviceRegistry;
  readonly disconnect?: DisconnectCertificate;
}

export const RevokeCertificatesInput = z.object({ thingName: ThingName, certificateIds: CertificateIds });

/**
 * RevokeCertificates: REVOKED first, before anything is detached, so from this step on the device
 * cannot connect again (the broker asks the registry at every CONNECT); then its live connections
 * are dropped. REVOKED, not INACTIVE: the device keeps its private key after it leaves the fleet.
 */
export const revokeCertificates =
  (deps: RevokeCertificatesDeps) =>
  async (input: unknown): Promise<{ revoked: readonly string[]; disconnected: number }> => {
    const { certificateIds } = parseDeprovisioningInput(RevokeCertificatesInput, input, 'RevokeCertificates');
    const disconnect = deps.disconnect ?? noDisconnect;
    const revoked: string[] = [];
    let disconnected = 0;
    for (const certificateId of certificateIds) {
      // A rerun after DetachAndDelete finds the certificate gone: nothing is left to revoke.
      if ((await deps.registry.certificateStatus(certificateId)) === undefined) continue;
      await deps.registry.deactivateCertificate(certificateId, { status: 'REVOKED' });
      revoked.push(certificateId);
      disconnected += await disconnect(certificateId);
    }
    return { revoked, disconnected };
  };
