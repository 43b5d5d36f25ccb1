import type { Clock } from '../../common/clock.js';

export interface WorkspaceSizesOptions {
  /** Every volume's size by name (the engine's disk-usage walk); absent: sizes are unknown. */
  measure?: () => Promise<Map<string, number | null>>;
  clock: Clock;
  /** A measurement younger than this is served as is. */
  maxAgeMs: number;
  /** How long a request waits for a fresh measurement before answering with the last one. */
  waitMs: number;
}

export interface MeasuredSizes {
  sizes: Map<string, number | null>;
  /** Unix ms the measurement finished. */
  at: number;
}

/**
 * Kept workspaces' sizes, measured on demand and cached. The engine's `system df` walks every
 * volume (seconds on a big host, one walk at a time), where `du` in a throwaway container per
 * volume would cost a container start each: so one walk serves every workspace, at most one
 * runs at once, its result is kept for `maxAgeMs`, and a request waits at most `waitMs` for a
 * new one (answering with the previous measurement, or none, when it takes longer).
 */
export class WorkspaceSizes {
  private last: MeasuredSizes | undefined;
  private loading: Promise<void> | undefined;

  constructor(private readonly o: WorkspaceSizesOptions) {}

  async get(): Promise<MeasuredSizes | undefined> {
    const measure = this.o.measure;
    if (!measure) return undefined;
    if (this.last && this.o.clock.now() - this.last.at < this.o.maxAgeMs) return this.last;
    this.loading ??= measure().then(
      (sizes) => { this.last = { sizes, at: this.o.clock.now() }; },
      // A failed walk keeps the previous sizes; the next request tries again.
      () => undefined,
    ).finally(() => { this.loading = undefined; });
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    await Promise.race([this.loading, new Promise<void>((resolve) => { timer = this.o.clock.setTimeout(resolve, this.o.waitMs); })]);
    if (timer !== undefined) this.o.clock.clearTimeout(timer);
    return this.last;
  }
}
