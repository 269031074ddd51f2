import { z } from 'zod';

/** Who caused an event: an operator (by subject and role), a device, or the system itself. */
export const Actor = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('user'), id: z.string().min(1), role: z.enum(['admin', 'operator', 'viewer']).optional() }),
  z.object({ kind: z.literal('device'), id: z.string().min(1) }),
  z.object({ kind: z.literal('system'), id: z.string().min(1) }),
]);
export type Actor = z.infer<typeof Actor>;

/** What a caller hands to the store. The store assigns positions and the recorded-at time. */
export interface NewEvent<T extends string = string, D = unknown> {
  /** Unique per fact; the idempotency key. A redelivered event carries the same id. */
  readonly eventId: string;
  readonly type: T;
  readonly typeVersion: number;
  readonly data: D;
  readonly actor: Actor;
  readonly correlationId?: string | undefined;
  readonly causationId?: string | undefined;
}

/** An event as stored and read back. */
export interface StoredEvent<T extends string = string, D = unknown> extends NewEvent<T, D> {
  readonly streamId: string;
  /** 1-based, gap-free position in its stream. */
  readonly streamPosition: number;
  /** Store-wide order where the store has one (SQLite); absent on DynamoDB (see ADR 0002). */
  readonly globalPosition?: number | undefined;
  /** ISO-8601 UTC time the store recorded the event. */
  readonly recordedAt: string;
}

/** Expected version of a stream on append: a number (0 = the stream must not exist yet) or `any`. */
export type ExpectedVersion = number | 'any';

/** Stream ids are `<category>-<id>`, so a device's stream is `device-<thingName>`. */
export const streamIdFor = {
  device: (thingName: string) => `device-${thingName}`,
  command: (commandId: string) => `command-${commandId}`,
  batch: (batchId: string) => `batch-${batchId}`,
} as const;

export const categoryOf = (streamId: string): string => {
  const dash = streamId.indexOf('-');
  return dash === -1 ? streamId : streamId.slice(0, dash);
};
