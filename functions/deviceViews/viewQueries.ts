import { z } from 'zod';
import { currentEvents } from '../../events/catalog/index.ts';
import type { FieldError } from '../../schemas/directory/fieldError.ts';
import { ALARM_STATUSES, REJECTION_STAGES, type AlarmStatusFilter, type RejectionPosition, type RejectionStage } from './deviceReadModel.ts';
import type { Direction } from './deviceHistory.ts';
import { integerIn, isoTime, listOf, oneOf, opaque, readQuery, thingNameParam, type QueryResult, type TimePoint } from './queryParams.ts';
import { decodeCursor, fingerprintOf, MAX_CURSOR_LENGTH } from './viewCursor.ts';

/**
 * The query string of each device view, read into a typed query: every rule checked, the cursor
 * decoded against the filters it was made for. The routes only see queries that are valid.
 */

export const VIEW_LIMITS = Object.freeze({
  history: { defaultLimit: 50, maxLimit: 500, maxTypes: 20 },
  alarms: { defaultLimit: 100, maxLimit: 500 },
  /** A page with payloads carries up to 128 KiB of bytes (as base64) per rejection, hence the smaller cap. */
  rejections: { defaultLimit: 50, maxLimit: 500, maxLimitWithPayload: 20 },
});

export const EVENT_TYPES: readonly string[] = Object.freeze(currentEvents.map((d) => d.type));
export const DIRECTIONS = ['forwards', 'backwards'] as const satisfies readonly Direction[];
export const INCLUDES = ['payload'] as const;

type Checked<T> = QueryResult<T>;

const failed = <T>(errors: readonly FieldError[]): Checked<T> => ({ ok: false, errors });

// ---- GET /devices/:thingName/state ------------------------------------------------------------

export interface StateQuery {
  readonly at?: TimePoint | undefined;
}

export const parseStateQuery = (url: string): Checked<StateQuery> => readQuery(url, { at: isoTime });

// ---- GET /devices/:thingName/history ----------------------------------------------------------

export interface HistoryQuery {
  readonly limit: number;
  readonly direction: Direction;
  readonly types?: readonly string[] | undefined;
  readonly from?: TimePoint | undefined;
  readonly to?: TimePoint | undefined;
  /** The stream position this page starts at, from the cursor. */
  readonly start?: number | undefined;
  readonly fingerprint: string;
}

export const parseHistoryQuery = (url: string, thingName: string): Checked<HistoryQuery> => {
  const { history } = VIEW_LIMITS;
  const read = readQuery(url, {
    limit: integerIn(1, history.maxLimit),
    cursor: opaque(MAX_CURSOR_LENGTH),
    type: listOf(EVENT_TYPES, history.maxTypes),
    from: isoTime,
    to: isoTime,
    direction: oneOf(DIRECTIONS),
  });
  if (!read.ok) return read;
  const { limit = history.defaultLimit, cursor, type: types, from, to, direction = 'forwards' } = read.query;
  if (from && to && from.ms >= to.ms) {
    return failed([{ field: 'to', rule: 'after-from', message: `to (${to.iso}) is not after from (${from.iso}).`, hint: 'History is read from `from` (included) up to `to` (left out): give a to later than from.' }]);
  }
  const fingerprint = fingerprintOf('history', { thingName, direction, types, from: from?.iso, to: to?.iso });
  let start: number | undefined;
  if (cursor !== undefined) {
    const decoded = decodeCursor(cursor, fingerprint, z.int().min(1));
    if (!decoded.ok) return failed([decoded.error]);
    start = decoded.position;
  }
  return { ok: true, query: { limit, direction, types, from, to, start, fingerprint } };
};

// ---- GET /devices/:thingName/alarms -----------------------------------------------------------

export interface AlarmsQuery {
  readonly status: AlarmStatusFilter;
  readonly limit: number;
  readonly afterAlarmId?: string | undefined;
  readonly fingerprint: string;
}

export const parseAlarmsQuery = (url: string, thingName: string): Checked<AlarmsQuery> => {
  const { alarms } = VIEW_LIMITS;
  const read = readQuery(url, { status: oneOf(ALARM_STATUSES), limit: integerIn(1, alarms.maxLimit), cursor: opaque(MAX_CURSOR_LENGTH) });
  if (!read.ok) return read;
  const { status = 'all', limit = alarms.defaultLimit, cursor } = read.query;
  const fingerprint = fingerprintOf('alarms', { thingName, status });
  let afterAlarmId: string | undefined;
  if (cursor !== undefined) {
    const decoded = decodeCursor(cursor, fingerprint, z.string().min(1).max(300));
    if (!decoded.ok) return failed([decoded.error]);
    afterAlarmId = decoded.position;
  }
  return { ok: true, query: { status, limit, afterAlarmId, fingerprint } };
};

// ---- GET /rejections --------------------------------------------------------------------------

export interface RejectionsQuery {
  readonly thingName?: string | undefined;
  readonly stage?: RejectionStage | undefined;
  readonly limit: number;
  readonly includePayload: boolean;
  readonly after?: RejectionPosition | undefined;
  readonly fingerprint: string;
}

const RejectionCursor = z.strictObject({ t: z.string().min(1).max(64), k: z.string().min(1).max(300) });

export const parseRejectionsQuery = (url: string): Checked<RejectionsQuery> => {
  const { rejections } = VIEW_LIMITS;
  const read = readQuery(url, {
    thingName: thingNameParam,
    stage: oneOf(REJECTION_STAGES),
    limit: integerIn(1, rejections.maxLimit),
    cursor: opaque(MAX_CURSOR_LENGTH),
    include: oneOf(INCLUDES),
  });
  if (!read.ok) return read;
  const { thingName, stage, cursor, include } = read.query;
  const includePayload = include === 'payload';
  const limit = read.query.limit ?? (includePayload ? rejections.maxLimitWithPayload : rejections.defaultLimit);
  if (includePayload && limit > rejections.maxLimitWithPayload) {
    return failed([
      {
        field: 'limit',
        rule: 'max-with-payload',
        message: `limit ${limit} is above ${rejections.maxLimitWithPayload}, the most rejections a page carries with include=payload.`,
        hint: `Use limit=${rejections.maxLimitWithPayload} or less with include=payload, or leave include out to list up to ${rejections.maxLimit} per page.`,
      },
    ]);
  }
  const fingerprint = fingerprintOf('rejections', { thingName, stage });
  let after: RejectionPosition | undefined;
  if (cursor !== undefined) {
    const decoded = decodeCursor(cursor, fingerprint, RejectionCursor);
    if (!decoded.ok) return failed([decoded.error]);
    after = { receivedAt: decoded.position.t, eventId: decoded.position.k };
  }
  return { ok: true, query: { thingName, stage, limit, includePayload, after, fingerprint } };
};
