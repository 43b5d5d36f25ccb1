/**
 * In-process mutual exclusion per key (an instance id, a tenant network): the API, the
 * reconciler and background work never act on the same object at once inside one berth.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `fn` once every earlier holder of `key` is done. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(fn, fn);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Runs `fn` only if nobody holds `key`; otherwise undefined (the holder is already on it). */
  tryRun<T>(key: string, fn: () => Promise<T>): Promise<T> | undefined {
    if (this.tails.has(key)) return undefined;
    return this.run(key, fn);
  }

  isBusy(key: string): boolean {
    return this.tails.has(key);
  }
}
