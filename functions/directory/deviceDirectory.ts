import type { DeviceRow } from '../../events/projections/devices.ts';
import type { FieldError } from '../../schemas/directory/fieldError.ts';
import type { SearchQuery } from '../../schemas/directory/searchQuery.ts';

/** A device as a search returns it; `distanceMeters` is set when the search had `near`. */
export type DirectoryItem = DeviceRow & { readonly distanceMeters?: number };

export interface DirectoryPage {
  /** Matches in order: by distance then thing name for `near`, by thing name otherwise. */
  readonly items: readonly DirectoryItem[];
  /** Pass as `cursor` (with the same search) for the next page; absent on the last page. */
  readonly nextCursor?: string;
  /** Number of matches in all pages; given on the first page (no cursor) only, as counting costs a pass. */
  readonly total?: number;
}

/**
 * The device directory port: searches over the `devices` projection. Adapters: SQLite expression
 * indexes (sqliteDeviceDirectory.ts) for the embedded mode. Paging is by keyset, so a page never
 * repeats or skips a device because others were added or removed meanwhile.
 */
export interface DeviceDirectory {
  /** Throws DirectoryQueryError for a search it cannot run (e.g. a cursor from another search). */
  search(query: SearchQuery): Promise<DirectoryPage>;
  /** Any device by thing name, deprovisioned ones included; undefined when unknown. */
  get(thingName: string): Promise<DeviceRow | undefined>;
}

/** A search that passed the schema but that the directory cannot run; `errors` say which field and why. */
export class DirectoryQueryError extends Error {
  override name = 'DirectoryQueryError';
  constructor(readonly errors: readonly FieldError[]) {
    super(`The device search cannot run: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
  }
}
