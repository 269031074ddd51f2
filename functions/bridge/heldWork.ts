import type { Scheduler, TimerHandle } from '../lwm2m/scheduler.ts';

/**
 * Work for queue-mode devices that are asleep (LwM2M Core §6.5): commands and credential deliveries
 * wait here, per endpoint, until the device next speaks, and then go out in arrival order.
 *
 * The bridge holds them rather than handing them to the LwM2M server's own queue because each
 * carries an expiry the server does not know: past `expiresAt` the work is dropped without a word
 * (the backend records the timeout itself), whether the device wakes later or never.
 *
 * "Asleep" follows the server's rule: a queue-mode device is reachable for `awakeMs` after it last
 * sent something. The bridge sees Register, Update, Send, notifications and the answers to its own
 * requests, not CoAP pings, so it may think a pinging device asleep that the server would reach:
 * the work then waits for the next Update, which is late but never wrong.
 */

export interface HeldJob {
  readonly expiresAtMs: number;
  /** The device woke in time: do the work now. */
  run(): void;
  /** The device left (de-registered, expired) or the bridge is closing: answer that it failed. */
  abandon(reason: 'device-gone' | 'closed'): void;
  /** The expiry passed while waiting: say nothing more. */
  expired(): void;
}

interface Entry {
  readonly job: HeldJob;
  readonly timer: TimerHandle;
}

export class HeldWork {
  private readonly lastHeard = new Map<string, number>();
  private readonly waiting = new Map<string, Entry[]>();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly awakeMs: number,
    private readonly maxPerDevice: number,
  ) {}

  /** How many jobs wait, over all devices. */
  get size(): number {
    let n = 0;
    for (const entries of this.waiting.values()) n += entries.length;
    return n;
  }

  /** The device sent something: it is awake for `awakeMs`, and what waited for it goes out now. */
  heardFrom(endpoint: string): void {
    this.lastHeard.set(endpoint, this.scheduler.now());
    const entries = this.waiting.get(endpoint);
    if (entries === undefined) return;
    this.waiting.delete(endpoint);
    const now = this.scheduler.now();
    for (const { job, timer } of entries) {
      timer.cancel();
      if (now >= job.expiresAtMs) job.expired();
      else job.run();
    }
  }

  isAwake(endpoint: string, queueMode: boolean): boolean {
    if (!queueMode) return true;
    const heard = this.lastHeard.get(endpoint);
    return heard !== undefined && this.scheduler.now() < heard + this.awakeMs;
  }

  /** Holds a job until the device wakes; false when `maxPerDevice` already wait (the caller answers queue-full). */
  hold(endpoint: string, job: HeldJob): boolean {
    const entries = this.waiting.get(endpoint) ?? [];
    if (entries.length >= this.maxPerDevice) return false;
    const entry: Entry = {
      job,
      timer: this.scheduler.after(Math.max(0, job.expiresAtMs - this.scheduler.now()), () => {
        const list = this.waiting.get(endpoint);
        const at = list?.indexOf(entry) ?? -1;
        if (list === undefined || at < 0) return;
        list.splice(at, 1);
        if (list.length === 0) this.waiting.delete(endpoint);
        job.expired();
      }),
    };
    entries.push(entry);
    this.waiting.set(endpoint, entries);
    return true;
  }

  /** The device is gone: nothing that waited for it will be sent. */
  forget(endpoint: string): void {
    this.lastHeard.delete(endpoint);
    this.abandonAll(endpoint, 'device-gone');
  }

  close(): void {
    for (const endpoint of [...this.waiting.keys()]) this.abandonAll(endpoint, 'closed');
    this.lastHeard.clear();
  }

  private abandonAll(endpoint: string, reason: 'device-gone' | 'closed'): void {
    const entries = this.waiting.get(endpoint);
    this.waiting.delete(endpoint);
    for (const { job, timer } of entries ?? []) {
      timer.cancel();
      job.abandon(reason);
    }
  }
}
