import type { z } from 'zod';
import type { Actor } from '../../../../../events/envelope.ts';
import type { AlarmRow } from '../../../../../events/projections/alarms.ts';
import type { DeviceRow } from '../../../../../events/projections/devices.ts';
import type { DeviceStateRow as StateRow } from '../../../../../events/projections/deviceState.ts';
import type { CommandAcceptedSchema, CommandDetailSchema } from '../../../../commands/commandApiSchemas.ts';

/**
 * The wire shapes the device page reads. The device views' schemas (functions/deviceViews/
 * deviceViewSchemas.ts) reach Node's crypto through their cursor module, so their shapes are
 * restated here from the rows they serve (events/projections) and HistoryEventSchema; the
 * command shapes come from the command API's own schemas (types only: no zod runs here).
 */
export type DeviceRecord = DeviceRow;
export type DeviceStateRow = StateRow;
export type ResourceState = DeviceStateRow['resources'][string];
export type StateValue = ResourceState['value'];

export interface DeviceStateView {
  readonly thingName: string;
  /** projection: the live row; replay: folded from the stream for `at`. */
  readonly source: 'projection' | 'replay';
  readonly at?: string;
  readonly streamPosition?: number;
  readonly state: DeviceStateRow | null;
}

export interface HistoryEvent {
  readonly eventId: string;
  readonly streamId: string;
  readonly streamPosition: number;
  readonly globalPosition?: number;
  readonly type: string;
  readonly typeVersion: number;
  readonly upcastFrom?: number;
  readonly recordedAt: string;
  readonly actor: Actor;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly data: unknown;
  readonly unreadable?: string;
}

export interface HistoryPage {
  readonly thingName: string;
  readonly items: readonly HistoryEvent[];
  readonly nextCursor?: string;
}

export type Alarm = AlarmRow;

export interface AlarmsPage {
  readonly thingName: string;
  readonly status: string;
  readonly items: readonly Alarm[];
  readonly nextCursor?: string;
}

export type CommandAccepted = z.infer<typeof CommandAcceptedSchema>;
export type CommandDetail = z.infer<typeof CommandDetailSchema>;
