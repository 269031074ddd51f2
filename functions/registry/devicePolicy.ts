import {
  BRIDGE_APP,
  CMD,
  DEVICE_APP,
  DEVICE_DATA_TYPES,
  DT,
  assertBridgeId,
  bridgeThingName,
} from '../../schemas/topics/topics.ts';
import { POLICY_VERSION, type PolicyDocument } from './policyEvaluator.ts';

/**
 * The IoT policies of devices and bridges: one definition, attached to certificates in AWS and
 * enforced by the embedded broker through policyEvaluator.ts.
 *
 * Least privilege, per AWS's policy-variable guidance: one policy for every device, with
 * `${iot:Connection.Thing.ThingName}` standing for the thing the certificate is attached to, so
 * a device connects only under its own thing name (the client id must equal it), publishes only
 * its own data and its own command responses, and subscribes to / receives only its own command
 * requests. `iot:Connection.Thing.IsAttached` is required on every statement: a certificate that
 * is not attached to a thing gets nothing. No statement uses `iot:*` or a bare `*` resource.
 */

/** Where the policy's ARNs point. The embedded broker uses EMBEDDED_ARN; AWS mode the real account. */
export interface ArnContext {
  readonly partition?: string;
  readonly region: string;
  readonly accountId: string;
}

/** A fixed, obviously local account: embedded mode has no AWS account, but the ARNs keep their AWS shape. */
export const EMBEDDED_ARN: ArnContext = { partition: 'aws', region: 'local', accountId: '000000000000' };

const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z0-9-]{1,32}$/;
const PARTITION = /^aws(-[a-z]+)*$/;

export const iotArnPrefix = ({ partition = 'aws', region, accountId }: ArnContext): string => {
  if (!PARTITION.test(partition) || !REGION.test(region) || !ACCOUNT_ID.test(accountId)) {
    throw new Error(
      `ARN context {partition: ${JSON.stringify(partition)}, region: ${JSON.stringify(region)}, accountId: ${JSON.stringify(accountId)}} is not valid: ` +
        'use a partition like "aws", a region like "eu-west-1" and a 12-digit account id',
    );
  }
  return `arn:${partition}:iot:${region}:${accountId}:`;
};

/** Resource ARNs as AWS IoT Core names them for each action. */
export const iotResources = (arn: ArnContext) => {
  const prefix = iotArnPrefix(arn);
  return {
    /** iot:Connect */
    client: (clientId: string) => `${prefix}client/${clientId}`,
    /** iot:Publish, iot:Receive */
    topic: (topic: string) => `${prefix}topic/${topic}`,
    /** iot:Subscribe: the filter as written, `+` and `#` included */
    topicFilter: (filter: string) => `${prefix}topicfilter/${filter}`,
  };
};

/** Names under which provisioning creates the policies in AWS IoT (CreatePolicy) and attaches them. */
export const DEVICE_POLICY_NAME = 'lwm2m-device';
export const bridgePolicyName = (bridgeId: string) => `lwm2m-bridge-${assertBridgeId(bridgeId)}`;

const THING = '${iot:Connection.Thing.ThingName}';
const ATTACHED = { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } };

/** The one policy every device certificate gets. */
export const devicePolicy = (arn: ArnContext = EMBEDDED_ARN): PolicyDocument => {
  const r = iotResources(arn);
  return {
    Version: POLICY_VERSION,
    Statement: [
      {
        Sid: 'ConnectAsOwnThingName',
        Effect: 'Allow',
        Action: 'iot:Connect',
        Resource: r.client(THING),
        Condition: ATTACHED,
      },
      {
        Sid: 'PublishOwnDataAndCommandResponses',
        Effect: 'Allow',
        Action: 'iot:Publish',
        Resource: [
          ...DEVICE_DATA_TYPES.map((type) => r.topic(`${DT}/${DEVICE_APP}/${THING}/${type}`)),
          r.topic(`${CMD}/${DEVICE_APP}/${THING}/res/*`),
        ],
        Condition: ATTACHED,
      },
      {
        Sid: 'SubscribeOwnCommandRequests',
        Effect: 'Allow',
        Action: 'iot:Subscribe',
        Resource: r.topicFilter(`${CMD}/${DEVICE_APP}/${THING}/req/*`),
        Condition: ATTACHED,
      },
      {
        Sid: 'ReceiveOwnCommandRequests',
        Effect: 'Allow',
        Action: 'iot:Receive',
        Resource: r.topic(`${CMD}/${DEVICE_APP}/${THING}/req/*`),
        Condition: ATTACHED,
      },
    ],
  };
};

/**
 * The policy of one bridge: more than a device (it relays for every device it holds), and nothing
 * beyond that: its own `dt/lwm2m-bridge/<bridgeId>/...` topics (device events, status, and the
 * auth-failed reports of peers its LwM2M server refused), the command requests of all
 * devices with their responses, and its own bootstrap responses. It cannot publish device data
 * (`dt/lwm2m/...`): what it learns about a device travels as a bridge event and is attributed to
 * the bridge. One policy per bridge, with the bridge id written in, since a bridge id is not a
 * thing attribute that a policy variable could read.
 */
export const bridgePolicy = (bridgeId: string, arn: ArnContext = EMBEDDED_ARN): PolicyDocument => {
  const id = assertBridgeId(bridgeId);
  const r = iotResources(arn);
  return {
    Version: POLICY_VERSION,
    Statement: [
      {
        Sid: 'ConnectAsBridge',
        Effect: 'Allow',
        Action: 'iot:Connect',
        Resource: r.client(bridgeThingName(id)),
        Condition: ATTACHED,
      },
      {
        Sid: 'PublishBridgeEventsAndCommandResponses',
        Effect: 'Allow',
        Action: 'iot:Publish',
        Resource: [r.topic(`${DT}/${BRIDGE_APP}/${id}/*`), r.topic(`${CMD}/${DEVICE_APP}/*/res/*`)],
        Condition: ATTACHED,
      },
      {
        Sid: 'SubscribeCommandRequestsAndOwnBootstrap',
        Effect: 'Allow',
        Action: 'iot:Subscribe',
        Resource: [r.topicFilter(`${CMD}/${DEVICE_APP}/*/req/*`), r.topicFilter(`${CMD}/${BRIDGE_APP}/${id}/bootstrap/*`)],
        Condition: ATTACHED,
      },
      {
        Sid: 'ReceiveCommandRequestsAndOwnBootstrap',
        Effect: 'Allow',
        Action: 'iot:Receive',
        Resource: [r.topic(`${CMD}/${DEVICE_APP}/*/req/*`), r.topic(`${CMD}/${BRIDGE_APP}/${id}/bootstrap/*`)],
        Condition: ATTACHED,
      },
    ],
  };
};
