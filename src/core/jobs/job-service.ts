import type { Clock } from '../../common/clock.js';
import { BerthError } from '../../common/errors.js';
import { newId } from '../../common/ids.js';
import type { JobPatch, JobRow, JobsRepo } from '../../store/repositories/jobs-repo.js';
import type { Principal } from '../tokens/token-service.js';
import { iso, toJob, toRun } from './job-rows.js';
import { nextRunAfter } from './job-schedule.js';
import { sameSpec, validateJobSpec, type JobInput, type SpecLimits } from './job-spec.js';
import type { JobTargets } from './job-targets.js';
import type { Job, JobRun, JobSpec } from './job-types.js';

export interface Page {
  limit: number;
  offset: number;
}

/**
 * Jobs as the API manages them: validation, tenancy and storage. Running them is the
 * scheduler's; it listens here to pick up changes at once.
 */
export class JobService {
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly repo: JobsRepo,
    private readonly targets: Pick<JobTargets, 'find'>,
    private readonly clock: Clock,
    private readonly limits: SpecLimits,
    /** The tenant's job quota (maxJobs, minJobIntervalSeconds), when the daemon has one. */
    private readonly quota?: {
      checkJob(tenant: string, schedule: string, timezone: string, adding: boolean): Promise<void>;
      prepareJob?(tenant: string, schedule: string, timezone: string): Promise<(jobs: number) => void>;
    },
    /** Inserts a job with its tenant's maxJobs check in one serialized transaction. */
    private readonly admission?: {
      insert(row: JobRow, check?: (jobs: number) => void): Promise<void>;
      update(id: string, patch: JobPatch, check?: (jobs: number) => void): Promise<void>;
    },
  ) {}

  /** Called after every change, so a scheduler in this process wakes without waiting for its poll. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Idempotent by name: the same spec returns the existing job (created false); another spec is a 409. */
  async create(input: JobInput, principal: Principal): Promise<{ job: Job; created: boolean }> {
    const spec = validateJobSpec(input, this.limits);
    const tenant = await this.tenantOf(spec, principal);
    const existing = await this.repo.findByIdOrName(spec.name);
    if (existing) return { job: this.sameOrConflict(existing, spec, principal), created: false };
    let admit: ((jobs: number) => void) | undefined;
    if (tenant !== null && this.quota) {
      if (this.quota.prepareJob && this.admission) admit = await this.quota.prepareJob(tenant, spec.schedule, spec.timezone);
      else await this.quota.checkJob(tenant, spec.schedule, spec.timezone, true);
    }
    const now = this.clock.now();
    const row: JobRow = {
      id: newId('job_', now),
      ...this.columns(spec, now),
      tenant,
      last_run_at: null,
      created_at: iso(now),
    };
    try {
      if (this.admission) await this.admission.insert(row, admit);
      else await this.repo.insert(row);
    } catch (error) {
      if (error instanceof BerthError && error.code === 'QUOTA_EXCEEDED') throw error;
      // Lost a race on the unique name: answer as if we had come second.
      const winner = await this.repo.findByIdOrName(spec.name);
      if (winner) return { job: this.sameOrConflict(winner, spec, principal), created: false };
      throw error;
    }
    this.changed();
    return { job: toJob(row), created: true };
  }

  async list(principal: Principal, page: Page): Promise<{ items: Job[]; total: number }> {
    const { rows, total } = await this.repo.list({ ...page, ...(principal.scope === 'tenant' ? { tenant: principal.tenant ?? '' } : {}) });
    return { items: rows.map(toJob), total };
  }

  async get(idOrName: string, principal: Principal): Promise<Job> {
    return toJob(await this.row(idOrName, principal));
  }

  /** Applies the given fields over the job; the schedule restarts from now when it (or enabled) changes. */
  async update(idOrName: string, patch: JobInput, principal: Principal): Promise<Job> {
    const row = await this.row(idOrName, principal);
    const current = toJob(row);
    const merged: JobInput = { ...current, ...definedOnly(patch) };
    // A new action brings its own timeouts; the old run timeout is kept only if it was asked for.
    if (patch.action && patch.timeoutSeconds === undefined) delete merged.timeoutSeconds;
    const spec = validateJobSpec(merged, this.limits);
    const tenant = await this.tenantOf(spec, principal);
    if (spec.name !== row.name && (await this.repo.findByIdOrName(spec.name))) throw new BerthError('CONFLICT', `a job named ${spec.name} already exists`);
    const moving = tenant !== null && tenant !== row.tenant;
    let admit: ((jobs: number) => void) | undefined;
    if (tenant !== null && this.quota) {
      // Moving to another tenant counts against its maxJobs, checked atomically with the update.
      if (moving && this.quota.prepareJob && this.admission) admit = await this.quota.prepareJob(tenant, spec.schedule, spec.timezone);
      else await this.quota.checkJob(tenant, spec.schedule, spec.timezone, moving);
    }
    const now = this.clock.now();
    const reschedule = spec.schedule !== current.schedule || spec.timezone !== current.timezone || spec.enabled !== current.enabled;
    const columns = this.columns(spec, now);
    const patchRow = { ...columns, tenant, next_run_at: reschedule ? columns.next_run_at : row.next_run_at };
    if (admit && this.admission) await this.admission.update(row.id, patchRow, admit);
    else await this.repo.update(row.id, patchRow);
    this.changed();
    return this.get(row.id, principal);
  }

  async delete(idOrName: string, principal: Principal): Promise<Job> {
    const row = await this.row(idOrName, principal);
    await this.repo.delete(row.id);
    this.changed();
    return toJob(row);
  }

  async runs(idOrName: string, principal: Principal, page: Page & { status?: string }): Promise<{ items: JobRun[]; total: number }> {
    const row = await this.row(idOrName, principal);
    const { rows, total } = await this.repo.listRuns(row.id, page);
    return { items: rows.map(toRun), total };
  }

  /** One run of a job the principal may see; undefined when that job has no such run. */
  async run(jobIdOrName: string, runId: string, principal: Principal): Promise<JobRun | undefined> {
    const job = await this.row(jobIdOrName, principal);
    const row = await this.repo.getRun(runId);
    return row && row.job_id === job.id ? toRun(row) : undefined;
  }

  private columns(spec: JobSpec, now: number) {
    const next = spec.enabled ? nextRunAfter(spec.schedule, spec.timezone, now) : null;
    return {
      name: spec.name,
      schedule: spec.schedule,
      timezone: spec.timezone,
      target: JSON.stringify(spec.target),
      action: JSON.stringify(spec.action),
      enabled: spec.enabled ? 1 : 0,
      missed_policy: spec.missedPolicy,
      overlap_policy: spec.overlapPolicy,
      timeout_seconds: spec.timeoutSeconds,
      next_run_at: next === null ? null : iso(next),
      updated_at: iso(now),
    };
  }

  /** The tenant a job belongs to, checked against the caller: tenant tokens act only on their tenant. */
  private async tenantOf(spec: JobSpec, principal: Principal): Promise<string | null> {
    let tenant: string | null;
    if ('instance' in spec.target) {
      // A job already bound to an instance stays bound to that id, whatever now has its name.
      const instance = await this.targets.find(spec.target.instanceId ?? spec.target.instance);
      if (!instance || (principal.scope === 'tenant' && instance.tenant !== principal.tenant)) {
        throw BerthError.invalid('target.instance', `no instance ${spec.target.instance}`);
      }
      tenant = instance.tenant;
      // Stored by id: a job never follows a name to another instance (or another tenant).
      spec.target = { instance: instance.name, instanceId: instance.id };
    } else if ('tenant' in spec.target) {
      tenant = spec.target.tenant;
    } else {
      tenant = null;
    }
    if (principal.scope === 'tenant' && tenant !== principal.tenant) {
      throw new BerthError('FORBIDDEN', tenant === null ? 'plan-wide jobs need an admin token' : `this token may not act on tenant ${tenant}`);
    }
    return tenant;
  }

  private sameOrConflict(row: JobRow, spec: JobSpec, principal: Principal): Job {
    const job = toJob(row);
    if (principal.scope === 'tenant' && job.tenant !== principal.tenant) throw new BerthError('CONFLICT', `a job named ${spec.name} already exists`);
    if (!sameSpec(specOf(job), spec)) throw new BerthError('CONFLICT', `a job named ${spec.name} already exists with a different definition; update it with PATCH /v1/jobs/${job.id}`);
    return job;
  }

  /** Tenant tokens never learn that another tenant's job exists: 404, not 403. */
  private async row(idOrName: string, principal: Principal): Promise<JobRow> {
    const row = await this.repo.findByIdOrName(idOrName);
    if (!row || (principal.scope === 'tenant' && row.tenant !== principal.tenant)) throw new BerthError('JOB_NOT_FOUND', `no job ${idOrName}`);
    return row;
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

function specOf(job: Job): JobSpec {
  const { name, schedule, timezone, target, action, enabled, missedPolicy, overlapPolicy, timeoutSeconds } = job;
  return { name, schedule, timezone, target, action, enabled, missedPolicy, overlapPolicy, timeoutSeconds };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
