import type { EventStore } from '../eventStore/eventStore.ts';
import type { ObjectStore } from '../objectStore/objectStore.ts';
import { redactingErrors, type DeviceRegistry } from '../registry/deviceRegistry.ts';
import type { Clock } from '../shared/clock.ts';
import type { BridgePublisher } from './bootstrapPublisher.ts';
import { checkDevice } from './checkDevice.ts';
import { checkResult } from './checkResult.ts';
import { deliverCredentials } from './deliverCredentials.ts';
import { recordBootstrapped } from './recordBootstrapped.ts';
import { recordFailed } from './recordFailed.ts';
import { recordRejected } from './recordRejected.ts';

export interface BootstrapDeps {
  readonly eventStore: EventStore;
  readonly registry: Pick<DeviceRegistry, 'certificateStatus'>;
  readonly credentials: ObjectStore;
  readonly publish: BridgePublisher;
  /** The broker URI devices are given (asked at each delivery). */
  readonly brokerUri: () => string;
  readonly trustAnchorPem: string;
  readonly clock: Clock;
  /** FLEET_BOOTSTRAP_OVER_PLAIN_COAP. */
  readonly allowPlainCoap: boolean;
  readonly deliveryTtlSeconds?: number;
}

/** The state machine's file, relative to the project root, and its name in the engine. */
export const BOOTSTRAP_DEFINITION_FILE = 'workflows/bootstrap/bootstrap.asl.json';
export const BOOTSTRAP_STATE_MACHINE = 'bootstrap';

/**
 * Substitution name in bootstrap.asl.json → function name: the CDK app turns each into a Lambda's
 * functionArn, the embedded runtime into localFunctionArn(name). Names are unique across every
 * workflow of the system (the engine refuses two tasks of one name).
 */
export const BOOTSTRAP_FUNCTIONS = {
  CheckDeviceFunctionArn: 'checkBootstrapDevice',
  RecordRejectedFunctionArn: 'recordBootstrapRejected',
  DeliverCredentialsFunctionArn: 'deliverBootstrapCredentials',
  CheckResultFunctionArn: 'checkBootstrapResult',
  RecordBootstrappedFunctionArn: 'recordDeviceBootstrapped',
  RecordFailedFunctionArn: 'recordBootstrapFailed',
} as const;

export type BootstrapFunctionName = (typeof BOOTSTRAP_FUNCTIONS)[keyof typeof BOOTSTRAP_FUNCTIONS];

/** The bootstrap tasks by function name, built once from their ports; every error leaving one is PEM-redacted. */
export const bootstrapTasks = (deps: BootstrapDeps): Record<BootstrapFunctionName, (input: unknown) => Promise<unknown>> => ({
  checkBootstrapDevice: redactingErrors(checkDevice(deps)),
  recordBootstrapRejected: redactingErrors(recordRejected(deps)),
  deliverBootstrapCredentials: redactingErrors(deliverCredentials(deps)),
  checkBootstrapResult: redactingErrors(checkResult(deps)),
  recordDeviceBootstrapped: redactingErrors(recordBootstrapped(deps)),
  recordBootstrapFailed: redactingErrors(recordFailed(deps)),
});
