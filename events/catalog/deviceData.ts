import { z } from 'zod';
import { defineEvent } from './define.ts';
import { IsoTime, Lwm2mPath, ThingName } from './common.ts';

/** One resolved SenML record (RFC 8428 section 4.6), named by an LwM2M path where it has one. */
export const ReportedValue = z.object({
  name: z.string().min(1),
  path: Lwm2mPath.optional(),
  time: IsoTime,
  value: z.union([
    z.object({ kind: z.literal('number'), v: z.number() }),
    z.object({ kind: z.literal('string'), v: z.string() }),
    z.object({ kind: z.literal('boolean'), v: z.boolean() }),
    z.object({ kind: z.literal('data'), v: z.string().describe('base64url') }),
    z.object({ kind: z.literal('objlnk'), v: z.string().regex(/^\d{1,5}:\d{1,5}$/).describe('LwM2M Object Link "objectId:instanceId"') }),
    z.object({ kind: z.literal('sum'), v: z.number() }),
  ]),
  unit: z.string().optional(),
});
export type ReportedValue = z.infer<typeof ReportedValue>;

export const DeviceStateReported = defineEvent(
  'DeviceStateReported',
  1,
  z.object({
    thingName: ThingName,
    messageId: z.string().min(1),
    topic: z.string().min(1),
    values: z.array(ReportedValue).min(1),
  }),
  'A device reported resource values (a SenML pack, resolved).',
);

export const AlarmSeverity = z.enum(['critical', 'major', 'minor', 'warning']);
export type AlarmSeverity = z.infer<typeof AlarmSeverity>;

/** v1 stored severity as a number 1..4 (1 = critical). Kept so old events can be read and upcast. */
export const AlarmRaisedV1 = defineEvent(
  'AlarmRaised',
  1,
  z.object({
    thingName: ThingName,
    alarmId: z.string().min(1),
    code: z.string().min(1),
    severity: z.number().int().min(1).max(4),
    message: z.string().optional(),
    raisedAt: IsoTime,
  }),
  'A device raised an alarm (v1: numeric severity).',
);

export const AlarmRaised = defineEvent(
  'AlarmRaised',
  2,
  z.object({
    thingName: ThingName,
    alarmId: z.string().min(1),
    code: z.string().min(1),
    severity: AlarmSeverity,
    message: z.string().optional(),
    path: Lwm2mPath.optional(),
    raisedAt: IsoTime,
  }),
  'A device raised an alarm.',
);

export const AlarmCleared = defineEvent(
  'AlarmCleared',
  1,
  z.object({ thingName: ThingName, alarmId: z.string().min(1), clearedAt: IsoTime }),
  'The condition behind an alarm has ended (reported by the device).',
);

export const AlarmAcknowledged = defineEvent(
  'AlarmAcknowledged',
  1,
  z.object({ thingName: ThingName, alarmId: z.string().min(1), commandId: z.string().min(1), note: z.string().optional() }),
  'An operator acknowledged an alarm; the actor says who.',
);

export const MessageRejected = defineEvent(
  'MessageRejected',
  1,
  z.object({
    thingName: ThingName.optional(),
    topic: z.string(),
    messageId: z.string().min(1),
    stage: z.enum(['topic', 'decode', 'validate', 'unknown-device']),
    reason: z.string().min(1),
    payloadBase64: z.string(),
    payloadBytes: z.number().int().nonnegative(),
    truncated: z.boolean(),
    receivedAt: IsoTime,
  }),
  'A message could not be decoded or validated; its bytes and the reason are kept.',
);
