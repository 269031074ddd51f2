import { z } from 'zod';
import { IsoTime, ThingName } from '../../events/catalog/common.ts';
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

// ---- responses (their own file, so the browser can type-import them) -------------------------

export {
  ResourceStateSchema,
  DeviceStateRowSchema,
  DeviceStateViewSchema,
  HistoryEventSchema,
  DeviceHistoryPageSchema,
  AlarmSchema,
  DeviceAlarmsPageSchema,
  RejectionSchema,
  RejectionPageSchema,
} from './deviceViewResponses.ts';
