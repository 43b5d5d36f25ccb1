import { describeError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { AppendEvent } from '../core/events/event-log.js';
import type { MonitorRepo, ProbeWrite } from '../store/repositories/monitor-repo.js';

export interface QueuedProbe {
  write: ProbeWrite;
  /** Recorded whatever happens (a failed probe). */
  events?: AppendEvent[];
  /** Recorded only if the write's status transition applied. */
  onApplied?: () => AppendEvent[];
}

export interface EventSink {
  append(...events: AppendEvent[]): Promise<void>;
}

/**
 * Collects probe results and writes them in one transaction per flush, not one per probe.
 * Every other monitor write goes through `exclusive`, after the pending batch, so a status
 * decided by a probe can never land after a later restart decision.
 */
export class ProbeWriter {
  private pending: QueuedProbe[] = [];
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly repo: MonitorRepo, private readonly events: EventSink, private readonly logger: Logger) {}

  get size(): number {
    return this.pending.length;
  }

  add(item: QueuedProbe): void {
    this.pending.push(item);
  }

  /** Writes what is pending; resolves when written (or given up: observations are not retried). */
  flush(): Promise<void> {
    return this.exclusive(async () => undefined);
  }

  /** Runs `fn` after the pending batch is written, and before anything queued later. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(async () => {
      await this.writeBatch();
      return fn();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async writeBatch(): Promise<void> {
    const batch = this.pending;
    if (!batch.length) return;
    this.pending = [];
    let applied: boolean[];
    try {
      applied = await this.repo.writeProbes(batch.map((b) => b.write));
    } catch (error) {
      this.logger.warn({ probes: batch.length, reason: describeError(error) }, 'could not write probe results; the next flush writes fresh ones');
      return;
    }
    const events: AppendEvent[] = [];
    batch.forEach((item, i) => {
      if (item.events) events.push(...item.events);
      if (item.onApplied && applied[i]) events.push(...item.onApplied());
    });
    if (events.length) await this.events.append(...events).catch((error: unknown) => this.logger.warn({ reason: describeError(error) }, 'could not record probe events'));
  }
}
