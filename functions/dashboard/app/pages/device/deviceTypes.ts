import type { z } from 'zod';
import type { DeviceRow } from '../../../../../events/projections/devices.ts';
import type { CommandAcceptedSchema, CommandDetailSchema } from '../../../../commands/commandApiSchemas.ts';
import type {
  AlarmSchema,
  DeviceAlarmsPageSchema,
  DeviceHistoryPageSchema,
  DeviceStateViewSchema,
  HistoryEventSchema,
  ResourceStateSchema,
} from '../../../../deviceViews/deviceViewResponses.ts';

/**
 * The wire shapes the device page reads: the types the server's own response schemas infer.
 * Type imports only: they are erased from the bundle, so the schemas' Node-only neighbours
 * (the view cursor's node:crypto) never reach the browser, and a change to a schema breaks the
 * console's type check instead of drifting from it.
 */
export type DeviceRecord = DeviceRow;
export type DeviceStateView = z.infer<typeof DeviceStateViewSchema>;
export type ResourceState = z.infer<typeof ResourceStateSchema>;
export type StateValue = ResourceState['value'];
export type HistoryEvent = z.infer<typeof HistoryEventSchema>;
export type HistoryPage = z.infer<typeof DeviceHistoryPageSchema>;
export type Alarm = z.infer<typeof AlarmSchema>;
export type AlarmsPage = z.infer<typeof DeviceAlarmsPageSchema>;
export type CommandAccepted = z.infer<typeof CommandAcceptedSchema>;
export type CommandDetail = z.infer<typeof CommandDetailSchema>;
