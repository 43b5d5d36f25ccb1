import { mapLimit } from '../common/map-limit.js';
import type { Clock } from '../common/clock.js';
import { BerthError, describeError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { EventLog } from '../core/events/event-log.js';
import { iso } from '../core/jobs/job-rows.js';
import type { JobTargets, TargetInstance } from '../core/jobs/job-targets.js';
import type { Job, JobRun, RunStatus, TargetResult } from '../core/jobs/job-types.js';
import type { JobsRepo } from '../store/repositories/jobs-repo.js';
import type { SchedulerMetrics } from './scheduler-metrics.js';

export interface JobRunnerDeps {
  repo: JobsRepo;
  targets: JobTargets;
  events: EventLog;
  clock: Clock;
  logger: Logger;
  metrics: SchedulerMetrics;
  outputLimitBytes: number;
  /** How many targets of one run are acted on at once. */
  concurrency?: number;
}

/** Executes a run the scheduler has claimed: the action on every target, within the job's timeout. */
export interface RunExecutor {
  execute(job: Job, run: JobRun, actor: string, stop: AbortSignal): Promise<JobRun>;
}

class RunTimeout extends Error {}

export class JobRunner implements RunExecutor {
  constructor(private readonly deps: JobRunnerDeps) {}

  async execute(job: Job, run: JobRun, actor: string, stop: AbortSignal): Promise<JobRun> {
    const { clock } = this.deps;
    const started = Date.parse(run.startedAt);
    const deadline = started + job.timeoutSeconds * 1000;
    const timeout = new AbortController();
    const timer = clock.setTimeout(() => timeout.abort(new RunTimeout(`the run exceeded its timeout of ${job.timeoutSeconds}s`)), Math.max(0, deadline - clock.now()));
    const signal = AbortSignal.any([stop, timeout.signal]);
    let results: TargetResult[] = [];
    let note: string | null = null;
    let status: Exclude<RunStatus, 'running'>;
    try {
      const found = await this.deps.targets.resolve(job.target, job.tenant);
      // Fleet-wide jobs pass over instances stopped on purpose; one named instance is reported as is.
      const instances = 'instance' in job.target ? found : found.filter((i) => i.desiredState !== 'stopped');
      if (instances.length === 0) {
        status = 'skipped';
        note = `no instance matches the target ${JSON.stringify(job.target)}`;
      } else {
        results = await mapLimit(instances, this.deps.concurrency ?? 4, (instance) => this.actOn(job, instance, actor, deadline, signal));
        status = results.some((r) => r.outcome === 'timed_out') ? 'timed_out' : results.some((r) => r.outcome === 'failed') ? 'failed' : 'succeeded';
      }
    } catch (error) {
      status = 'failed';
      note = `could not resolve the target: ${describeError(error)}`;
    } finally {
      clock.clearTimeout(timer);
    }
    const endedAt = iso(clock.now());
    try {
      await this.deps.repo.finish(run.id, { status, ended_at: endedAt, results: JSON.stringify(results), note });
    } catch (error) {
      // The row stays `running` and is marked abandoned once past the timeout; the run itself happened.
      this.deps.logger.warn({ job: job.name, run: run.id, err: error }, 'could not record the end of a job run');
    }
    const durationMs = Date.parse(endedAt) - started;
    this.deps.metrics.observe(job.id, job.action.type, status, durationMs);
    this.deps.logger.info({ job: job.name, run: run.id, slot: run.slot, trigger: run.trigger, status, targets: results.length, ms: durationMs }, `job run ${status}`);
    return { ...run, status, endedAt, durationMs, results, note };
  }

  private async actOn(job: Job, instance: TargetInstance, actor: string, deadline: number, signal: AbortSignal): Promise<TargetResult> {
    const { clock, targets, outputLimitBytes } = this.deps;
    const startedAt = iso(clock.now());
    const base = { instanceId: instance.id, instance: instance.name, tenant: instance.tenant, exitCode: null, statusCode: null, output: '', truncated: false, error: null };
    let result: Omit<TargetResult, 'startedAt' | 'endedAt'>;
    try {
      if (signal.aborted) throw signal.reason;
      const action = job.action;
      const remaining = Math.max(1, deadline - clock.now());
      if (action.type === 'restart') {
        await untilAborted(targets.restart(instance, actor, `restarted by job ${job.name}`), signal);
        result = { ...base, outcome: 'succeeded' };
      } else if (action.type === 'snapshot') {
        if (!targets.snapshot) throw new BerthError('INVALID_STATE', 'snapshots are not available on this berth');
        const made = await untilAborted(targets.snapshot(instance, action.mode, actor), signal);
        result = { ...base, outcome: 'succeeded', output: `snapshot ${made.id} (${made.sizeBytes ?? 0} bytes, agent ${action.mode === 'stop' ? 'down' : 'paused'} ${made.pauseMs ?? 0} ms)` };
      } else if (action.type === 'exec') {
        const timeoutMs = Math.min(action.timeoutSeconds * 1000, remaining);
        const out = await untilAborted(targets.exec(instance, action.command, { timeoutMs, outputLimitBytes }), signal);
        const text = truncateBytes(out.output, outputLimitBytes);
        result = {
          ...base,
          outcome: out.timedOut ? 'timed_out' : out.exitCode === 0 ? 'succeeded' : 'failed',
          exitCode: out.exitCode,
          output: text.text,
          truncated: out.truncated || text.truncated,
          error: out.timedOut ? `killed after ${Math.round(timeoutMs / 1000)}s: the command exceeded its timeout` : out.exitCode === 0 ? null : `exited with code ${out.exitCode ?? 'unknown'}`,
        };
      } else {
        const timeoutMs = Math.min(action.timeoutSeconds * 1000, remaining);
        const call = { method: action.method, path: action.path, ...(action.body !== undefined ? { body: action.body } : {}) };
        const out = await targets.http(instance, call, { timeoutMs, outputLimitBytes, signal });
        const ok = out.statusCode >= 200 && out.statusCode < 400;
        result = { ...base, outcome: ok ? 'succeeded' : 'failed', statusCode: out.statusCode, output: out.body, truncated: out.truncated, error: ok ? null : `HTTP ${out.statusCode}` };
      }
    } catch (error) {
      const timedOut = error instanceof RunTimeout || (error instanceof BerthError && error.code === 'TIMEOUT' && !signal.aborted) || (signal.aborted && signal.reason instanceof RunTimeout);
      const reason = signal.aborted && !(signal.reason instanceof RunTimeout) ? 'berth stopped during the run' : describeError(error);
      result = { ...base, outcome: timedOut ? 'timed_out' : 'failed', error: reason };
    }
    const full: TargetResult = { ...result, startedAt, endedAt: iso(clock.now()) };
    this.deps.events.record({
      instanceId: instance.id,
      instance: instance.name,
      tenant: instance.tenant,
      type: 'job-run',
      message: `job ${job.name}: ${job.action.type} ${full.outcome}${full.error ? ` (${full.error})` : ''}`,
      actor,
      data: { jobId: job.id, job: job.name, action: job.action.type, outcome: full.outcome, exitCode: full.exitCode, statusCode: full.statusCode },
    });
    return full;
  }
}

/** Waits for `work` unless the signal aborts first (the work itself may go on: a restart cannot be taken back). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export function truncateBytes(text: string, limit: number): { text: string; truncated: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= limit) return { text, truncated: false };
  // Cut on a character boundary: drop a partial UTF-8 sequence at the end.
  return { text: bytes.subarray(0, limit).toString('utf8').replace(/\uFFFD$/, ''), truncated: true };
}
