import type { AlarmRow } from '../../events/projections/alarms.ts';
import type { DeviceStateRow } from '../../events/projections/deviceState.ts';
import type { RejectionRow } from '../../events/projections/rejections.ts';

/**
 * The projection reads behind the device views: narrow, paged, and each answerable from an index.
 * Event streams (history, replay) are read through the EventStore port instead.
 */

export const ALARM_STATUSES = ['active', 'cleared', 'acknowledged', 'all'] as const;
export type AlarmStatusFilter = (typeof ALARM_STATUSES)[number];

export const REJECTION_STAGES = ['topic', 'decode', 'validate', 'unknown-device'] as const;
export type RejectionStage = (typeof REJECTION_STAGES)[number];

export interface AlarmPageRequest {
  readonly thingName: string;
  readonly status: AlarmStatusFilter;
  readonly limit: number;
  /** Start strictly after this alarm id (ids in code-unit order). */
  readonly afterAlarmId?: string | undefined;
}

/** Where a rejection sits in the newest-first order. */
export interface RejectionPosition {
  readonly receivedAt: string;
  readonly eventId: string;
}

export interface RejectionPageRequest {
  readonly thingName?: string | undefined;
  readonly stage?: RejectionStage | undefined;
  readonly limit: number;
  /** Start strictly after (older than) this rejection. */
  readonly after?: RejectionPosition | undefined;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Whether items follow the last one returned. */
  readonly more: boolean;
}

/** The bytes a rejection kept (MessageRejected keeps at most the first 128 KiB). */
export interface RejectedPayload {
  readonly payloadBase64: string;
  readonly truncated: boolean;
}

export interface DeviceReadModel {
  deviceState(thingName: string): Promise<DeviceStateRow | undefined>;
  alarms(request: AlarmPageRequest): Promise<Page<AlarmRow>>;
  rejections(request: RejectionPageRequest): Promise<Page<RejectionRow>>;
  /** The kept bytes of MessageRejected events, by event id; ids that are not such events are left out. */
  rejectedPayloads(eventIds: readonly string[]): Promise<ReadonlyMap<string, RejectedPayload>>;
}
