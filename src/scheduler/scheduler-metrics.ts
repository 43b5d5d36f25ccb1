import { Counter, Histogram, type Registry } from 'prom-client';
import type { RunStatus } from '../core/jobs/job-types.js';

/** Job runs on /metrics: how many by outcome, and how long they took. */
export class SchedulerMetrics {
  private readonly runs: Counter<'job' | 'action' | 'outcome'>;
  private readonly duration: Histogram<'action' | 'outcome'>;

  constructor(registry: Registry) {
    this.runs = new Counter({
      name: 'berth_job_runs_total',
      help: 'Scheduled job runs by job id (never the tenant-chosen name), action and outcome (succeeded, failed, timed_out, skipped)',
      labelNames: ['job', 'action', 'outcome'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'berth_job_run_duration_seconds',
      help: 'Duration of job runs by action and outcome',
      labelNames: ['action', 'outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
      registers: [registry],
    });
  }

  observe(jobId: string, action: string, outcome: Exclude<RunStatus, 'running'>, durationMs: number): void {
    this.runs.inc({ job: jobId, action, outcome });
    this.duration.observe({ action, outcome }, durationMs / 1000);
  }
}
