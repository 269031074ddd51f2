import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { acknowledgeWildcardResources } from './nagAcknowledgements.ts';
import { DEVICE_POLICY_NAME } from '../../functions/registry/devicePolicy.ts';
import type { DeviceRegistry } from '../../functions/registry/deviceRegistry.ts';

export type RegistryOperation = keyof DeviceRegistry;

/** IoT resource kinds a registry call touches; `*` where IAM offers no resource-level permission. */
type IotResource = 'thing' | 'thingtype' | 'cert' | 'thinggroup' | 'devicePolicy' | '*';

/** Some IoT actions on some resources. */
interface Access {
  readonly actions: readonly string[];
  readonly on: readonly IotResource[];
}

const on = (resources: readonly IotResource[], ...actions: string[]): Access => ({ actions, on: resources });

/**
 * The IoT API actions each port operation of the AWS registry adapter calls
 * (functions/registry/awsIotDeviceRegistry.ts, named in its method comments), and the resources
 * they act on. A role gets exactly the operations its task uses; a new call in the adapter needs
 * its line here, or the step fails with AccessDenied on its first run.
 */
export const REGISTRY_IAM: Record<RegistryOperation, readonly Access[]> = {
  ensureThing: [on(['thing', 'thingtype'], 'iot:DescribeThing', 'iot:CreateThing', 'iot:UpdateThing')],
  ensurePolicy: [on(['devicePolicy'], 'iot:GetPolicy', 'iot:CreatePolicy', 'iot:CreatePolicyVersion', 'iot:ListPolicyVersions', 'iot:DeletePolicyVersion')],
  // CreateKeysAndCertificate has no resource type in IAM; a certificate the adapter could not finish is deleted.
  createKeysAndCertificate: [on(['*'], 'iot:CreateKeysAndCertificate'), on(['cert'], 'iot:UpdateCertificate', 'iot:DeleteCertificate')],
  attachPolicy: [on(['cert', 'devicePolicy'], 'iot:AttachPolicy')],
  attachThingPrincipal: [on(['cert', 'thing'], 'iot:AttachThingPrincipal')],
  ensureThingGroup: [on(['thinggroup'], 'iot:DescribeThingGroup', 'iot:CreateThingGroup')],
  addThingToGroup: [on(['thing', 'thinggroup'], 'iot:AddThingToThingGroup')],
  removeThingFromGroups: [on(['thing', 'thinggroup'], 'iot:ListThingGroupsForThing', 'iot:RemoveThingFromThingGroup')],
  describeThing: [on(['thing'], 'iot:DescribeThing', 'iot:ListThingGroupsForThing', 'iot:ListThingPrincipals')],
  deactivateCertificate: [on(['cert'], 'iot:UpdateCertificate')],
  detachPolicy: [on(['cert', 'devicePolicy'], 'iot:DetachPolicy')],
  detachThingPrincipal: [on(['cert', 'thing'], 'iot:DetachThingPrincipal')],
  deleteCertificate: [on(['cert'], 'iot:DeleteCertificate')],
  deleteThing: [on(['thing'], 'iot:DeleteThing')],
  // ListPrincipalThings (is the certificate attached to another thing?) has no resource type in IAM.
  certificateStatus: [on(['cert'], 'iot:DescribeCertificate'), on(['*'], 'iot:ListPrincipalThings')],
};

/** The IoT actions IAM only grants on Resource "*" (no resource type in the Service Authorization Reference). */
export const IOT_STAR_ACTIONS: readonly string[] = Object.values(REGISTRY_IAM)
  .flat()
  .filter((a) => a.on.includes('*'))
  .flatMap((a) => a.actions);

const resourceArn = (scope: IConstruct, kind: Exclude<IotResource, '*'>): string => {
  const stack = Stack.of(scope);
  const resourceName = kind === 'devicePolicy' ? `policy/${DEVICE_POLICY_NAME}` : `${kind}/*`;
  return stack.formatArn({ service: 'iot', resource: resourceName });
};

/**
 * Grants the IAM actions of these registry operations, one statement per resource set, so the
 * policy reads as "these calls on things, these on certificates". Thing, certificate and group
 * names are data (manifest rows), so their ARNs end in `/*`: the fleet is the resource.
 */
export const grantRegistry = (grantee: iam.Role, operations: readonly RegistryOperation[]): void => {
  const bySet = new Map<string, { resources: string[]; actions: Set<string> }>();
  const add = (resources: string[], actions: readonly string[]) => {
    const key = resources.join(' ');
    const entry = bySet.get(key) ?? { resources, actions: new Set<string>() };
    for (const a of actions) entry.actions.add(a);
    bySet.set(key, entry);
  };
  for (const op of new Set(operations)) {
    for (const access of REGISTRY_IAM[op]) {
      if (access.on.includes('*')) add(['*'], access.actions);
      else add(access.on.map((k) => resourceArn(grantee, k as Exclude<IotResource, '*'>)), access.actions);
    }
  }
  for (const { resources, actions } of bySet.values()) {
    iam.Grant.addToPrincipal({ grantee, actions: [...actions].sort(), resourceArns: resources });
    const sorted = [...actions].sort().join(', ');
    acknowledgeWildcardResources(
      grantee,
      resources,
      resources.includes('*')
        ? `${sorted}: IAM has no resource type for these actions (Service Authorization Reference), so "*" is the only resource they can be granted on.`
        : `${sorted} on any thing, certificate, group or thing type of this account and region: device names come from manifests, so the fleet is the resource. The device policy is named exactly.`,
    );
  }
};
