/** Where projection rows and checkpoints live. Rows and checkpoints change in one transaction. */
export interface ProjectionCheckpoint {
  readonly version: number;
  /** Global position of the last event the projection has seen (applied or skipped). */
  readonly position: number;
}

export interface ProjectionChange {
  readonly projection: string;
  readonly rows: ReadonlyMap<string, unknown>; // value undefined = delete
  readonly checkpoint: ProjectionCheckpoint;
}

export interface ProjectionStore {
  checkpoint(projection: string): ProjectionCheckpoint | undefined;
  getRows(projection: string, keys: Iterable<string>): Map<string, unknown>;
  getRow(projection: string, key: string): unknown;
  allRows(projection: string): Map<string, unknown>;
  /** Atomically writes the rows and checkpoints of several projections. */
  commit(changes: readonly ProjectionChange[]): void;
  /** Deletes every row and the checkpoint. */
  reset(projection: string): void;
  /** Replaces `target`'s rows and checkpoint with `source`'s, and drops `source`. */
  replace(target: string, source: string): void;
}
