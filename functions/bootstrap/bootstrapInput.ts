import { z } from 'zod';
import { taskInputParser } from '../workflows/taskInput.ts';
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

export const parseTaskInput = taskInputParser("check the state's Parameters in workflows/bootstrap/bootstrap.asl.json.");
