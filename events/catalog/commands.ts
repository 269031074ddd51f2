import { z } from 'zod';
import { defineEvent } from './define.ts';
import { IsoTime, Lwm2mPath, ThingName } from './common.ts';

export const CommandOperation = z.enum(['read', 'write', 'execute', 'observe', 'cancel-observe', 'discover', 'write-attributes']);
export type CommandOperation = z.infer<typeof CommandOperation>;

const JsonValue: z.ZodType<unknown> = z.unknown();

export const CommandRequested = defineEvent(
  'CommandRequested',
  1,
  z.object({
    commandId: z.string().min(1),
    thingName: ThingName,
    operation: CommandOperation,
    path: Lwm2mPath,
    /** The operation's parameters, as the API took them: `{ values?, writeMode?, arguments?, attributes? }` (functions/commands). */
    value: JsonValue.optional(),
    expiresAt: IsoTime,
  }),
  'An operator asked for an LwM2M operation on a device; the actor says who.',
);

export const CommandDispatched = defineEvent(
  'CommandDispatched',
  1,
  z.object({ commandId: z.string().min(1), thingName: ThingName, bridgeId: z.string().min(1) }),
  'A bridge holding the device took the command and passed it to its LwM2M server.',
);

export const CommandPublished = defineEvent(
  'CommandPublished',
  1,
  z.object({
    commandId: z.string().min(1),
    thingName: ThingName,
    /** The bridge the device sessions named as holding the device: the only bridge whose answers count. */
    bridgeId: z.string().min(1),
    queueMode: z.boolean(),
    topic: z.string().min(1),
  }),
  'The command was handed to the broker on its request topic, for the bridge that holds the device.',
);

export const CommandQueued = defineEvent(
  'CommandQueued',
  1,
  z.object({ commandId: z.string().min(1), thingName: ThingName, bridgeId: z.string().min(1) }),
  'The device is in queue mode and asleep: its bridge keeps the command until the device wakes or the command expires.',
);

export const CommandSucceeded = defineEvent(
  'CommandSucceeded',
  1,
  z.object({
    commandId: z.string().min(1),
    thingName: ThingName,
    lwm2mCode: z.string().min(1),
    result: JsonValue.optional(),
    latencyMs: z.number().nonnegative(),
  }),
  'The device carried out the command; the result is what it returned.',
);

export const CommandFailed = defineEvent(
  'CommandFailed',
  1,
  z.object({
    commandId: z.string().min(1),
    thingName: ThingName,
    lwm2mCode: z.string().min(1),
    message: z.string(),
    latencyMs: z.number().nonnegative(),
  }),
  'The device answered with an LwM2M error code.',
);

export const CommandTimedOut = defineEvent(
  'CommandTimedOut',
  1,
  z.object({ commandId: z.string().min(1), thingName: ThingName, afterMs: z.number().nonnegative() }),
  'No answer came before the command expired.',
);

export const CommandIgnored = defineEvent(
  'CommandIgnored',
  1,
  z.object({ commandId: z.string().min(1), thingName: ThingName, reason: z.string().min(1) }),
  'No bridge holds the device, so nothing was sent.',
);
