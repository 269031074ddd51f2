import { z } from 'zod';

/** AWS IoT thing names: 1-128 of [a-zA-Z0-9:_-]. The serial in a manifest becomes the thing name. */
export const ThingName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[a-zA-Z0-9:_-]+$/, 'a thing name uses only letters, digits, ":", "_" and "-"');

export const IsoTime = z.iso.datetime({ offset: true });

export const Location = z.object({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
});
export type Location = z.infer<typeof Location>;

/** An LwM2M path: /object[/instance[/resource[/resource-instance]]]. */
export const Lwm2mPath = z.string().regex(/^\/\d{1,5}(\/\d{1,5}){0,3}$/, 'an LwM2M path looks like /3303/0/5700');
