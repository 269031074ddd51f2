import type { EventStore } from '../eventStore/eventStore.ts';
import type { ObjectStore } from '../objectStore/objectStore.ts';
import { redactingErrors, type DeviceRegistry } from '../registry/deviceRegistry.ts';
import { deleteCredentials } from './deleteCredentials.ts';
import { describeDevice } from './describeDevice.ts';
import { detachAndDelete } from './detachAndDelete.ts';
import { recordDeprovisioned } from './recordDeprovisioned.ts';
import { revokeCertificates, type DisconnectCertificate } from './revokeCertificates.ts';

export interface DeprovisioningDeps {
  readonly eventStore: EventStore;
  readonly registry: DeviceRegistry;
  readonly credentials: ObjectStore;
  /** Drops live MQTT connections of a revoked certificate (embedded broker); absent on AWS. */
  readonly disconnect?: DisconnectCertificate;
}

/** The state machine's file, relative to the project root. */
export const DEPROVISIONING_DEFINITION_FILE = 'workflows/deprovisioning/deprovisioning.asl.json';

/**
 * Substitution name in deprovisioning.asl.json → function name: the CDK app turns each into a
 * Lambda's functionArn, the embedded runtime into localFunctionArn(name).
 */
export const DEPROVISIONING_FUNCTIONS = {
  DescribeDeviceFunctionArn: 'describeDevice',
  RevokeCertificatesFunctionArn: 'revokeCertificates',
  DetachAndDeleteFunctionArn: 'detachAndDelete',
  DeleteCredentialsFunctionArn: 'deleteCredentials',
  RecordDeprovisionedFunctionArn: 'recordDeprovisioned',
} as const;

export type DeprovisioningFunctionName = (typeof DEPROVISIONING_FUNCTIONS)[keyof typeof DEPROVISIONING_FUNCTIONS];


/** The deprovisioning tasks by function name, built once from their ports. */
export const deprovisioningTasks = (deps: DeprovisioningDeps): Record<DeprovisioningFunctionName, (input: unknown) => Promise<unknown>> => ({
  describeDevice: redactingErrors(describeDevice(deps)),
  revokeCertificates: redactingErrors(revokeCertificates(deps)),
  detachAndDelete: redactingErrors(detachAndDelete(deps)),
  deleteCredentials: redactingErrors(deleteCredentials(deps)),
  recordDeprovisioned: redactingErrors(recordDeprovisioned(deps)),
});
