import type { EventStore } from '../eventStore/eventStore.ts';
import type { Clock } from '../shared/clock.ts';
import { decideExpiry } from './commandLifecycle.ts';
import { decideAndAppend } from './commandStream.ts';

/** Appends CommandTimedOut to one command if it is still open and past its expiry; true when it did. */
export const expireCommand =
  (deps: { readonly events: Pick<EventStore, 'append' | 'readStream'>; readonly clock: Clock }) =>
  (commandId: string): Promise<boolean> =>
    decideAndAppend(deps.events, commandId, (state) => {
      const events = state ? decideExpiry(state, deps.clock.now()) : [];
      return { events, result: events.length > 0 };
    });

export interface ExpirySweeperOptions {
  readonly clock: Clock;
  /** Open commands whose expiry is at or before `now` (the command-audit projection answers). */
  readonly due: (now: Date, limit: number) => readonly { readonly commandId: string }[];
  /** The soonest expiry of any open command. */
  readonly nextExpiry: () => string | undefined;
  readonly expire: (commandId: string) => Promise<boolean>;
  /** Resolves once the projection has caught up with the store, so a command just requested is seen. */
  readonly settle: () => Promise<void>;
  /** The longest the sweeper sleeps with nothing due (a safety net; notify() normally wakes it). */
  readonly maxSleepMs?: number;
  readonly batchSize?: number;
  readonly log?: { error(details: object, message: string): void };
}

export interface ExpirySweeper {
  /** Sweeps once at once (commands that expired while the system was down), then keeps sweeping. */
  start(): void;
  /** A command now expires at this time: wake then if that is sooner than planned. */
  notify(expiresAt: string): void;
  /** One sweep now; resolves to how many commands it timed out. */
  sweep(): Promise<number>;
  /** Cancels the timer and waits for a sweep in progress. */
  stop(): Promise<void>;
}

/** setTimeout's ceiling (about 24.8 days); longer waits are split. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The embedded expiry: a single timer set for the soonest open expiry. It needs no state of its
 * own to survive a restart: the open commands and their expiries are in the command-audit
 * projection, which the first sweep reads, so a command that expired while the system was down is
 * timed out at start. Sweeps never overlap; a failing sweep is logged and retried later.
 */
export const createExpirySweeper = (options: ExpirySweeperOptions): ExpirySweeper => {
  const maxSleepMs = options.maxSleepMs ?? 60_000;
  const batchSize = options.batchSize ?? 100;
  let timer: NodeJS.Timeout | undefined;
  let wakeAt = Number.POSITIVE_INFINITY;
  let running: Promise<number> | undefined;
  let again = false;
  let stopped = true;

  const schedule = (at: number) => {
    if (stopped || at >= wakeAt) return;
    if (timer) clearTimeout(timer);
    wakeAt = at;
    const delay = Math.min(Math.max(0, at - options.clock.now().getTime()), MAX_TIMER_MS);
    timer = setTimeout(() => {
      timer = undefined;
      wakeAt = Number.POSITIVE_INFINITY;
      void sweep();
    }, delay);
    timer.unref();
  };

  const sweepOnce = async (): Promise<number> => {
    await options.settle();
    let expired = 0;
    for (;;) {
      const due = options.due(options.clock.now(), batchSize);
      let progressed = false;
      for (const { commandId } of due) {
        if (await options.expire(commandId)) {
          expired++;
          progressed = true;
        }
      }
      if (due.length < batchSize || !progressed) break;
      // A full batch: the projection must catch up before the next one is read.
      await options.settle();
    }
    return expired;
  };

  const planNext = () => {
    const next = options.nextExpiry();
    const now = options.clock.now().getTime();
    const at = next === undefined ? now + maxSleepMs : Math.min(Date.parse(next), now + maxSleepMs);
    // An open command already past its expiry that this sweep could not close: try again shortly, not in a loop.
    schedule(Math.max(at, now + 50));
  };

  const sweep = (): Promise<number> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let total = 0;
      do {
        again = false;
        try {
          total += await sweepOnce();
        } catch (err) {
          options.log?.error({ err }, 'the command expiry sweep failed; it runs again shortly');
        }
      } while (again && !stopped);
      return total;
    })().finally(() => {
      running = undefined;
      if (!stopped) planNext();
    });
    return running;
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      void sweep();
    },
    notify(expiresAt) {
      const at = Date.parse(expiresAt);
      if (Number.isFinite(at)) schedule(at);
    },
    sweep,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      wakeAt = Number.POSITIVE_INFINITY;
      await running?.catch(() => undefined);
    },
  };
};
