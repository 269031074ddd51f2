import type { AlarmSeverity } from '../catalog/index.ts';
import { defineProjection } from './projection.ts';

export interface AlarmRow {
  readonly thingName: string;
  readonly alarmId: string;
  readonly code: string;
  readonly severity: AlarmSeverity;
  readonly message?: string | undefined;
  readonly path?: string | undefined;
  readonly state: 'active' | 'cleared';
  /** When the alarm entered its current state (device time). */
  readonly since: string;
  readonly raisedAt: string;
  readonly clearedAt?: string | undefined;
  readonly acknowledged?: { readonly by: string; readonly at: string; readonly commandId: string; readonly note?: string | undefined } | undefined;
}

export const alarmKey = (thingName: string, alarmId: string) => `${thingName}/${alarmId}`;

/**
 * Alarms per device: active or cleared, acknowledged or not, severity and since when. A raise
 * after a clear re-opens the alarm and drops the old acknowledgement; a clear or acknowledgement
 * for an alarm never raised is ignored (the event stays in the store for audit).
 */
export const alarmsProjection = defineProjection({
  name: 'alarms',
  version: 1,
  handles: ['AlarmRaised', 'AlarmCleared', 'AlarmAcknowledged', 'DeviceDeprovisioned'],
  keys: (event) => (event.type === 'DeviceDeprovisioned' ? [] : [alarmKey(event.data.thingName, event.data.alarmId)]),
  apply(row: AlarmRow | undefined, event): AlarmRow | undefined {
    switch (event.type) {
      case 'AlarmRaised': {
        const d = event.data;
        if (row?.state === 'active' && row.raisedAt === d.raisedAt) return row;
        return {
          thingName: d.thingName,
          alarmId: d.alarmId,
          code: d.code,
          severity: d.severity,
          message: d.message,
          path: d.path,
          state: 'active',
          since: d.raisedAt,
          raisedAt: d.raisedAt,
        };
      }
      case 'AlarmCleared':
        if (!row || row.state === 'cleared') return row;
        return { ...row, state: 'cleared', since: event.data.clearedAt, clearedAt: event.data.clearedAt };
      case 'AlarmAcknowledged':
        if (!row) return row;
        return {
          ...row,
          acknowledged: { by: event.actor.id, at: event.recordedAt, commandId: event.data.commandId, note: event.data.note },
        };
      default:
        return row;
    }
  },
});
