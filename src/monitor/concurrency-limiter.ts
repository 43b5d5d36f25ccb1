/**
 * Runs at most `limit` tasks at once, the rest in FIFO order. Keeps a high-water mark so the
 * cap can be observed (metrics, tests) rather than trusted.
 */
export class ConcurrencyLimiter {
  private running = 0;
  private peak = 0;
  private readonly queue: Array<() => void> = [];
  private closed = false;

  constructor(readonly limit: number, private readonly onChange?: (active: number, peak: number) => void) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }

  get active(): number {
    return this.running;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** The most tasks ever running at once. */
  get highWater(): number {
    return this.peak;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) throw new LimiterClosedError();
    if (this.running >= this.limit) {
      // The finishing task hands its slot straight to the waiter, so nobody can slip in between.
      await new Promise<void>((resolve, reject) => this.queue.push(() => (this.closed ? reject(new LimiterClosedError()) : resolve())));
    } else {
      this.running++;
    }
    if (this.running > this.peak) this.peak = this.running;
    this.onChange?.(this.running, this.peak);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private release(): void {
    const next = this.closed ? undefined : this.queue.shift();
    if (next) {
      next();
      return;
    }
    this.running--;
    this.onChange?.(this.running, this.peak);
  }

  /** Refuses new tasks and rejects the waiting ones; running tasks finish. */
  close(): void {
    this.closed = true;
    // Rejected waiters never took a slot.
    for (const next of this.queue.splice(0)) next();
  }
}

export class LimiterClosedError extends Error {
  constructor() {
    super('the limiter is closed');
    this.name = 'LimiterClosedError';
  }
}
