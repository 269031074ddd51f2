import type { EventStore } from '../eventStore/eventStore.ts';
import type { ObjectStore } from '../objectStore/objectStore.ts';
import { redactingErrors, type DeviceRegistry } from '../registry/deviceRegistry.ts';
import { completeBatch } from './completeBatch.ts';
import { provisionChunk } from './provisionChunk.ts';
import { recordBatchFailure } from './recordBatchFailure.ts';
import type { Sleep, ThrottleRetryOptions } from './throttleRetry.ts';
import { validateManifest } from './validateManifest.ts';

export interface ProvisioningDeps {
  readonly eventStore: EventStore;
  readonly registry: DeviceRegistry;
  readonly uploads: ObjectStore;
  readonly credentials: ObjectStore;
  readonly reports: ObjectStore;
  readonly chunkSize?: number;
  readonly rowConcurrency?: number;
  readonly throttleRetry?: ThrottleRetryOptions;
  readonly sleep?: Sleep;
}

/** The state machine's file, relative to the project root. */
export const PROVISIONING_DEFINITION_FILE = 'workflows/provisioning/provisioning.asl.json';

/**
 * Substitution name in provisioning.asl.json → function name. The CDK app turns each into a
 * Lambda's functionArn, the embedded runtime into localFunctionArn(name): one map, so neither side
 * can lack a name the other has.
 */
export const PROVISIONING_FUNCTIONS = {
  ValidateManifestFunctionArn: 'validateManifest',
  ProvisionChunkFunctionArn: 'provisionChunk',
  CompleteBatchFunctionArn: 'completeBatch',
  RecordBatchFailureFunctionArn: 'recordBatchFailure',
} as const;

export type ProvisioningFunctionName = (typeof PROVISIONING_FUNCTIONS)[keyof typeof PROVISIONING_FUNCTIONS];


/** The provisioning tasks by function name, built once from their ports. */
export const provisioningTasks = (deps: ProvisioningDeps): Record<ProvisioningFunctionName, (input: unknown) => Promise<unknown>> => ({
  validateManifest: redactingErrors(validateManifest(deps)),
  provisionChunk: redactingErrors(provisionChunk(deps)),
  completeBatch: redactingErrors(completeBatch(deps)),
  recordBatchFailure: redactingErrors(recordBatchFailure(deps)),
});
