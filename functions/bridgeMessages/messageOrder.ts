const ignore = (): void => undefined;

/**
 * The order bridge messages are handled in: concurrently across devices, so that the appends of
 * many devices meet in one group commit, and one after another for each device, so that a device's
 * facts are stored in the order its bridge sent them (a registration before its update or
 * de-registration), however long each one takes. A message about no single device (a bridge's
 * status, which ends the sessions of every device the bridge held) runs alone: after everything
 * before it, and before anything after it.
 *
 * The broker hands over a connection's messages in the order they arrived and acknowledges them in
 * that order; this only decides which of the handlers it started may run at once.
 */
export class MessageOrder {
  /** The last work queued per key; removed once it is done and nothing followed it. */
  private readonly tails = new Map<string, Promise<void>>();
  private readonly running = new Set<Promise<void>>();
  /** The last work that runs alone: everything queued after it waits for it. */
  private barrier: Promise<void> = Promise.resolve();

  /** Work queued and not yet finished. */
  get pending(): number {
    return this.running.size;
  }

  /** Runs `work` after the earlier work for `key` and after any earlier work that runs alone. */
  forKey<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key);
    const result = (before === undefined ? this.barrier : Promise.all([before, this.barrier])).then(work);
    const tail = this.track(result);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Runs `work` once everything queued before it has finished; everything queued after waits for it. */
  alone<T>(work: () => Promise<T>): Promise<T> {
    const result = Promise.all([...this.running, this.barrier]).then(work);
    this.barrier = this.track(result);
    return result;
  }

  /** Whether the work failed or not, what follows it only waits for it to end. */
  private track(result: Promise<unknown>): Promise<void> {
    const done = result.then(ignore, ignore);
    this.running.add(done);
    void done.then(() => this.running.delete(done));
    return done;
  }
}
