import type { z } from 'zod';

/** A task's input is a trust boundary: a malformed one fails the task with a message saying what to fix. */
export class InvalidTaskInput extends Error {
  override name = 'InvalidTaskInput';
}

/**
 * The input parser of one workflow's tasks: `hint` says how that workflow is started or where its
 * states' Parameters are, and ends every refusal.
 */
export const taskInputParser =
  (hint: string) =>
  <S extends z.ZodType>(schema: S, input: unknown, task: string): z.output<S> => {
    const parsed = schema.safeParse(input);
    if (parsed.success) return parsed.data;
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
    throw new InvalidTaskInput(`${task} got an input it cannot use (${problems}): ${hint}`);
  };
