import type { Clock } from '../shared/clock.ts';

export interface SweepDueCommandsDeps {
  readonly clock: Clock;
  /** Open commands whose expiry is at or before `now` (the command-audit projection answers). */
  readonly due: (now: Date, limit: number) => Promise<readonly { readonly commandId: string }[]>;
  /** expireCommand: appends CommandTimedOut if the command is still open and past its expiry. */
  readonly expire: (commandId: string) => Promise<boolean>;
  readonly batchSize?: number;
  /** A bound on one sweep, so a scheduled run ends well inside its Lambda timeout. */
  readonly maxBatches?: number;
}

export interface SweepResult {
  readonly due: number;
  readonly expired: number;
}

/**
 * One sweep of the commands past their expiry: the scheduled (AWS) counterpart of the embedded
 * sweeper's timer. It reads the due commands a batch at a time and times each out through
 * expireCommand, which decides on the command's own stream, so a command the projection still
 * shows as open but that has ended is left alone, and two sweeps at once cannot time one out twice.
 * A batch that times nothing out ends the sweep: the projection has not caught up with what this
 * sweep did, and the next run (a minute later) picks up the rest.
 */
export const sweepDueCommands =
  (deps: SweepDueCommandsDeps) =>
  async (): Promise<SweepResult> => {
    const batchSize = deps.batchSize ?? 100;
    const maxBatches = deps.maxBatches ?? 10;
    let due = 0;
    let expired = 0;
    const failed: string[] = [];
    for (let batch = 0; batch < maxBatches; batch++) {
      const found = await deps.due(deps.clock.now(), batchSize);
      due += found.length;
      let progressed = false;
      for (const { commandId } of found) {
        try {
          if (await deps.expire(commandId)) {
            expired++;
            progressed = true;
          }
        } catch (error) {
          // One command that cannot be timed out must not hold back the others.
          failed.push(`${commandId} (${error instanceof Error ? `${error.name}: ${error.message}` : String(error)})`);
        }
      }
      if (found.length < batchSize || !progressed) break;
    }
    if (failed.length > 0) {
      throw new Error(`${failed.length} of ${due} due commands could not be timed out (${expired} were): ${failed.slice(0, 5).join('; ')}. The next sweep tries them again.`);
    }
    return { due, expired };
  };
