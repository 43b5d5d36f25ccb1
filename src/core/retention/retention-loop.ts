import type { Clock, TimerHandle } from '../../common/clock.js';
import { describeError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { RetentionRepo } from '../../store/repositories/retention-repo.js';

export interface RetentionSettings {
  eventsMaxAgeDays: number;
  eventsMaxCount: number;
  jobRunsMaxAgeDays: number;
  jobRunsMaxCount: number;
  intervalSeconds: number;
  batchSize: number;
}

export interface PruneReport {
  events: number;
  jobRuns: number;
}

/**
 * Prunes events and job runs (with their captured output) by age and count, off the request
 * path: a pass every intervalSeconds, in batches of batchSize with a yield to the event loop
 * between batches, so the API never waits on a long delete.
 */
export class RetentionLoop {
  readonly name = 'retention';
  private timer: TimerHandle | undefined;
  private running: Promise<PruneReport> | undefined;
  private stopped = false;

  constructor(private readonly d: { repo: RetentionRepo; settings: RetentionSettings; clock: Clock; logger: Logger }) {}

  async start(): Promise<void> {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.d.clock.clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One full pass now (also what the timer runs). */
  async pruneNow(): Promise<PruneReport> {
    const { repo, settings, clock } = this.d;
    const day = 86_400_000;
    const eventsCutoff = new Date(clock.now() - settings.eventsMaxAgeDays * day).toISOString();
    const runsCutoff = new Date(clock.now() - settings.jobRunsMaxAgeDays * day).toISOString();
    const report: PruneReport = { events: 0, jobRuns: 0 };
    report.events += await this.drain(() => repo.eventsOlderThan(eventsCutoff, settings.batchSize));
    report.events += await this.drain(() => repo.eventsBeyond(settings.eventsMaxCount, settings.batchSize));
    report.jobRuns += await this.drain(() => repo.runsOlderThan(runsCutoff, settings.batchSize));
    report.jobRuns += await this.drain(() => repo.runsBeyond(settings.jobRunsMaxCount, settings.batchSize));
    return report;
  }

  private async drain(step: () => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      if (this.stopped) return total;
      const n = await step();
      total += n;
      if (n < this.d.settings.batchSize) return total;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = this.d.clock.setTimeout(() => {
      this.running = this.pruneNow();
      this.running.then((r) => {
        if (r.events || r.jobRuns) this.d.logger.info({ ...r }, 'pruned old history');
      }, (error: unknown) => this.d.logger.warn({ reason: describeError(error) }, 'pruning old history failed; retrying next pass'))
        .finally(() => this.schedule(this.d.settings.intervalSeconds * 1000));
    }, delayMs);
    this.timer.unref?.();
  }
}
