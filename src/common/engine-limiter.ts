import { AsyncLocalStorage } from 'node:async_hooks';
import pLimit, { type LimitFunction } from 'p-limit';

/**
 * The one bound on engine-mutating work (runtime.engineConcurrency): API actions, the
 * monitor's restarts, the reconciler and jobs all take a slot from it, so together they never
 * stampede the engine. A call made while already holding a slot (a restart that stops and
 * starts) reuses it instead of waiting for a second one, so nesting cannot deadlock.
 */
export class EngineLimiter {
  private readonly limit: LimitFunction;
  /** The slot this async context holds; timers started inside inherit it, so it is marked released on exit. */
  private readonly holding = new AsyncLocalStorage<{ held: boolean }>();
  private active = 0;
  private peak = 0;

  constructor(readonly size: number, private readonly onChange?: (active: number, peak: number) => void) {
    this.limit = pLimit(size);
  }

  /** Slots in use now. */
  get inFlight(): number {
    return this.active;
  }

  /** Most slots ever in use at once. */
  get highWater(): number {
    return this.peak;
  }

  /** Calls waiting for a slot. */
  get waiting(): number {
    return this.limit.pendingCount;
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.holding.getStore()?.held === true) return fn();
    const slot = { held: true };
    return this.limit(() => this.holding.run(slot, async () => {
      this.active++;
      this.peak = Math.max(this.peak, this.active);
      this.onChange?.(this.active, this.peak);
      try {
        return await fn();
      } finally {
        slot.held = false;
        this.active--;
        this.onChange?.(this.active, this.peak);
      }
    }));
  }
}
