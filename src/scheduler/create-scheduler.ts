import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import type { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
import type { Logger } from '../common/logger.js';
import type { BerthConfig } from '../config/schema.js';
import type { EventLog } from '../core/events/event-log.js';
import { JobService } from '../core/jobs/job-service.js';
import type { RuntimeDriver } from '../runtime/runtime-driver.js';
import type { Store } from '../store/store.js';
import { disableJobsOfDeletedInstances } from './disable-orphaned-jobs.js';
import { JobRunner } from './job-runner.js';
import { Scheduler } from './scheduler.js';
import { SchedulerMetrics } from './scheduler-metrics.js';
import { StoreJobTargets, type StoreJobTargetsDeps } from './store-job-targets.js';

export interface SchedulingDeps {
  config: BerthConfig;
  store: Store;
  runtime: RuntimeDriver;
  events: EventLog;
  clock: Clock;
  logger: Logger;
  metrics: Registry;
  /** The instances service's restart: the one restart path (statuses and events stay consistent). */
  restartInstance: (instanceId: string, actor: string, reason: string) => Promise<void>;
  /** An instance's secret values, masked in captured job output. */
  secretsOf?: (instanceId: string) => Promise<string[]>;
  /** A workspace snapshot for the `snapshot` job action. */
  snapshotInstance?: StoreJobTargetsDeps['snapshotInstance'];
  /** Tenant job quotas (maxJobs, minJobIntervalSeconds). */
  quota?: ConstructorParameters<typeof JobService>[4];
}

/** Builds the jobs service and the scheduler over the daemon's store and runtime, wired together. */
export function createScheduler(deps: SchedulingDeps): { jobs: JobService; scheduler: Scheduler } {
  const { config, clock, logger } = deps;
  const repo = deps.store.repos.jobs;
  const targets = new StoreJobTargets({
    repo: deps.store.repos.instances,
    runtime: deps.runtime,
    scope: config.runtime.scope,
    bindAddress: config.runtime.bindAddress,
    restartInstance: deps.restartInstance,
    ...(deps.secretsOf ? { secretsOf: deps.secretsOf } : {}),
    ...(deps.snapshotInstance ? { snapshotInstance: deps.snapshotInstance } : {}),
  });
  const metrics = new SchedulerMetrics(deps.metrics);
  const jobs = new JobService(repo, targets, clock, {
    defaultTimeoutSeconds: config.scheduler.defaultTimeoutSeconds,
    plans: Object.keys(config.plans),
  }, deps.quota, deps.store.repos.jobAdmission);
  const runner = new JobRunner({ repo, targets, events: deps.events, clock, logger, metrics, outputLimitBytes: config.scheduler.outputLimitBytes });
  const pollMs = config.scheduler.pollSeconds * 1000;
  const scheduler = new Scheduler({
    repo,
    executor: runner,
    clock,
    logger,
    metrics,
    enabled: config.scheduler.enabled,
    pollMs,
    // Timers and a busy store delay a slot a little; later than this it counts as missed.
    graceMs: Math.max(5000, 3 * pollMs),
    stopWaitMs: config.server.shutdownGraceSeconds * 1000,
    processId: `${hostname()}:${process.pid}:${newId('', clock.now()).slice(-6)}`,
  });
  jobs.onChange(() => scheduler.notify());
  disableJobsOfDeletedInstances({ events: deps.events, repo, logger, onChange: () => scheduler.notify() });
  return { jobs, scheduler };
}
