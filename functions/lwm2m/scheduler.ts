/**
 * Time for the LwM2M server: registration lifetimes, CoAP retransmissions, queue-mode expiry.
 * Every timer goes through here so tests can move time by hand instead of sleeping.
 */

export interface TimerHandle {
  cancel(): void;
}

export interface Scheduler {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `task` once after `ms`. The handle cancels it; cancelling twice is harmless. */
  after(ms: number, task: () => void): TimerHandle;
}

/** setTimeout fires at once for delays above 2^31-1 ms (about 24.8 days); longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  after(ms, task) {
    const due = Date.now() + Math.max(0, ms);
    let timer: NodeJS.Timeout;
    const arm = () => {
      const left = due - Date.now();
      timer = setTimeout(left > MAX_TIMER_MS ? arm : task, Math.min(Math.max(0, left), MAX_TIMER_MS));
      // A pending lifetime or queue timer must not keep a process alive that has nothing else to do.
      timer.unref();
    };
    arm();
    return { cancel: () => clearTimeout(timer) };
  },
};

export interface ManualScheduler extends Scheduler {
  /** Moves time forward, running every task that falls due, in due order (ties in scheduling order). */
  advance(ms: number): void;
  /** Tasks scheduled and not yet run or cancelled. */
  pending(): number;
}

/** A scheduler tests move by hand. Tasks run synchronously inside `advance`. */
export const manualScheduler = (startMs = Date.parse('2026-01-01T00:00:00.000Z')): ManualScheduler => {
  let now = startMs;
  let sequence = 0;
  const tasks = new Map<number, { at: number; task: () => void }>();
  const nextDue = (until: number): [number, { at: number; task: () => void }] | undefined => {
    let best: [number, { at: number; task: () => void }] | undefined;
    for (const entry of tasks) {
      if (entry[1].at > until) continue;
      if (best === undefined || entry[1].at < best[1].at) best = entry;
    }
    return best;
  };
  return {
    now: () => now,
    after(ms, task) {
      const id = sequence++;
      tasks.set(id, { at: now + Math.max(0, ms), task });
      return { cancel: () => void tasks.delete(id) };
    },
    advance(ms) {
      const until = now + ms;
      for (let due = nextDue(until); due !== undefined; due = nextDue(until)) {
        tasks.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].task();
      }
      now = until;
    },
    pending: () => tasks.size,
  };
};
