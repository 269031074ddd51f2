import { z } from 'zod';
import { IsoTime, ThingName } from '../../events/catalog/common.ts';
import { AlarmSeverity, ReportedValue } from '../../events/catalog/deviceData.ts';
import { Actor } from '../../events/envelope.ts';
import { ALARM_STATUSES, REJECTION_STAGES } from './deviceReadModel.ts';
import { MAX_CURSOR_LENGTH } from './viewCursor.ts';
import { DIRECTIONS, EVENT_TYPES, INCLUDES, VIEW_LIMITS } from './viewQueries.ts';

/**
 * The device views' wire shapes, for the OpenAPI document (functions/api/openapi/operations.ts)
 * and for tests that parse real responses. Objects are open: clients must accept new fields.
 * The parameter schemas document the query strings; viewQueries.ts is what reads them.
 */

// ---- parameters -----------------------------------------------------------------------------

const cursorParam = z.string().max(MAX_CURSOR_LENGTH).optional().meta({ description: 'The nextCursor of the previous page, with the same other parameters (limit may change).' });
const time = (description: string) => IsoTime.optional().meta({ description, examples: ['2026-03-01T12:00:00Z'] });

export const StateParams = z.object({
  at: time('The state as of this instant: a replay of the device’s stream up to it (events recorded at or before it). Without it: the live projection row.'),
});

export const HistoryParams = z.object({
  limit: z.int().min(1).max(VIEW_LIMITS.history.maxLimit).optional().meta({ description: `Events per page; ${VIEW_LIMITS.history.defaultLimit} unless given.` }),
  cursor: cursorParam,
  type: z.string().optional().meta({ description: `Comma-separated event types to keep (up to ${VIEW_LIMITS.history.maxTypes}): ${EVENT_TYPES.join(', ')}.`, examples: ['DeviceStateReported,AlarmRaised'] }),
  from: time('Events recorded at or after this instant.'),
  to: time('Events recorded before this instant.'),
  direction: z.enum(DIRECTIONS).optional().meta({ description: 'forwards (oldest first, the default) or backwards (newest first).' }),
});

export const AlarmsParams = z.object({
  status: z.enum(ALARM_STATUSES).optional().meta({ description: 'active or cleared (the alarm’s state), acknowledged (acknowledged by an operator, in either state), or all (the default).' }),
  limit: z.int().min(1).max(VIEW_LIMITS.alarms.maxLimit).optional().meta({ description: `Alarms per page; ${VIEW_LIMITS.alarms.defaultLimit} unless given.` }),
  cursor: cursorParam,
});

export const RejectionsParams = z.object({
  thingName: ThingName.optional().meta({ description: 'Only this device’s rejected messages.' }),
  stage: z.enum(REJECTION_STAGES).optional().meta({ description: 'Only messages refused at this stage.' }),
  limit: z.int().min(1).max(VIEW_LIMITS.rejections.maxLimit).optional().meta({
    description: `Rejections per page; ${VIEW_LIMITS.rejections.defaultLimit} unless given. With include=payload at most ${VIEW_LIMITS.rejections.maxLimitWithPayload} (the default then).`,
  }),
  cursor: cursorParam,
  include: z.enum(INCLUDES).optional().meta({ description: 'payload: add each message’s kept bytes as base64 (payloadBase64, truncated).' }),
});

// ---- responses ------------------------------------------------------------------------------

export const ResourceStateSchema = z.object({ value: ReportedValue.shape.value, time: IsoTime, unit: z.string().optional() });

export const DeviceStateRowSchema = z.object({
  thingName: ThingName,
  resources: z.record(z.string(), ResourceStateSchema).meta({ description: 'Latest value per resource (its LwM2M path where it has one).' }),
  lastReportedAt: IsoTime.meta({ description: 'The latest device time in any record.' }),
  lastSeen: IsoTime.meta({ description: 'When the store recorded the latest message.' }),
  messages: z.int().min(0),
});

export const DeviceStateViewSchema = z.object({
  thingName: ThingName,
  source: z.enum(['projection', 'replay']).meta({ description: 'projection: the live row; replay: folded from the stream for `at`.' }),
  at: IsoTime.optional().meta({ description: 'The instant asked for (replay only).' }),
  streamPosition: z.int().min(0).optional().meta({ description: 'The position of the last event folded (replay only; 0: none).' }),
  state: DeviceStateRowSchema.nullable().meta({ description: 'null: the device had reported no state (or was deprovisioned) by then.' }),
});

export const HistoryEventSchema = z.object({
  eventId: z.string(),
  streamId: z.string(),
  streamPosition: z.int().min(1),
  globalPosition: z.int().min(1).optional(),
  type: z.string(),
  typeVersion: z.int().min(1).meta({ description: 'The current version of the type: stored events are upcast on reading.' }),
  upcastFrom: z.int().min(1).optional().meta({ description: 'The version the event was stored in, when it was upcast.' }),
  recordedAt: IsoTime,
  actor: Actor,
  correlationId: z.string().optional(),
  causationId: z.string().optional(),
  data: z.unknown().meta({ description: 'The event’s data, shaped as its type’s schema says.' }),
  unreadable: z.string().optional().meta({ description: 'Set when the event cannot be upcast; it is then shown as stored.' }),
});

export const DeviceHistoryPageSchema = z.object({
  thingName: ThingName,
  items: z.array(HistoryEventSchema),
  nextCursor: z.string().optional().meta({ description: 'Absent on the last page. A page may hold fewer than limit events (even none) and still have one when a type filter skipped many.' }),
});

export const AlarmSchema = z.object({
  thingName: ThingName,
  alarmId: z.string(),
  code: z.string(),
  severity: AlarmSeverity,
  message: z.string().optional(),
  path: z.string().optional(),
  state: z.enum(['active', 'cleared']),
  since: IsoTime,
  raisedAt: IsoTime,
  clearedAt: IsoTime.optional(),
  acknowledged: z.object({ by: z.string(), at: IsoTime, commandId: z.string(), note: z.string().optional() }).optional(),
});

export const DeviceAlarmsPageSchema = z.object({
  thingName: ThingName,
  status: z.enum(ALARM_STATUSES),
  items: z.array(AlarmSchema),
  nextCursor: z.string().optional(),
});

export const RejectionSchema = z.object({
  eventId: z.string(),
  thingName: ThingName.optional().meta({ description: 'Absent when the sender could not be identified.' }),
  topic: z.string(),
  messageId: z.string(),
  stage: z.enum(REJECTION_STAGES),
  reason: z.string(),
  payloadBytes: z.int().min(0).meta({ description: 'The size of the message as received.' }),
  receivedAt: IsoTime,
  payloadBase64: z.string().optional().meta({ description: 'With include=payload: the kept bytes (at most the first 128 KiB).' }),
  truncated: z.boolean().optional().meta({ description: 'With include=payload: whether payloadBase64 holds less than the whole message.' }),
});

export const RejectionPageSchema = z.object({
  items: z.array(RejectionSchema).meta({ description: 'Newest first.' }),
  nextCursor: z.string().optional(),
});
