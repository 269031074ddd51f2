import { Duration } from 'aws-cdk-lib';
import { BOOTSTRAP_DEFINITION_FILE, BOOTSTRAP_FUNCTIONS, type BootstrapFunctionName } from '../../functions/bootstrap/bootstrapTasks.ts';
import {
  DEPROVISIONING_DEFINITION_FILE,
  DEPROVISIONING_FUNCTIONS,
  type DeprovisioningFunctionName,
} from '../../functions/deprovisioning/deprovisioningTasks.ts';
import {
  PROVISIONING_DEFINITION_FILE,
  PROVISIONING_FUNCTIONS,
  type ProvisioningFunctionName,
} from '../../functions/provisioning/provisioningTasks.ts';
import type { StoreAccess } from './constructs/eventStore.ts';
import type { HandlerName } from './handlers.ts';
import type { ObjectAccess } from './objectAccess.ts';
import { BRIDGE_APP, CMD } from '../../schemas/topics/topics.ts';
import type { RegistryOperation } from './registryAccess.ts';

/** What one task's Lambda may touch: exactly the port calls its handler makes. */
export interface TaskAccess {
  readonly eventStore?: StoreAccess;
  readonly uploads?: readonly ObjectAccess[];
  readonly credentials?: readonly ObjectAccess[];
  /** Which keys under the credentials prefix (`devices/`) the credentials uses apply to; every key when absent. */
  readonly credentialKeys?: string;
  readonly reports?: readonly ObjectAccess[];
  readonly registry?: readonly RegistryOperation[];
  /** MQTT topic names the task publishes to through the IoT data plane (IAM form: `*` for a level's value). */
  readonly iotPublish?: readonly string[];
  /** Looks up the account's IoT data endpoint (iot:DescribeEndpoint, which IAM grants on "*" only). */
  readonly iotEndpoint?: boolean;
  /** The Lambda's timeout: at least the state's TimeoutSeconds, so the definition decides. */
  readonly timeout: Duration;
  readonly memorySize?: number;
}

export interface WorkflowSpec<F extends string = string> {
  /** The state machine's name in the stack, as the embedded engine names it. */
  readonly name: string;
  /** Relative to the repository root. */
  readonly definitionFile: string;
  /** The entry file whose exports are the tasks (one export per function name). */
  readonly handler: HandlerName;
  /** Substitution name → function name, the map the embedded runtime uses too. */
  readonly functions: Readonly<Record<string, F>>;
  readonly tasks: Readonly<Record<F, TaskAccess>>;
  /** Standard or Express: the reason is in the workflow's README. */
  readonly type: 'STANDARD' | 'EXPRESS';
}

/** Where DeliverCredentials publishes: the bootstrap topic of any bridge, for any device (schemas/topics). */
export const BOOTSTRAP_DELIVERY_TOPICS = `${CMD}/${BRIDGE_APP}/*/bootstrap/*`;

/** Object key prefixes of the areas (functions/provisioning/batchObjects.ts, the upload trigger). */
export const OBJECT_PREFIXES = { uploads: 'manifests/', reports: 'batches/', credentials: 'devices/' } as const;

const PROVISION_ONE_DEVICE: readonly RegistryOperation[] = [
  'ensurePolicy',
  'ensureThing',
  'certificateStatus',
  'createKeysAndCertificate',
  'attachPolicy',
  'attachThingPrincipal',
  'ensureThingGroup',
  'addThingToGroup',
  'removeThingFromGroups',
];

export const PROVISIONING_WORKFLOW: WorkflowSpec<ProvisioningFunctionName> = {
  name: 'provisioning',
  definitionFile: PROVISIONING_DEFINITION_FILE,
  handler: 'provisioningTasks',
  functions: PROVISIONING_FUNCTIONS,
  type: 'STANDARD',
  tasks: {
    // Streams the manifest; a row's PSK goes straight to the credentials area.
    validateManifest: { eventStore: 'readWrite', uploads: ['read'], credentials: ['write'], reports: ['write'], timeout: Duration.seconds(900), memorySize: 1024 },
    // Reads a chunk, provisions its rows (reusing stored certificates), writes their outcomes.
    provisionChunk: {
      eventStore: 'readWrite',
      credentials: ['read', 'write'],
      reports: ['read', 'write'],
      registry: PROVISION_ONE_DEVICE,
      timeout: Duration.seconds(900),
      memorySize: 512,
    },
    completeBatch: { eventStore: 'readWrite', reports: ['read', 'write'], timeout: Duration.seconds(900), memorySize: 1024 },
    recordBatchFailure: { reports: ['write'], timeout: Duration.seconds(60) },
  },
};

export const DEPROVISIONING_WORKFLOW: WorkflowSpec<DeprovisioningFunctionName> = {
  name: 'deprovisioning',
  definitionFile: DEPROVISIONING_DEFINITION_FILE,
  handler: 'deprovisioningTasks',
  functions: DEPROVISIONING_FUNCTIONS,
  type: 'STANDARD',
  tasks: {
    describeDevice: { eventStore: 'read', registry: ['describeThing', 'certificateStatus'], timeout: Duration.seconds(60) },
    revokeCertificates: { registry: ['certificateStatus', 'deactivateCertificate'], timeout: Duration.seconds(60) },
    detachAndDelete: {
      registry: ['describeThing', 'certificateStatus', 'detachPolicy', 'detachThingPrincipal', 'deleteCertificate', 'removeThingFromGroups', 'deleteThing'],
      timeout: Duration.seconds(60),
    },
    deleteCredentials: { credentials: ['read', 'delete'], timeout: Duration.seconds(60) },
    recordDeprovisioned: { eventStore: 'readWrite', timeout: Duration.seconds(60) },
  },
};

export const BOOTSTRAP_WORKFLOW: WorkflowSpec<BootstrapFunctionName> = {
  name: 'bootstrap',
  definitionFile: BOOTSTRAP_DEFINITION_FILE,
  handler: 'bootstrapTasks',
  functions: BOOTSTRAP_FUNCTIONS,
  type: 'STANDARD',
  tasks: {
    // Folds the device's stream, then asks whether its certificate is active and attached.
    checkBootstrapDevice: { eventStore: 'read', registry: ['certificateStatus'], timeout: Duration.seconds(60) },
    recordBootstrapRejected: { eventStore: 'readWrite', timeout: Duration.seconds(60) },
    // The only task that sees a private key: it reads the device's MQTT credentials (not its PSK) and
    // publishes them to one bridge's bootstrap topic, nowhere else.
    deliverBootstrapCredentials: {
      eventStore: 'read',
      credentials: ['read'],
      credentialKeys: '*/mqtt.json',
      iotPublish: [BOOTSTRAP_DELIVERY_TOPICS],
      iotEndpoint: true,
      timeout: Duration.seconds(60),
    },
    checkBootstrapResult: { eventStore: 'read', timeout: Duration.seconds(30) },
    recordDeviceBootstrapped: { eventStore: 'readWrite', timeout: Duration.seconds(60) },
    recordBootstrapFailed: { eventStore: 'readWrite', timeout: Duration.seconds(60) },
  },
};
