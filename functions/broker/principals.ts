import { bridgeIdOfThingName, BRIDGE_THING_PREFIX, isDeviceThingName } from '../../schemas/topics/topics.ts';
import { bridgePolicy, devicePolicy, EMBEDDED_ARN, type ArnContext } from '../registry/devicePolicy.ts';
import type { PolicyDocument } from '../registry/policyEvaluator.ts';

/** Who is knocking: read from the TLS client certificate, or from the CONNECT username on the plain-TCP dev listener. */
export interface PeerIdentity {
  /** The certificate's subject CN (TLS) or the MQTT username (plain TCP). */
  readonly commonName: string;
  /** SHA-256 of the client certificate, hex; absent on plain TCP. */
  readonly certificateId?: string | undefined;
  readonly transport: 'tls' | 'tcp';
}

/** A registered identity and the policies attached to it: what AWS IoT finds for a certificate. */
export interface Principal {
  readonly kind: 'device' | 'bridge';
  /** The thing the certificate is attached to; it must be the CN, and the client id must equal it. */
  readonly thingName: string;
  readonly bridgeId?: string | undefined;
  readonly policies: PolicyDocument | readonly PolicyDocument[];
}

/**
 * Answers "is this certificate registered, and to what?". Undefined means unknown: the broker
 * refuses the connection. It runs once per connection, never per message, so it may be async
 * (a registry query).
 */
export type PrincipalLookup = (identity: PeerIdentity) => Principal | undefined | Promise<Principal | undefined>;

export interface FleetPrincipalsOptions {
  /**
   * Whether the registry knows this certificate as attached to the thing named by the CN (for
   * plain TCP: whether the dev identity is allowed). The fleet registry answers; tests pass a set.
   */
  readonly isRegistered: (identity: PeerIdentity) => boolean | Promise<boolean>;
  readonly arn?: ArnContext;
}

/**
 * The standard lookup: a CN `bridge:<id>` is a bridge with its bridge policy, any other valid thing
 * name is a device with the device policy; policies are the very documents provisioning attaches
 * in AWS. Each document is built once and shared.
 */
export const fleetPrincipals = ({ isRegistered, arn = EMBEDDED_ARN }: FleetPrincipalsOptions): PrincipalLookup => {
  const device = devicePolicy(arn);
  const bridges = new Map<string, PolicyDocument>();
  return async (identity) => {
    const name = identity.commonName;
    let principal: Principal | undefined;
    if (name.startsWith(BRIDGE_THING_PREFIX)) {
      const bridgeId = bridgeIdOfThingName(name);
      if (bridgeId === undefined) return undefined;
      let policy = bridges.get(bridgeId);
      if (!policy) bridges.set(bridgeId, (policy = bridgePolicy(bridgeId, arn)));
      principal = { kind: 'bridge', thingName: name, bridgeId, policies: policy };
    } else if (isDeviceThingName(name)) {
      principal = { kind: 'device', thingName: name, policies: device };
    } else {
      return undefined;
    }
    return (await isRegistered(identity)) ? principal : undefined;
  };
};
