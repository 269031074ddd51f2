import type { ReportedValue } from '../catalog/index.ts';
import { defineProjection } from './projection.ts';

export interface ResourceState {
  readonly value: ReportedValue['value'];
  readonly time: string;
  readonly unit?: string | undefined;
}

export interface DeviceStateRow {
  readonly thingName: string;
  /** Latest value per resource name (the LwM2M path where the record has one). */
  readonly resources: Readonly<Record<string, ResourceState>>;
  /** Latest device time seen in any record. */
  readonly lastReportedAt: string;
  /** When the store recorded the latest message from the device. */
  readonly lastSeen: string;
  readonly messages: number;
}

/** Latest value and time per resource: a late, older record never overwrites a newer one. */
export const deviceStateProjection = defineProjection({
  name: 'device-state',
  version: 1,
  handles: ['DeviceStateReported', 'DeviceDeprovisioned'],
  keys: (event) => [event.data.thingName],
  apply(row: DeviceStateRow | undefined, event): DeviceStateRow | undefined {
    if (event.type === 'DeviceDeprovisioned') return undefined;
    if (event.type !== 'DeviceStateReported') return row;
    const resources: Record<string, ResourceState> = { ...row?.resources };
    let lastReportedAt = row?.lastReportedAt ?? '';
    for (const v of event.data.values) {
      const key = v.path ?? v.name;
      const previous = resources[key];
      if (!previous || Date.parse(previous.time) <= Date.parse(v.time)) {
        resources[key] = { value: v.value, time: v.time, ...(v.unit === undefined ? {} : { unit: v.unit }) };
      }
      if (!lastReportedAt || Date.parse(v.time) > Date.parse(lastReportedAt)) lastReportedAt = v.time;
    }
    return {
      thingName: event.data.thingName,
      resources,
      lastReportedAt,
      lastSeen: row && row.lastSeen > event.recordedAt ? row.lastSeen : event.recordedAt,
      messages: (row?.messages ?? 0) + 1,
    };
  },
});
