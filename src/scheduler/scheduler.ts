import type { Clock, TimerHandle } from '../common/clock.js';
import { BerthError, describeError } from '../common/errors.js';
import type { ComponentHealth } from '../common/health.js';
import { newId } from '../common/ids.js';
import type { Logger } from '../common/logger.js';
import { iso, toJob, toRun } from '../core/jobs/job-rows.js';
import { decideSlot, wakeDelay } from '../core/jobs/job-schedule.js';
import type { Job, JobRun, RunTrigger } from '../core/jobs/job-types.js';
import type { Service } from '../common/lifecycle.js';
import type { JobRow, JobRunRow, JobsRepo } from '../store/repositories/jobs-repo.js';
import type { RunExecutor } from './job-runner.js';
import type { SchedulerMetrics } from './scheduler-metrics.js';

export interface SchedulerDeps {
  repo: JobsRepo;
  executor: RunExecutor;
  clock: Clock;
  logger: Logger;
  metrics?: SchedulerMetrics;
  /** scheduler.enabled: false still allows manual runs, but no slot fires. */
  enabled: boolean;
  /** Safety-net poll: changes made by another berth on the same store are seen within this. */
  pollMs: number;
  /** A slot later than this is missed (berth was down or stalled) and the job's missed policy applies. */
  graceMs: number;
  /** On stop, in-flight runs get this long to end before they are cut short. */
  stopWaitMs: number;
  /** Names this process in run rows (claimed_by). */
  processId: string;
}

/** A running run still counts as going for its timeout plus this; after that its berth died. */
const ABANDON_MARGIN_MS = 30_000;

/**
 * Fires jobs from the store. Each tick reads the enabled jobs, and for each due slot claims it
 * (inserts the run row; the unique (job, slot) makes two berths on one store run it once),
 * then moves next_run_at on with a compare-and-set. It sleeps until the earliest next slot,
 * at most `pollMs`, and wakes early when a job changes in this process.
 */
export class Scheduler implements Service {
  readonly name = 'scheduler';
  private timer: TimerHandle | undefined;
  private ticking: Promise<void> | undefined;
  private again = false;
  private state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private lastError: string | undefined;
  private readonly inFlight = new Map<string, { jobId: string; done: Promise<JobRun | undefined>; stop: AbortController }>();

  constructor(private readonly deps: SchedulerDeps) {}

  async start(): Promise<void> {
    if (!this.deps.enabled) return;
    this.state = 'running';
    // The first tick applies the missed policy to slots that passed while berth was down.
    await this.tick();
  }

  async stop(): Promise<void> {
    this.state = 'stopping';
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    await this.ticking;
    const runs = [...this.inFlight.values()];
    if (runs.length) {
      this.deps.logger.info({ runs: runs.length, waitMs: this.deps.stopWaitMs }, 'waiting for job runs to end');
      const waited = await Promise.race([
        Promise.all(runs.map((r) => r.done)).then(() => true),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), this.deps.stopWaitMs).unref()),
      ]);
      if (!waited) {
        for (const r of runs) r.stop.abort(new Error('berth is stopping'));
        await Promise.all(runs.map((r) => r.done));
      }
    }
    this.state = 'stopped';
  }

  health(): ComponentHealth {
    if (!this.deps.enabled) return { status: 'disabled', detail: 'scheduler.enabled is false' };
    if (this.state !== 'running') return { status: 'down', detail: this.state };
    if (this.lastError) return { status: 'degraded', detail: this.lastError };
    return { status: 'up', detail: `${this.inFlight.size} run(s) in flight` };
  }

  /** A job changed: look again now rather than at the next poll. */
  notify(): void {
    if (this.state === 'running') void this.tick();
  }

  /** One pass over the enabled jobs. Concurrent calls coalesce into one more pass. */
  tick(): Promise<void> {
    if (this.ticking) {
      this.again = true;
      return this.ticking;
    }
    this.ticking = this.pass().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  /** Runs a job now (manual trigger), unless a run of it is still going. */
  async runNow(job: Job, actor: string): Promise<{ run: JobRun; done: Promise<JobRun | undefined> }> {
    const now = this.deps.clock.now();
    if (await this.busy(job, now)) throw new BerthError('CONFLICT', `a run of job ${job.name} is still going; one run at a time (overlapPolicy skip)`);
    const id = newId('run_', now);
    const row = runRow(id, job.id, `manual:${id}`, 'manual', now, this.deps.processId, null);
    await this.deps.repo.claim(row);
    const run = toRun(row);
    return { run, done: this.launch(job, run, actor) };
  }

  private async pass(): Promise<void> {
    let delay = this.deps.pollMs;
    try {
      do {
        this.again = false;
        const rows = await this.deps.repo.listEnabled();
        const now = this.deps.clock.now();
        const due: Array<number | null> = [];
        for (const row of rows) {
          if (this.state !== 'running') break;
          due.push(await this.handle(row, now));
        }
        delay = wakeDelay(due, this.deps.clock.now(), this.deps.pollMs);
        if (this.lastError) this.deps.logger.info('scheduler can read the store again');
        this.lastError = undefined;
      } while (this.again && this.state === 'running');
    } catch (error) {
      if (!this.lastError) this.deps.logger.warn({ reason: describeError(error) }, 'scheduler pass failed; retrying at the next poll');
      this.lastError = describeError(error);
    } finally {
      this.schedule(delay);
    }
  }

  private schedule(delay: number): void {
    if (this.state !== 'running') return;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = this.deps.clock.setTimeout(() => void this.tick(), delay);
    this.timer.unref?.();
  }

  /** Handles every due slot of one job; returns when it is next due. */
  private async handle(row: JobRow, now: number): Promise<number | null> {
    let job = toJob(row);
    try {
      // Bounded: a slot is handled per iteration; a long outage collapses into one decision.
      for (let i = 0; i < 16; i++) {
        const decision = decideSlot({ schedule: job.schedule, timezone: job.timezone, missedPolicy: job.missedPolicy, nextRunAt: job.nextRunAt ? Date.parse(job.nextRunAt) : null }, now, this.deps.graceMs);
        if (decision.kind === 'wait') return decision.dueAt;
        const slot = iso(decision.slot);
        const next = decision.next === null ? null : iso(decision.next);
        if (decision.kind === 'skip') {
          this.deps.logger.info({ job: job.name, missed: decision.missed, from: slot, next }, 'missed slots skipped (missedPolicy skip)');
        } else {
          if (decision.trigger === 'catch-up') this.deps.logger.info({ job: job.name, missed: decision.missed, slot }, 'missed slots: one catch-up run (missedPolicy run-once)');
          await this.claimSlot(job, slot, decision.trigger, now);
        }
        // Claim first, then advance: a crash in between leaves a claimed slot the next pass only advances.
        if (!(await this.deps.repo.advance(job.id, slot, next))) return now + this.deps.pollMs;
        job = { ...job, nextRunAt: next };
      }
      return now;
    } catch (error) {
      this.deps.logger.warn({ job: job.name, reason: describeError(error) }, 'could not schedule job');
      return null;
    }
  }

  private async claimSlot(job: Job, slot: string, trigger: RunTrigger, now: number): Promise<void> {
    const busy = await this.busy(job, now);
    const note = busy ? 'skipped: the previous run is still going (overlapPolicy skip)' : null;
    const row = runRow(newId('run_', now), job.id, slot, trigger, now, this.deps.processId, note);
    if (!(await this.deps.repo.claim(row))) return; // another berth has this slot
    if (busy) {
      this.deps.metrics?.observe(job.id, job.action.type, 'skipped', 0);
      this.deps.logger.info({ job: job.name, slot }, 'slot skipped: the previous run is still going');
      return;
    }
    void this.launch(job, toRun(row), `job:${job.name}`);
  }

  /** Whether a run of this job is going here or in another berth; ends runs whose berth died. */
  private async busy(job: Job, now: number): Promise<boolean> {
    if ([...this.inFlight.values()].some((r) => r.jobId === job.id)) return true;
    const liveSince = iso(now - job.timeoutSeconds * 1000 - ABANDON_MARGIN_MS);
    const abandoned = await this.deps.repo.abandon(job.id, liveSince, iso(now), 'abandoned: the berth running it stopped before it ended');
    if (abandoned) this.deps.logger.warn({ job: job.name, runs: abandoned }, 'marked runs of a stopped berth as failed');
    return this.deps.repo.hasRunning(job.id, liveSince);
  }

  private launch(job: Job, run: JobRun, actor: string): Promise<JobRun | undefined> {
    const stop = new AbortController();
    const done = this.deps.executor.execute(job, run, actor, stop.signal).catch((error: unknown) => {
      this.deps.logger.error({ job: job.name, run: run.id, err: error }, 'job run crashed');
      return undefined;
    }).finally(() => this.inFlight.delete(run.id));
    this.inFlight.set(run.id, { jobId: job.id, done, stop });
    return done;
  }
}

function runRow(id: string, jobId: string, slot: string, trigger: RunTrigger, now: number, processId: string, skippedNote: string | null): JobRunRow {
  return {
    id,
    job_id: jobId,
    slot,
    trigger,
    status: skippedNote ? 'skipped' : 'running',
    started_at: iso(now),
    ended_at: skippedNote ? iso(now) : null,
    results: '[]',
    claimed_by: processId,
    note: skippedNote,
  };
}
