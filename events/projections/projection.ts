import type { DomainEvent, EventType } from '../catalog/index.ts';

/**
 * A projection is a pure fold over events into keyed rows (STYLE.md 3). The engine loads the rows
 * an event touches, calls `apply`, and stores the results with its checkpoint in one transaction,
 * so a projection never sees an event twice and can always be rebuilt from zero.
 */
export type EventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;

export interface Projection<Row = unknown, T extends EventType = EventType> {
  /** Stable name; also the name of its rows in the projection store. */
  readonly name: string;
  /** Bump when apply or the row shape changes: the engine rebuilds the projection from zero. */
  readonly version: number;
  /** Event types the projection reads; the engine never calls it with others. */
  readonly handles: readonly T[];
  /** Keys of the rows an event touches. */
  keys(event: EventOf<T>): readonly string[];
  /** The row after the event; `undefined` deletes the row. Must not mutate `row`. */
  apply(row: Row | undefined, event: EventOf<T>, key: string): Row | undefined;
}

export const defineProjection = <Row, T extends EventType>(p: Projection<Row, T>): Projection<Row, T> => p;

/** A projection of any row type, as the engine holds it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyProjection = Projection<any, any>;

/**
 * Folds events over rows in memory: the reference semantics the engine must match. Folds events into rows: only handled types, every key an event names, `undefined` deletes.
 * Pass `rows` to continue a fold page by page (a replay holds one page of events at a time).
 */
export const foldProjection = <Row, T extends EventType>(
  projection: Projection<Row, T>,
  events: Iterable<DomainEvent>,
  rows: Map<string, Row> = new Map<string, Row>(),
): Map<string, Row> => {
  const handled = new Set<string>(projection.handles);
  for (const event of events) {
    if (!handled.has(event.type)) continue;
    const e = event as EventOf<T>;
    for (const key of projection.keys(e)) {
      const next = projection.apply(rows.get(key), e, key);
      if (next === undefined) rows.delete(key);
      else rows.set(key, next);
    }
  }
  return rows;
};
