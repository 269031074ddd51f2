import type { z } from 'zod';

/**
 * A domain event contract: one stable name (also the bus detail-type and JSON Schema id,
 * STYLE.md 7), one version, one schema. A stored event's shape is never edited: a change is a
 * new version plus an upcaster from the old one (events/upcasting.ts).
 */
export interface EventDefinition<T extends string = string, S extends z.ZodType = z.ZodType> {
  readonly type: T;
  readonly version: number;
  readonly schema: S;
  readonly description: string;
}

export const defineEvent = <T extends string, S extends z.ZodType>(
  type: T,
  version: number,
  schema: S,
  description: string,
): EventDefinition<T, S> => ({ type, version, schema, description });
