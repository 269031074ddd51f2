import { z } from 'zod';
import { ThingName } from '../../events/catalog/common.ts';

/** What starts a deprovisioning run: `{ thingName, reason? }`. */
export const DeprovisioningInput = z.object({
  thingName: ThingName,
  reason: z.string().min(1).max(500).optional(),
});
export type DeprovisioningInput = z.infer<typeof DeprovisioningInput>;

/** Certificate ids as the registry names them (SHA-256 of the DER, lowercase hex; AWS uses the same). */
export const CertificateIds = z.array(z.string().regex(/^[0-9a-f]{64}$/, 'a certificate id is 64 lowercase hex digits')).max(10);

/** A task's input is a trust boundary: a malformed one fails the task with a message saying what to fix. */
export class InvalidTaskInput extends Error {
  override name = 'InvalidTaskInput';
}

export const parseDeprovisioningInput = <S extends z.ZodType>(schema: S, input: unknown, task: string): z.output<S> => {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
  throw new InvalidTaskInput(`${task} got an input it cannot use (${problems}): start the workflow with { "thingName": "...", "reason": "..." }.`);
};
