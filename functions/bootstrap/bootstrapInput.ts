import { z } from 'zod';
import { ThingName } from '../../events/catalog/common.ts';
import { BRIDGE_ID_PATTERN } from '../../schemas/topics/topics.ts';

export const BridgeId = z.string().regex(BRIDGE_ID_PATTERN, 'a bridge id is 1-63 of a-z 0-9 -, starting with a letter or digit');

/** A registration or bootstrap request names what happened once; event ids and the execution name come from it. */
export const Trigger = z.string().min(1).max(300);

/**
 * What starts a bootstrap run. The endpoint name is the thing name (schemas/bridge/README.md).
 * `transport` is how the device reached the bridge: plain `coap` proves nothing about who it is.
 */
export const BootstrapInput = z.object({
  thingName: ThingName,
  bridgeId: BridgeId,
  transport: z.enum(['coap', 'coaps']),
  trigger: Trigger,
});
export type BootstrapInput = z.infer<typeof BootstrapInput>;

/** A task's input is a trust boundary: a malformed one fails the task with a message saying what to fix. */
export class InvalidTaskInput extends Error {
  override name = 'InvalidTaskInput';
}

export const parseTaskInput = <S extends z.ZodType>(schema: S, input: unknown, task: string): z.output<S> => {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
  throw new InvalidTaskInput(`${task} got an input it cannot use (${problems}): check the state's Parameters in workflows/bootstrap/bootstrap.asl.json.`);
};
