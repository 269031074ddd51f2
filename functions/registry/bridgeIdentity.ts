import { bridgeThingName } from '../../schemas/topics/topics.ts';
import { bridgePolicy, bridgePolicyName, EMBEDDED_ARN, type ArnContext } from './devicePolicy.ts';
import type { DeviceRegistry, NewCertificate } from './deviceRegistry.ts';

export interface BridgeIdentity extends NewCertificate {
  readonly bridgeId: string;
  /** `bridge:<bridgeId>`: the thing, the MQTT client id and (embedded) the certificate's CN. */
  readonly thingName: string;
  readonly policyName: string;
}

/**
 * Registers a bridge as AWS IoT knows one: the thing `bridge:<bridgeId>`, its own policy
 * (bridgePolicy: its bridge topics, every device's command topics, its own bootstrap topic), and a
 * new certificate attached to both. Every step but the certificate is idempotent; each call issues
 * a new certificate (a rotation), and the earlier ones stay valid until they are revoked.
 *
 * The private key is in the result only: the caller hands it to the bridge process and keeps no copy.
 */
export const createBridgeIdentity = async (registry: DeviceRegistry, bridgeId: string, arn: ArnContext = EMBEDDED_ARN): Promise<BridgeIdentity> => {
  const thingName = bridgeThingName(bridgeId);
  const policyName = bridgePolicyName(bridgeId);
  await registry.ensureThing({ thingName, attributes: { role: 'lwm2m-bridge' } });
  await registry.ensurePolicy(policyName, bridgePolicy(bridgeId, arn));
  const certificate = await registry.createKeysAndCertificate({ thingName });
  await registry.attachPolicy(policyName, certificate.certificateId);
  await registry.attachThingPrincipal(thingName, certificate.certificateId);
  return { ...certificate, bridgeId, thingName, policyName };
};
