import { BerthError, describeError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Job } from '../jobs/job-types.js';
import type { JobInput } from '../jobs/job-spec.js';
import type { PlanCatalog } from '../plans/resolve-plans.js';
import type { Principal } from '../tokens/token-service.js';

/** What the sync needs of the jobs service. */
export interface PlanJobs {
  create(input: JobInput, principal: Principal): Promise<{ job: Job; created: boolean }>;
  get(idOrName: string, principal: Principal): Promise<Job>;
  update(idOrName: string, patch: JobInput, principal: Principal): Promise<Job>;
  delete(idOrName: string, principal: Principal): Promise<Job>;
}

const BERTH: Principal = { tokenId: 'berth', name: 'berth', scope: 'admin', tenant: null };

const RUN_TIMEOUT_SECONDS = 3600;

export const planJobName = (plan: string): string => `snapshots-${plan}`;

/** A job berth made for a plan's schedule (not one an operator happened to name the same). */
function isPlanJob(job: Job, plan: string): boolean {
  return job.action.type === 'snapshot' && 'plan' in job.target && job.target.plan === plan;
}

/**
 * Boot: each plan's `snapshots.schedule` becomes the internal job `snapshots-<plan>` (target
 * the plan, action snapshot in mode pause, UTC), so scheduled snapshots run, are recorded and
 * are claimed once across berths like any job. A schedule removed from the config removes its
 * job. A bad cron expression is a config error naming the key.
 */
export async function syncPlanSnapshotJobs(jobs: PlanJobs, plans: PlanCatalog, logger: Logger): Promise<void> {
  for (const plan of plans.values()) {
    const name = planJobName(plan.name);
    const existing = await jobs.get(name, BERTH).catch(() => undefined);
    if (existing && !isPlanJob(existing, plan.name)) {
      logger.warn({ job: name, plan: plan.name }, 'a job with the name of a plan\'s snapshot job exists and is not one; leaving it, the plan\'s schedule does not run');
      continue;
    }
    const schedule = plan.snapshots?.schedule;
    if (!schedule) {
      if (existing) await jobs.delete(name, BERTH);
      continue;
    }
    // A plan's fleet of workspaces can take a while: the run may last an hour (each copy is bounded by maxPauseSeconds).
    const input: JobInput = { name, schedule, timezone: 'UTC', target: { plan: plan.name }, action: { type: 'snapshot', mode: 'pause' }, timeoutSeconds: RUN_TIMEOUT_SECONDS };
    try {
      if (!existing) await jobs.create(input, BERTH);
      else if (existing.schedule !== schedule.trim().replace(/\s+/g, ' ') || existing.timezone !== 'UTC' || !existing.enabled || existing.timeoutSeconds !== RUN_TIMEOUT_SECONDS) await jobs.update(name, { ...input, enabled: true }, BERTH);
    } catch (error) {
      if (error instanceof BerthError && error.code === 'INVALID_INPUT') {
        throw new BerthError('INVALID_CONFIG', `plans.${plan.name}.snapshots.schedule: ${describeError(error)}`, { cause: error });
      }
      throw error;
    }
  }
}
