import { z } from 'zod';
import { CommandOperation } from '../../events/catalog/commands.ts';
import { IsoTime, Lwm2mPath } from '../../events/catalog/common.ts';

/**
 * Commands between the backend and the bridge that holds the device:
 * the request on `cmd/lwm2m/<thing>/req/<commandId>`, answers on `cmd/lwm2m/<thing>/res/<commandId>`
 * (schemas/topics). JSON both ways; LwM2M content formats stay between the bridge and the device.
 */

/** A typed LwM2M value as JSON: the same kinds the state projection keeps (numbers, text, booleans, base64url bytes, object links). */
export const CommandValue = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('number'), v: z.number() }),
  z.strictObject({ kind: z.literal('string'), v: z.string().max(65_536) }),
  z.strictObject({ kind: z.literal('boolean'), v: z.boolean() }),
  z.strictObject({ kind: z.literal('data'), v: z.string().max(1_400_000).describe('base64url') }),
  z.strictObject({ kind: z.literal('objlnk'), v: z.string().regex(/^\d{1,5}:\d{1,5}$/, 'an object link is "objectId:instanceId"') }),
  z.strictObject({ kind: z.literal('time'), v: z.number().int().describe('seconds since 1970') }),
]);
export type CommandValue = z.infer<typeof CommandValue>;

export const PathValue = z.strictObject({ path: Lwm2mPath, value: CommandValue });
export type PathValue = z.infer<typeof PathValue>;

/** Write-Attributes (LwM2M Core §5.1.2): notification periods and thresholds. */
export const NotificationAttributes = z
  .strictObject({
    pmin: z.number().int().nonnegative(),
    pmax: z.number().int().nonnegative(),
    gt: z.number(),
    lt: z.number(),
    st: z.number().nonnegative(),
  })
  .partial();
export type NotificationAttributes = z.infer<typeof NotificationAttributes>;

export const CommandRequestMessage = z
  .strictObject({
    commandId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    operation: CommandOperation,
    path: Lwm2mPath,
    /** write: the resources to write (one for a resource path; several for an instance path). */
    values: z.array(PathValue).min(1).max(256).optional(),
    /** write: replace the instance (PUT) or update only the given resources (POST, the default). */
    writeMode: z.enum(['replace', 'partial']).optional(),
    /** execute: the argument string (LwM2M Core §5.4.5). */
    arguments: z.string().max(1024).optional(),
    /** write-attributes. */
    attributes: NotificationAttributes.optional(),
    requestedAt: IsoTime,
    /** After this, the bridge drops the command instead of sending it (a queue-mode device may wake too late). */
    expiresAt: IsoTime,
  })
  .refine((m) => m.operation !== 'write' || m.values !== undefined, { message: 'a write needs values', path: ['values'] })
  .refine((m) => m.operation !== 'write-attributes' || m.attributes !== undefined, { message: 'write-attributes needs attributes', path: ['attributes'] });
export type CommandRequestMessage = z.infer<typeof CommandRequestMessage>;

/**
 * The bridge's answers, in order: `queued` (the device is in queue mode and asleep: sent when it
 * wakes) or `dispatched` (sent to the device), then exactly one of `succeeded` / `failed`. A bridge
 * that does not hold the device stays silent; the backend decides CommandIgnored or CommandTimedOut.
 * For an observe, each notification after the first goes out as a bridge `notify` event, not here.
 */
export const CommandResponseMessage = z.strictObject({
  commandId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  bridgeId: z.string().min(1).max(63),
  status: z.enum(['queued', 'dispatched', 'succeeded', 'failed']),
  /** The CoAP response code as LwM2M names it ("2.05", "4.04"), or "timeout" when the device never answered. */
  lwm2mCode: z.string().max(16).optional(),
  /** read / observe: the values the device returned. */
  values: z.array(PathValue).max(4096).optional(),
  /** discover: the CoRE link format the device returned. */
  links: z.string().max(65_536).optional(),
  message: z.string().max(500).optional(),
  at: IsoTime,
});
export type CommandResponseMessage = z.infer<typeof CommandResponseMessage>;
