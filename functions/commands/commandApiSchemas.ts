import { z } from 'zod';
import { CommandOperation } from '../../events/catalog/commands.ts';
import { IsoTime, Lwm2mPath, ThingName } from '../../events/catalog/common.ts';
import { NotificationAttributes, PathValue } from '../../schemas/bridge/commandMessages.ts';
import type { RuleParams } from '../../schemas/directory/fieldError.ts';

/**
 * The wire shapes of the command, audit and alarm-acknowledgement routes. The OpenAPI document is
 * generated from them (functions/api/openapi/operations.ts) and the routes parse with them, so the
 * two cannot drift. Response objects are open: clients must accept fields added later.
 */

export const COMMAND_LIMITS = Object.freeze({
  /** A command body: 256 write values fit easily; an event holds at most 256 KiB. */
  maxBodyBytes: 128 * 1024,
  maxTimeoutSeconds: 7 * 24 * 3600,
  defaultPageSize: 50,
  maxPageSize: 500,
  maxCursorLength: 512,
  maxNoteLength: 500,
});

const rule = (name: string, hint: string): { params: RuleParams } => ({ params: { rule: name, hint } });

/** LwM2M Core §5.4.5: `arg[,arg]` with arg = DIGIT ["='" text "'"], text without space, quotes or backslash. */
const EXECUTE_ARGUMENTS = /^\d(='[\x21\x23-\x26\x28-\x5b\x5d-\x7e]*')?(,\d(='[\x21\x23-\x26\x28-\x5b\x5d-\x7e]*')?)*$/;

const isUnder = (child: string, parent: string) => child === parent || child.startsWith(`${parent}/`);

/** Which operation each optional field belongs to: giving it with another operation is a mistake the caller should hear about. */
const FIELD_OPERATION = { values: 'write', writeMode: 'write', arguments: 'execute', attributes: 'write-attributes' } as const;

export const CommandRequestBody = z
  .strictObject({
    thingName: ThingName.meta({ description: 'The device.', examples: ['meter-0001'] }),
    operation: CommandOperation.meta({ description: 'The LwM2M operation (Device Management interface).' }),
    path: Lwm2mPath.meta({ description: 'The LwM2M path it applies to.', examples: ['/3303/0/5700', '/3/0/4'] }),
    values: z.array(PathValue).min(1).max(256).optional().meta({ description: 'write: the values, each at a resource (or resource instance) path under `path`.' }),
    writeMode: z.enum(['replace', 'partial']).optional().meta({ description: 'write on an instance: replace it (PUT) or update the given resources (POST, the default).' }),
    arguments: z.string().max(1024).optional().meta({ description: "execute: the arguments, e.g. 0='fw',1 (LwM2M Core 5.4.5)." }),
    attributes: NotificationAttributes.optional().meta({ description: 'write-attributes: pmin, pmax (seconds), gt, lt, st.' }),
    timeoutSeconds: z.number().positive().max(COMMAND_LIMITS.maxTimeoutSeconds).optional().meta({
      description: 'How long the command may wait for its final answer; it then ends as timed out. Defaults depend on whether the device is in queue mode (asleep until it wakes).',
    }),
  })
  .superRefine((body, ctx) => {
    for (const [field, operation] of Object.entries(FIELD_OPERATION)) {
      if (body[field as keyof typeof FIELD_OPERATION] !== undefined && body.operation !== operation) {
        ctx.addIssue({ code: 'custom', path: [field], message: `${field} belongs to a ${operation}, not a ${body.operation}.`, ...rule('not-for-operation', `Leave ${field} out, or send operation "${operation}".`) });
      }
    }
    if (body.operation === 'write' && body.values === undefined) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: 'A write needs values.', ...rule('required', 'Give values: [{ "path": "/3/0/13", "value": { "kind": "time", "v": 1767225600 } }].') });
    }
    if (body.operation === 'write-attributes' && (body.attributes === undefined || Object.keys(body.attributes).length === 0)) {
      ctx.addIssue({ code: 'custom', path: ['attributes'], message: 'write-attributes needs at least one attribute.', ...rule('required', 'Give attributes such as { "pmin": 10, "pmax": 60 }.') });
    }
    if (body.arguments !== undefined && body.arguments !== '' && !EXECUTE_ARGUMENTS.test(body.arguments)) {
      ctx.addIssue({ code: 'custom', path: ['arguments'], message: `${JSON.stringify(body.arguments.slice(0, 60))} is not an LwM2M argument list.`, ...rule('execute-arguments', "Write digits, each optionally ='text' (no spaces or quotes in text), comma-separated: 0='fw-2.1',1.") });
    }
    const seen = new Set<string>();
    body.values?.forEach((v, i) => {
      if (!isUnder(v.path, body.path)) {
        ctx.addIssue({ code: 'custom', path: ['values', i, 'path'], message: `${v.path} is not under the command's path ${body.path}.`, ...rule('outside-path', `Write values at ${body.path} or below it, or change path.`) });
      }
      if (seen.has(v.path)) ctx.addIssue({ code: 'custom', path: ['values', i, 'path'], message: `${v.path} is given twice.`, ...rule('duplicate-path', 'Give each path once.') });
      seen.add(v.path);
    });
    const a = body.attributes;
    if (a?.pmin !== undefined && a.pmax !== undefined && a.pmin > a.pmax) {
      ctx.addIssue({ code: 'custom', path: ['attributes', 'pmax'], message: `pmax ${a.pmax} is below pmin ${a.pmin}.`, ...rule('pmin-le-pmax', 'Make pmax at least pmin (LwM2M Core 5.1.2).') });
    }
    if (a?.lt !== undefined && a.gt !== undefined && !(a.lt + 2 * (a.st ?? 0) < a.gt)) {
      ctx.addIssue({ code: 'custom', path: ['attributes', 'gt'], message: `lt ${a.lt}${a.st === undefined ? '' : ` + 2 × st ${a.st}`} is not below gt ${a.gt}.`, ...rule('lt-below-gt', 'LwM2M Core 5.1.2 wants lt + 2 × st < gt.') });
    }
  })
  .meta({ description: 'One LwM2M operation on one device.' });
export type CommandRequestBody = z.infer<typeof CommandRequestBody>;

export const CommandIdParam = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).meta({ description: 'The command id POST /commands returned.', examples: ['c-0f8e2b1c-5d7a-4e0b-9a51-3f1d2c4b6a70'] });
export const AlarmIdParam = z.string().min(1).max(128).meta({ description: 'The alarm id the device raised it with.', examples: ['overheat'] });

export const CommandStatusSchema = z.enum(['requested', 'published', 'queued', 'dispatched', 'succeeded', 'failed', 'timed-out', 'ignored']);

export const CommandAcceptedSchema = z.object({
  commandId: z.string(),
  status: CommandStatusSchema.meta({ description: 'published: on its way to the bridge that holds the device; ignored: no bridge holds it, nothing was sent; failed: it could not be sent.' }),
  url: z.string().meta({ description: 'Where to follow the command.' }),
  expiresAt: IsoTime,
});

export const CommandAuditRowSchema = z.object({
  commandId: z.string(),
  thingName: ThingName,
  operation: z.string().meta({ description: 'An LwM2M operation, or acknowledge-alarm.' }),
  path: z.string().optional(),
  alarmId: z.string().optional(),
  operator: z.string().meta({ description: "Who asked: the token's subject." }),
  operatorKind: z.enum(['user', 'device', 'system']),
  role: z.string().optional(),
  requestedAt: IsoTime,
  expiresAt: IsoTime.optional(),
  status: CommandStatusSchema,
  open: z.boolean(),
  bridgeId: z.string().optional(),
  queueMode: z.boolean().optional(),
  lwm2mCode: z.string().optional(),
  latencyMs: z.number().min(0).optional(),
  endedAt: IsoTime.optional(),
  detail: z.string().optional(),
  streamId: z.string(),
  streamPosition: z.int().min(1),
});

export const LifecycleEntrySchema = z.object({
  type: z.string().meta({ description: 'The event type: CommandRequested, CommandPublished, CommandQueued, CommandDispatched, CommandSucceeded, CommandFailed, CommandTimedOut, CommandIgnored, AlarmAcknowledged, or MessageRejected for an answer that was refused.' }),
  at: IsoTime,
  position: z.int().min(1),
  actor: z.object({ kind: z.string(), id: z.string(), role: z.string().optional() }),
  data: z.record(z.string(), z.unknown()),
});

export const CommandDetailSchema = z.object({ command: CommandAuditRowSchema, lifecycle: z.array(LifecycleEntrySchema) });

export const CommandPageSchema = z.object({
  items: z.array(CommandAuditRowSchema),
  nextCursor: z.string().optional().meta({ description: 'Pass as cursor, with the same filters, for the next page; absent on the last.' }),
});

const AuditFilterFields = {
  thingName: ThingName.optional().meta({ description: 'Only this device.' }),
  operator: z.string().min(1).max(256).optional().meta({ description: "Only commands of this operator (the token's subject)." }),
  from: IsoTime.optional().meta({ description: 'Requested at or after this time.', examples: ['2026-01-01T00:00:00Z'] }),
  to: IsoTime.optional().meta({ description: 'Requested before this time.' }),
};

export const CommandListParams = z.strictObject({
  ...AuditFilterFields,
  limit: z.coerce.number().int().min(1).max(COMMAND_LIMITS.maxPageSize).optional().meta({ description: `Page size; ${COMMAND_LIMITS.defaultPageSize} unless given.` }),
  cursor: z.string().max(COMMAND_LIMITS.maxCursorLength).optional().meta({ description: 'The nextCursor of the previous page.' }),
});

export const AuditExportParams = z.strictObject({
  ...AuditFilterFields,
  format: z.enum(['csv', 'ndjson']).optional().meta({ description: 'csv (default) or ndjson.' }),
});

export const AlarmAckBody = z.strictObject({ note: z.string().min(1).max(COMMAND_LIMITS.maxNoteLength).optional().meta({ description: 'Why, or what was done; kept in the audit.' }) });

export const AlarmAcknowledgedSchema = z.object({
  thingName: ThingName,
  alarmId: z.string(),
  commandId: z.string().meta({ description: 'The audit id of the acknowledgement.' }),
  acknowledgedBy: z.string(),
  url: z.string().meta({ description: 'The acknowledgement in the command audit.' }),
});
