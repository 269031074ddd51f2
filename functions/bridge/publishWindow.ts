/**
 * The bridge's QoS 1 publishes, at most `maxInFlight` unacknowledged at once and the rest waiting
 * in order. Many in flight let the broker hand a burst of messages to the backend together (where
 * their appends share a commit) instead of one per round trip; the cap keeps a slow backend from
 * being handed an unbounded burst, and the queue behind it is what the bridge holds meanwhile. Past
 * `maxQueued` waiting, a publish is refused at once (the caller counts and logs it) rather than
 * growing memory without end while the broker is away.
 *
 * Messages start in the order they were submitted, and mqtt.js writes them in the order they
 * start, so the broker sees them in submission order (and acknowledges them in that order).
 */

export class PublishRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishRefused';
  }
}

interface Waiting<T> {
  readonly message: T;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export interface PublishWindowOptions {
  /** Unacknowledged publishes at once; at least 1. */
  readonly maxInFlight: number;
  /** Publishes waiting behind them before new ones are refused; at least 0. */
  readonly maxQueued: number;
}

export class PublishWindow<T> {
  private readonly waiting: Waiting<T>[] = [];
  private active = 0;
  private closedWith: string | undefined;
  private readonly maxInFlight: number;
  private readonly maxQueued: number;

  /** `send` resolves on PUBACK and rejects when the publish failed. */
  constructor(
    private readonly send: (message: T) => Promise<void>,
    options: PublishWindowOptions,
  ) {
    if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1) {
      throw new RangeError(`maxInFlight ${options.maxInFlight} is not a whole number of at least 1: give how many publishes may await their PUBACK at once`);
    }
    if (!Number.isInteger(options.maxQueued) || options.maxQueued < 0) {
      throw new RangeError(`maxQueued ${options.maxQueued} is not a whole number of at least 0: give how many publishes may wait behind the window`);
    }
    this.maxInFlight = options.maxInFlight;
    this.maxQueued = options.maxQueued;
  }

  /** Publishes awaiting their PUBACK. */
  get inFlight(): number {
    return this.active;
  }

  /** Publishes waiting for a place in the window. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves on PUBACK; rejects when the publish failed, was refused (queue full) or the window closed first. */
  submit(message: T): Promise<void> {
    if (this.closedWith !== undefined) return Promise.reject(new PublishRefused(this.closedWith));
    if (this.active < this.maxInFlight && this.waiting.length === 0) return this.start(message);
    if (this.waiting.length >= this.maxQueued) {
      return Promise.reject(
        new PublishRefused(`${this.waiting.length} messages already wait behind ${this.active} unacknowledged ones; the broker is not keeping up (or is unreachable)`),
      );
    }
    return new Promise<void>((resolve, reject) => this.waiting.push({ message, resolve, reject }));
  }

  /** Refuses what waits and everything submitted from now on; what is in flight still settles. */
  close(reason: string): void {
    this.closedWith ??= reason;
    for (const w of this.waiting.splice(0)) w.reject(new PublishRefused(reason));
  }

  private start(message: T): Promise<void> {
    this.active += 1;
    let sent: Promise<void>;
    try {
      sent = this.send(message);
    } catch (error) {
      sent = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const release = () => {
      this.active -= 1;
      this.pump();
    };
    return sent.then(
      () => release(),
      (error: unknown) => {
        release();
        throw error;
      },
    );
  }

  private pump(): void {
    while (this.active < this.maxInFlight && this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      this.start(next.message).then(next.resolve, next.reject);
    }
  }
}
