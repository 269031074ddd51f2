import type { EventBridgeEnvelope } from './envelope.ts';

/** One event to publish, named and shaped like a PutEvents request entry. */
export interface BusEntry {
  Source: string;
  DetailType: string;
  /** A JSON object; it is serialised as JSON, so values JSON cannot carry (undefined, functions) are dropped. */
  Detail: Record<string, unknown>;
  Resources?: string[];
  /** When the event happened; the bus uses its clock when absent. */
  Time?: Date;
}

/** Per-entry outcome, in request order: an EventId, or an ErrorCode and ErrorMessage (as PutEvents). */
export interface PutResultEntry {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

export interface PutResult {
  FailedEntryCount: number;
  Entries: PutResultEntry[];
}

/** What a rule's target receives. */
export type BusTarget = (event: EventBridgeEnvelope) => Promise<void>;

export interface BusRule {
  /** Unique per bus: dead letters and errors are reported under it. */
  name: string;
  /** An EventBridge event pattern (object or JSON text); an invalid one makes subscribe throw PatternError. */
  pattern: unknown;
  target: BusTarget;
  /**
   * Deliveries in flight at once for this rule (default 1: one at a time, in put order). Above 1,
   * order is not kept, as with EventBridge itself; high-rate targets (ingestion) use it so that
   * their appends share group commits.
   */
  maxConcurrency?: number;
}

/**
 * The event bus port. `put` has PutEvents semantics: a request with no entries or more than
 * MAX_ENTRIES_PER_PUT throws PutEventsValidationError (the API rejects the whole request), while a
 * bad entry fails alone with an ErrorCode and the others are accepted.
 */
export interface Bus {
  put(entries: BusEntry[]): Promise<PutResult>;
  /** Starts delivering matching events to the target; returns the function that stops it. */
  subscribe(rule: BusRule): () => void;
}
