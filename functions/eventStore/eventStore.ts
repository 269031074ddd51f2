import type { ExpectedVersion, NewEvent, StoredEvent } from '../../events/envelope.ts';

export interface AppendRequest {
  readonly streamId: string;
  readonly expectedVersion: ExpectedVersion;
  readonly events: readonly NewEvent[];
}

/** What an append did. `duplicate` means every event id was already stored: nothing was written. */
export interface AppendResult {
  readonly streamId: string;
  readonly status: 'appended' | 'duplicate';
  /** The stream's version after the append (for a duplicate: the positions the events already hold). */
  readonly nextExpectedVersion: number;
  readonly events: readonly StoredEvent[];
}

export type BatchAppendOutcome =
  | { readonly ok: true; readonly result: AppendResult }
  | { readonly ok: false; readonly error: EventStoreError };

export interface ReadStreamOptions {
  /** Start here (inclusive). Forwards defaults to 1, backwards to the end of the stream. */
  readonly from?: number;
  readonly direction?: 'forwards' | 'backwards';
  readonly limit?: number;
}

export interface ReadAllOptions {
  /** Opaque cursor from a previous page; omit to start at the beginning. */
  readonly after?: string | undefined;
  readonly limit?: number;
}

export interface ReadAllPage {
  readonly events: readonly StoredEvent[];
  /** Pass as `after` to continue; equals the input cursor when nothing new was found. */
  readonly cursor: string | undefined;
}

/**
 * The event store port. Every adapter passes test/eventStore.conformance.ts.
 *
 * - append checks the expected version atomically and is idempotent by event id;
 * - appendBatch appends to many streams at once, each request succeeding or failing on its own;
 * - readStream reads one stream in either direction;
 * - readAll reads every event in an order that keeps each stream's order (for replay).
 */
export interface EventStore {
  append(request: AppendRequest): Promise<AppendResult>;
  appendBatch(requests: readonly AppendRequest[]): Promise<readonly BatchAppendOutcome[]>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<readonly StoredEvent[]>;
  readAll(options?: ReadAllOptions): Promise<ReadAllPage>;
  /** Version of a stream, 0 when it does not exist. */
  streamVersion(streamId: string): Promise<number>;
  close(): Promise<void>;
}

export class EventStoreError extends Error {
  override name = 'EventStoreError';
}

/** The stream was not at the version the caller expected: re-read it, decide again, retry. */
export class WrongExpectedVersionError extends EventStoreError {
  override name = 'WrongExpectedVersionError';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`Stream ${streamId} is at version ${actual}, not the expected ${String(expected)}: re-read the stream and retry.`);
  }
}

/** Some events of an append were already stored and others were not: the caller reused event ids. */
export class PartialDuplicateError extends EventStoreError {
  override name = 'PartialDuplicateError';
  constructor(
    readonly streamId: string,
    readonly duplicateIds: readonly string[],
  ) {
    super(
      `Append to ${streamId} mixes new events with already stored ones (${duplicateIds.join(', ')}): ` +
        'an event id names one fact; retry the whole original append or use fresh ids.',
    );
  }
}

/** An event id is stored in another stream than the one this append targets. */
export class EventIdInOtherStreamError extends EventStoreError {
  override name = 'EventIdInOtherStreamError';
  constructor(
    readonly eventId: string,
    readonly streamId: string,
    readonly storedIn: string,
  ) {
    super(`Event id ${eventId} is already stored in ${storedIn}, so it cannot be appended to ${streamId}: use a fresh id.`);
  }
}

/** The request breaks a limit or rule of the store (empty append, oversized event, bad stream id). */
export class InvalidAppendError extends EventStoreError {
  override name = 'InvalidAppendError';
}

/** The same event ids are being appended right now by another writer; retry shortly (DynamoDB only). */
export class AppendInFlightError extends EventStoreError {
  override name = 'AppendInFlightError';
}

export const MAX_EVENTS_PER_APPEND = 100;
export const MAX_EVENT_BYTES = 256 * 1024;

/**
 * Checks shared by every adapter, before any I/O. Returns each event's data as JSON, so adapters
 * that store JSON serialize once.
 */
export const validateAppend = (request: AppendRequest): string[] => {
  const { streamId, events, expectedVersion } = request;
  if (!/^[a-z][a-z0-9]*-\S{1,200}$/.test(streamId)) {
    throw new InvalidAppendError(`Stream id "${streamId}" must look like "<category>-<id>", e.g. "device-sensor-17".`);
  }
  if (events.length === 0) throw new InvalidAppendError(`Append to ${streamId} has no events.`);
  if (events.length > MAX_EVENTS_PER_APPEND) {
    throw new InvalidAppendError(`Append to ${streamId} has ${events.length} events; at most ${MAX_EVENTS_PER_APPEND} go in one append.`);
  }
  if (expectedVersion !== 'any' && (!Number.isInteger(expectedVersion) || expectedVersion < 0)) {
    throw new InvalidAppendError(`Expected version ${String(expectedVersion)} for ${streamId} must be "any" or an integer >= 0.`);
  }
  const ids = new Set<string>();
  const serialized: string[] = [];
  for (const e of events) {
    if (!e.eventId || e.eventId.length > 200) throw new InvalidAppendError(`An event for ${streamId} has an empty or over-long id.`);
    if (ids.has(e.eventId)) throw new InvalidAppendError(`Event id ${e.eventId} appears twice in one append to ${streamId}.`);
    ids.add(e.eventId);
    const json = JSON.stringify(e.data) as string | undefined;
    if (json === undefined) throw new InvalidAppendError(`Event ${e.eventId} (${e.type}) has no data that JSON can hold.`);
    // Length in UTF-16 units bounds the UTF-8 size from below; measure bytes only near the limit.
    const size = json.length * 3 > MAX_EVENT_BYTES ? Buffer.byteLength(json) : json.length;
    if (size > MAX_EVENT_BYTES) {
      throw new InvalidAppendError(`Event ${e.eventId} (${e.type}) is ${size} bytes; the limit is ${MAX_EVENT_BYTES}.`);
    }
    serialized.push(json);
  }
  return serialized;
};
