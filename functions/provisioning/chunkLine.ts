import { z } from 'zod';
import { Location, ThingName } from '../../events/catalog/common.ts';

/** What a device should be, as a manifest row says it: the fields provisioning compares and records. */
export const DesiredDevice = z.object({
  thingName: ThingName,
  tenant: z.string().min(1),
  location: Location,
  attributes: z.record(z.string(), z.string()),
  thingGroup: z.string().min(1).optional(),
  deviceType: z.string().min(1).optional(),
});
export type DesiredDevice = z.infer<typeof DesiredDevice>;

/** One line of a chunk object: the manifest row number (for the report) and the device. */
export const ChunkLine = z.object({ rowNumber: z.number().int().positive(), device: DesiredDevice });
export type ChunkLine = z.infer<typeof ChunkLine>;
