import { z } from 'zod';
import { IsoTime, ThingName } from '../../events/catalog/common.ts';
import { AlarmSeverity, ReportedValue } from '../../events/catalog/deviceData.ts';
import { Actor } from '../../events/envelope.ts';
import { ALARM_STATUSES, REJECTION_STAGES } from './deviceReadModel.ts';

/**
 * The device views' response shapes. Apart from the parameter schemas (deviceViewSchemas.ts,
 * which re-exports these) because those reach the cursor codec and the event store, which are
 * Node-only: the console (functions/dashboard/app) type-imports these to read responses, and its
 * browser type check has no Node types. Keep this file free of Node imports.
 */

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
