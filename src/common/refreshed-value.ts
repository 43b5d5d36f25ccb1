/**
 * A value loaded in the background every `intervalMs` and read for free: what an open,
 * frequently scraped endpoint (/metrics) shows without one store query per request.
 */
export class RefreshedValue<T> {
  private value: T;
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<void> | undefined;

  constructor(private readonly load: () => Promise<T>, private readonly intervalMs: number, initial: T) {
    this.value = initial;
  }

  /** Loads once now, then every interval. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  get(): T {
    return this.value;
  }

  private refresh(): Promise<void> {
    // One load at a time; a failed load keeps the last value (/health reports the store).
    this.loading ??= this.load().then((v) => { this.value = v; }, () => undefined).finally(() => { this.loading = undefined; });
    return this.loading;
  }
}
