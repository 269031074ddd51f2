import { z } from 'zod';

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

/** A task's input is a trust boundary: a malformed one fails the task with a message saying what to fix. */
export class InvalidTaskInput extends Error {
  override name = 'InvalidTaskInput';
}

export const parseTaskInput = <S extends z.ZodType>(schema: S, input: unknown, task: string): z.output<S> => {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
  throw new InvalidTaskInput(`${task} got an input it cannot use (${problems}): start the workflow with { batchId, manifestKey, format }.`);
};
