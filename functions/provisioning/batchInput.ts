import { z } from 'zod';
import { taskInputParser } from '../workflows/taskInput.ts';

/** Batch ids name an event stream and a folder of objects, so they stay plain. */
export const BatchId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/, 'a batch id is 1-80 letters, digits, "_" or "-", starting with a letter or digit');

export const ProvisioningInput = z.object({
  batchId: BatchId,
  manifestKey: z.string().min(1).max(1024),
  format: z.enum(['csv', 'json', 'ndjson']),
});
export type ProvisioningInput = z.infer<typeof ProvisioningInput>;

export const parseTaskInput = taskInputParser('start the workflow with { batchId, manifestKey, format }.');
