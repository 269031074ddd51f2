import { fleetPrincipals, type PeerIdentity, type PrincipalLookup } from '../broker/principals.ts';
import { EMBEDDED_ARN, type ArnContext } from './devicePolicy.ts';
import type { CertificateStatusResult } from './deviceRegistry.ts';

/**
 * The broker's "is this certificate registered, and to what?" answered from the registry, in the
 * shape `fleetPrincipals` expects: it decides device vs bridge and the policy from the CN, and asks
 * `isRegistered` whether the registry backs that identity. Registered means what AWS IoT Core checks
 * at connect: the certificate is ACTIVE, and it is attached to the thing the CN names (the policies'
 * `${iot:Connection.Thing.ThingName}` resolves to that thing, and IsAttached must be true).
 */

export interface FleetLookupSource {
  /** Unthrottled: the broker asks once per connection, and AWS IoT Core's own check is no API call. */
  certificateStatus(certificateId: string): CertificateStatusResult | undefined | Promise<CertificateStatusResult | undefined>;
  thingExists(thingName: string): boolean | Promise<boolean>;
}

export interface FleetLookupOptions {
  readonly arn?: ArnContext;
  /**
   * The plain-TCP development listener has no certificate, so the registry cannot vouch for it.
   * `refuse` (default): no such connection is registered. `known-thing`: the CONNECT username is
   * accepted when a thing (or bridge thing) of that name exists; for development fleets only.
   */
  readonly plainTcp?: 'refuse' | 'known-thing';
}

const CERTIFICATE_ID = /^[0-9a-f]{64}$/;

export const registryFleetLookup = (source: FleetLookupSource, options: FleetLookupOptions = {}): PrincipalLookup => {
  const { arn = EMBEDDED_ARN, plainTcp = 'refuse' } = options;
  const isRegistered = async (identity: PeerIdentity): Promise<boolean> => {
    if (identity.certificateId === undefined) {
      return identity.transport === 'tcp' && plainTcp === 'known-thing' && (await source.thingExists(identity.commonName));
    }
    // A malformed id is simply unknown: refusing it is the answer, not a lookup failure to retry.
    if (!CERTIFICATE_ID.test(identity.certificateId)) return false;
    const status = await source.certificateStatus(identity.certificateId);
    return status !== undefined && status.status === 'ACTIVE' && status.thingNames.includes(identity.commonName);
  };
  return fleetPrincipals({ isRegistered, arn });
};
