/**
 * An async iterable fed by pushes: the notifications of one observation. The buffer is bounded;
 * a slow reader loses the oldest items (counted through `onDrop`), never the newest, because the
 * newest notification is the current state. `end()` lets a reader finish after the buffer drains.
 */
export class NotificationStream<T> implements AsyncIterable<T> {
  private readonly buffer: T[] = [];
  private readonly readers: ((result: IteratorResult<T>) => void)[] = [];
  private done = false;

  constructor(
    private readonly capacity: number,
    private readonly onDrop: () => void,
  ) {}

  get ended(): boolean {
    return this.done;
  }

  push(item: T): void {
    if (this.done) return;
    const reader = this.readers.shift();
    if (reader !== undefined) {
      reader({ value: item, done: false });
      return;
    }
    this.buffer.push(item);
    if (this.buffer.length > this.capacity) {
      this.buffer.shift();
      this.onDrop();
    }
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    for (const reader of this.readers.splice(0)) reader({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.buffer.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.readers.push(resolve));
      },
      return: () => {
        // The reader stopped early (break): it wants no more, but the observation stays until cancelled.
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
