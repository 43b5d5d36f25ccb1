import type { Clock, TimerHandle } from '../common/clock.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { TenantProbeSlots } from './tenant-probe-slots.js';

export interface ProbeSchedulerOptions {
  clock: Clock;
  /** At most this many probes in flight across all instances. */
  concurrency: number;
  /** Runs one probe of `id` and handles its result; errors are swallowed here. */
  probe: (id: string) => Promise<void>;
  /** Milliseconds from one probe's start to the next, asked after each probe. */
  interval: (id: string) => number;
  /** Spread of each interval, 0.1 = ±5 %, so probes that start together drift apart. */
  jitter?: number;
  random?: () => number;
  onInFlight?: (active: number) => void;
  /** The tenant of `id`: with perTenantConcurrency, each tenant holds at most that many slots. */
  tenantOf?: (id: string) => string | undefined;
  perTenantConcurrency?: number;
  /** How long a due probe of `id` waited for its slots, in ms (the schedule's lateness). */
  onWait?: (id: string, waitedMs: number) => void;
}

interface Target {
  timer: TimerHandle | undefined;
  busy: boolean;
  /** A probe was asked for while one was in flight: run the next one after this delay. */
  soonMs: number | undefined;
  lastStart: number;
}

/**
 * Probes each instance on its own interval, spread over the interval with jitter, one probe
 * in flight per instance, under one global concurrency cap. One timer per instance: a few
 * hundred idle timers cost nothing, and nothing scans the whole set on each tick.
 */
export class ProbeScheduler {
  private readonly targets = new Map<string, Target>();
  private readonly limiter: ConcurrencyLimiter;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly random: () => number;
  private readonly jitter: number;
  private stopped = false;

  constructor(private readonly options: ProbeSchedulerOptions) {
    this.limiter = new ConcurrencyLimiter(options.concurrency, (active) => options.onInFlight?.(active));
    this.random = options.random ?? Math.random;
    this.jitter = options.jitter ?? 0.1;
    if (options.perTenantConcurrency) this.tenantSlots = new TenantProbeSlots(options.perTenantConcurrency);
  }

  private readonly tenantSlots: TenantProbeSlots | undefined;

  get size(): number {
    return this.targets.size;
  }

  /** Most probes ever in flight at once. */
  get highWater(): number {
    return this.limiter.highWater;
  }

  has(id: string): boolean {
    return this.targets.has(id);
  }

  /** Starts probing `id`; the first probe lands at a random point of its first interval unless `firstDelayMs` is given. */
  add(id: string, firstDelayMs?: number): void {
    if (this.stopped || this.targets.has(id)) return;
    const target: Target = { timer: undefined, busy: false, soonMs: undefined, lastStart: this.options.clock.now() };
    this.targets.set(id, target);
    this.arm(id, target, firstDelayMs ?? Math.floor(this.random() * this.options.interval(id)));
  }

  remove(id: string): void {
    const target = this.targets.get(id);
    if (!target) return;
    if (target.timer) this.options.clock.clearTimeout(target.timer);
    this.targets.delete(id);
  }

  /** Probes `id` after `delayMs` instead of at its next slot (a fresh start wants a quick look). */
  probeSoon(id: string, delayMs = 0): void {
    const target = this.targets.get(id);
    if (!target) return;
    if (target.busy) {
      target.soonMs = delayMs;
      return;
    }
    if (target.timer) this.options.clock.clearTimeout(target.timer);
    this.arm(id, target, delayMs);
  }

  /** Stops all timers and waits for the probes in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const id of [...this.targets.keys()]) this.remove(id);
    this.limiter.close();
    this.tenantSlots?.close();
    await Promise.allSettled([...this.inFlight]);
  }

  private arm(id: string, target: Target, delayMs: number): void {
    target.timer = this.options.clock.setTimeout(() => this.fire(id, target), Math.max(0, delayMs));
    target.timer.unref?.();
  }

  private fire(id: string, target: Target): void {
    target.timer = undefined;
    if (this.stopped || this.targets.get(id) !== target || target.busy) return;
    target.busy = true;
    const due = this.options.clock.now();
    const probe = (): Promise<void> => this.limiter.run(async () => {
      target.lastStart = this.options.clock.now();
      this.options.onWait?.(id, target.lastStart - due);
      await this.options.probe(id);
    });
    const tenant = this.tenantSlots ? this.options.tenantOf?.(id) : undefined;
    const run = (tenant !== undefined && this.tenantSlots ? this.tenantSlots.run(tenant, probe) : probe()).catch(() => undefined).finally(() => {
      this.inFlight.delete(run);
      target.busy = false;
      if (this.stopped || this.targets.get(id) !== target) return;
      if (target.soonMs !== undefined) {
        const soon = target.soonMs;
        target.soonMs = undefined;
        this.arm(id, target, soon);
        return;
      }
      const interval = this.options.interval(id) * (1 - this.jitter / 2 + this.random() * this.jitter);
      this.arm(id, target, target.lastStart + interval - this.options.clock.now());
    });
    this.inFlight.add(run);
  }
}
