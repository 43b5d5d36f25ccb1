import type { Clock, TimerHandle } from '../../common/clock.js';
import { BerthError } from '../../common/errors.js';
import { SYSTEM_VIEWER, type Instance, type Viewer } from './instance-types.js';

/** What a subscriber receives: the whole fleet once, then only what changed. */
export type FleetMessage =
  | { type: 'snapshot'; items: Instance[] }
  | { type: 'changes'; upserts: Instance[]; removed: Array<{ id: string; tenant: string }> };

export type FleetListener = (message: FleetMessage) => void;

export interface FleetFeedOptions {
  /** Reads every instance (all tenants); the feed filters nothing itself. */
  read: () => Promise<Instance[]>;
  clock: Clock;
  /** Time between the end of one read and the start of the next (at least; see slowReadFactor). */
  intervalMs: number;
  /**
   * A slow read (a very large fleet, a loaded store) stretches the pause to this many times the
   * read's duration, so the feed never takes more than about 1/(factor+1) of the time. Default 3.
   */
  slowReadFactor?: number;
  /** A read that fails is retried on the next tick; this hears about it. */
  onError?: (error: unknown) => void;
}

interface Known { instance: Instance; key: string }

/**
 * One shared read of the fleet per tick for every open live view, diffed in memory: a dashboard
 * gets the whole list once and then only the instances that changed (or went away), so the
 * store and the CPU pay per tick, not per viewer, and nothing is sent while nothing changes.
 * It reads only while someone listens. Reading the store (not in-process events) means changes
 * made by another berth process on the same database show up too.
 */
export class FleetFeed {
  private readonly listeners = new Set<FleetListener>();
  /** Listeners that joined before the first read of this run: they get the snapshot it makes. */
  private readonly waiting = new Set<FleetListener>();
  private known: Map<string, Known> | null = null;
  /** When the last read ended, and the pause it asked for: no read starts before both have passed. */
  private nextReadAt = 0;
  private timer: TimerHandle | null = null;
  private reading = false;
  private closed = false;
  /** Reads done since construction (for tests and metrics). */
  reads = 0;

  constructor(private readonly options: FleetFeedOptions) {}

  get subscribers(): number {
    return this.listeners.size;
  }

  /** Adds a listener; it gets a snapshot (now if the feed has one, else after the next read) and then changes. Returns the unsubscribe. */
  subscribe(listener: FleetListener): () => void {
    if (this.closed) throw new BerthError('NOT_READY', 'the fleet feed is closed: berth is shutting down');
    this.listeners.add(listener);
    // A copy from a read within the last interval is current enough (also after everyone left:
    // many short-lived listeners, e.g. once=true, cost at most one read an interval).
    const now = this.options.clock.now();
    if (this.known && !this.reading && this.timer === null && now >= this.nextReadAt) this.known = null;
    if (this.known) listener({ type: 'snapshot', items: [...this.known.values()].map((k) => k.instance) });
    else this.waiting.add(listener);
    if (!this.reading && this.timer === null) this.schedule(Math.max(0, this.nextReadAt - now));
    return () => {
      this.listeners.delete(listener);
      this.waiting.delete(listener);
      if (this.listeners.size === 0) this.idle();
    };
  }

  /** Stops reading and forgets every listener (daemon shutdown). */
  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.waiting.clear();
    this.idle();
  }

  /** One read and diff; public so tests can drive it without timers. */
  async tick(): Promise<void> {
    if (this.reading || this.listeners.size === 0) return;
    this.reading = true;
    const started = this.options.clock.now();
    let pause = this.options.intervalMs;
    try {
      const items = await this.options.read();
      this.reads++;
      pause = Math.max(pause, (this.options.clock.now() - started) * (this.options.slowReadFactor ?? 3));
      this.nextReadAt = this.options.clock.now() + pause;
      if (this.listeners.size === 0) return;
      this.apply(items);
    } catch (error) {
      this.options.onError?.(error);
    } finally {
      this.reading = false;
      if (this.listeners.size > 0 && this.timer === null && !this.closed) this.schedule(pause);
    }
  }

  private apply(items: Instance[]): void {
    const next = new Map<string, Known>();
    const upserts: Instance[] = [];
    const previous = this.known;
    for (const instance of items) {
      const key = JSON.stringify(instance);
      next.set(instance.id, { instance, key });
      if (previous && previous.get(instance.id)?.key !== key) upserts.push(instance);
    }
    const removed: Array<{ id: string; tenant: string }> = [];
    if (previous) for (const [id, k] of previous) if (!next.has(id)) removed.push({ id, tenant: k.instance.tenant });
    this.known = next;

    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const listener of waiting) listener({ type: 'snapshot', items });
    if (!previous || (upserts.length === 0 && removed.length === 0)) return;
    const message: FleetMessage = { type: 'changes', upserts, removed };
    for (const listener of this.listeners) if (!waiting.includes(listener)) listener(message);
  }

  private schedule(ms: number): void {
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, ms);
    this.timer.unref?.();
  }

  /** No one listens: stop reading. The copy stays until the next read would be due (see subscribe). */
  private idle(): void {
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
    if (this.closed) this.known = null;
  }
}

/** What wholeFleet needs of the instance service. */
export interface FleetLister {
  list(filter: { limit: number; offset: number }, viewer: Viewer): Promise<{ items: Instance[]; total: number }>;
}

/** Every instance, read in pages of 1,000 as berth itself (the feed filters per viewer). */
export function wholeFleet(lister: FleetLister): () => Promise<Instance[]> {
  return async () => {
    const all: Instance[] = [];
    for (;;) {
      const page = await lister.list({ limit: 1000, offset: all.length }, SYSTEM_VIEWER);
      all.push(...page.items);
      if (page.items.length === 0 || all.length >= page.total) return all;
    }
  };
}
