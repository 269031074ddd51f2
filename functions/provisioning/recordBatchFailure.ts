import { z } from 'zod';
import type { ObjectStore } from '../objectStore/objectStore.ts';
import { redactPem } from '../registry/deviceRegistry.ts';
import { batchKeys } from './batchObjects.ts';
import { BatchId, parseTaskInput } from './batchInput.ts';

export interface RecordBatchFailureDeps {
  readonly reports: ObjectStore;
}

export const RecordBatchFailureInput = z.object({
  batchId: BatchId,
  manifestKey: z.string(),
  error: z.object({ Error: z.string(), Cause: z.string().optional() }),
});

/**
 * RecordBatchFailure: the batch could not finish (a refused manifest, a store that kept failing,
 * throttling that outlived every retry). Writes `batches/<id>/failure.json` for the operator and
 * hands the error on; the state machine then fails the execution with it. No
 * ProvisioningBatchCompleted is appended: the batch did not complete, and devices provisioned so
 * far already have their own events. A re-upload (a new execution) finishes the rest.
 */
export const recordBatchFailure =
  (deps: RecordBatchFailureDeps) =>
  async (input: unknown): Promise<{ failureKey: string; error: string; cause: string }> => {
    const { batchId, manifestKey, error } = parseTaskInput(RecordBatchFailureInput, input, 'RecordBatchFailure');
    const cause = redactPem(error.Cause ?? '');
    const failureKey = batchKeys.failure(batchId);
    await deps.reports.put(failureKey, JSON.stringify({ batchId, manifestKey, error: error.Error, cause }), { contentType: 'application/json' });
    return { failureKey, error: error.Error, cause };
  };
