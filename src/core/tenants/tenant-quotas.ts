import type { Clock } from '../../common/clock.js';
import { BerthError } from '../../common/errors.js';
import { parseMemorySize } from '../../config/parse-size.js';
import type { TenantLimits } from '../../config/schema.js';
import type { TenantHoldings } from '../../store/repositories/instance-admission.js';
import type { TenantsRepo } from '../../store/repositories/tenants-repo.js';
import { parseSchedule } from '../jobs/job-schedule.js';
import type { PlanCatalog } from '../plans/resolve-plans.js';

export interface TenantUsage {
  instances: number;
  cpus: number;
  memoryBytes: number;
  jobs: number;
}

export interface Tenant {
  tenant: string;
  /** The limits in force: config tenants.defaults with this tenant's overrides on top. */
  limits: TenantLimits & { maxMemoryBytes: number };
  /** Only the keys the admin set for this tenant. */
  overrides: Partial<TenantLimits>;
  usage: TenantUsage;
}

const LIMIT_KEYS = ['maxInstances', 'maxCpus', 'maxMemory', 'maxJobs', 'minJobIntervalSeconds', 'plans'] as const;

/**
 * Per-tenant quotas. Instance admission is checked inside the insert's transaction (see
 * InstanceAdmission), so concurrent creates cannot both pass a limit; refusals are
 * QUOTA_EXCEEDED naming the limit, the usage and the request.
 */
export class TenantQuotas {
  constructor(private readonly repo: TenantsRepo, private readonly plans: PlanCatalog, private readonly defaults: TenantLimits, private readonly clock: Clock) {
    memoryOf(defaults.maxMemory, 'tenants.defaults.maxMemory', 'INVALID_CONFIG');
  }

  async limits(tenant: string): Promise<Tenant['limits']> {
    const overrides = await this.repo.overrides(tenant);
    const merged = { ...this.defaults, ...pickLimits(overrides) } as TenantLimits;
    return { ...merged, maxMemoryBytes: memoryOf(merged.maxMemory, 'maxMemory', 'INVALID_CONFIG') };
  }

  /** Loads the tenant's limits; the returned check runs inside the admission transaction. */
  async prepare(tenant: string, planName: string): Promise<(holdings: TenantHoldings) => void> {
    const limits = await this.limits(tenant);
    const plan = this.plans.get(planName);
    return (holdings) => {
      if (limits.plans.length && !limits.plans.includes(planName)) {
        throw quotaError('plans', `plan: tenant ${tenant} may use plans ${limits.plans.join(', ')}, not ${planName}`, { limit: limits.plans, usage: null, request: planName }, 'plan');
      }
      const usage = this.usageOf(holdings.plans);
      const request = { instances: 1, cpus: plan?.cpus ?? 0, memoryBytes: plan?.memoryBytes ?? 0 };
      if (usage.instances + 1 > limits.maxInstances) {
        throw quotaError('maxInstances', `tenant ${tenant} has ${usage.instances} of ${limits.maxInstances} instances (maxInstances); this create asks for 1 more`, { limit: limits.maxInstances, usage: usage.instances, request: 1 });
      }
      if (usage.cpus + request.cpus > limits.maxCpus + 1e-9) {
        throw quotaError('maxCpus', `tenant ${tenant} uses ${round(usage.cpus)} of ${limits.maxCpus} CPUs (maxCpus); plan ${planName} asks for ${request.cpus} more`, { limit: limits.maxCpus, usage: round(usage.cpus), request: request.cpus });
      }
      if (usage.memoryBytes + request.memoryBytes > limits.maxMemoryBytes) {
        throw quotaError('maxMemory', `tenant ${tenant} uses ${mib(usage.memoryBytes)} of ${mib(limits.maxMemoryBytes)} memory (maxMemory); plan ${planName} asks for ${mib(request.memoryBytes)} more`, { limit: limits.maxMemoryBytes, usage: usage.memoryBytes, request: request.memoryBytes });
      }
    };
  }

  /** maxJobs (for a new job) and minJobIntervalSeconds (for any schedule) of the tenant. */
  async checkJob(tenant: string, schedule: string, timezone: string, adding: boolean): Promise<void> {
    const admit = await this.prepareJob(tenant, schedule, timezone);
    if (adding) admit(await this.repo.jobCount(tenant));
  }

  /**
   * Checks the schedule (minJobIntervalSeconds) now; the returned maxJobs check runs inside the
   * insert's transaction with the tenant's job count (see JobAdmission).
   */
  async prepareJob(tenant: string, schedule: string, timezone: string): Promise<(jobs: number) => void> {
    const limits = await this.limits(tenant);
    this.checkInterval(tenant, schedule, timezone, limits.minJobIntervalSeconds);
    return (jobs) => {
      if (jobs + 1 > limits.maxJobs) {
        throw quotaError('maxJobs', `tenant ${tenant} has ${jobs} of ${limits.maxJobs} jobs (maxJobs); this create asks for 1 more`, { limit: limits.maxJobs, usage: jobs, request: 1 });
      }
    };
  }

  private checkInterval(tenant: string, schedule: string, timezone: string, minJobIntervalSeconds: number): void {
    const limits = { minJobIntervalSeconds };
    const gap = shortestGapSeconds(schedule, timezone, this.clock.now());
    if (gap !== null && gap < limits.minJobIntervalSeconds) {
      throw quotaError('minJobIntervalSeconds', `schedule: runs every ${gap}s; tenant ${tenant} may schedule at most every ${limits.minJobIntervalSeconds}s (minJobIntervalSeconds)`, { limit: limits.minJobIntervalSeconds, usage: null, request: gap }, 'schedule');
    }
  }

  async get(tenant: string): Promise<Tenant> {
    const [limits, overrides, plans, jobs] = await Promise.all([this.limits(tenant), this.repo.overrides(tenant), this.repo.instancePlans(tenant), this.repo.jobCount(tenant)]);
    return { tenant, limits, overrides: pickLimits(overrides), usage: { ...this.usageOf(plans), jobs } };
  }

  async list(): Promise<Tenant[]> {
    return Promise.all((await this.repo.known()).map((t) => this.get(t)));
  }

  /** Sets (a value) or clears (null) the tenant's overrides, key by key. */
  async setLimits(tenant: string, patch: Partial<Record<keyof TenantLimits, unknown>>): Promise<Tenant> {
    const current = pickLimits(await this.repo.overrides(tenant));
    const next: Record<string, unknown> = { ...current };
    for (const key of LIMIT_KEYS) {
      if (!(key in patch)) continue;
      const value = patch[key];
      if (value === null) delete next[key];
      else next[key] = value;
    }
    if (next.maxMemory !== undefined) memoryOf(next.maxMemory as string | number, 'maxMemory', 'INVALID_INPUT');
    for (const p of (next.plans as string[] | undefined) ?? []) {
      if (!this.plans.has(p)) throw BerthError.invalid('plans', `no plan ${JSON.stringify(p)}; plans are ${[...this.plans.keys()].join(', ')}`);
    }
    await this.repo.setOverrides(tenant, next, new Date(this.clock.now()).toISOString());
    return this.get(tenant);
  }

  private usageOf(plans: string[]): Omit<TenantUsage, 'jobs'> {
    let cpus = 0;
    let memoryBytes = 0;
    for (const name of plans) {
      const plan = this.plans.get(name);
      cpus += plan?.cpus ?? 0;
      memoryBytes += plan?.memoryBytes ?? 0;
    }
    return { instances: plans.length, cpus: round(cpus), memoryBytes };
  }
}

function pickLimits(value: Record<string, unknown>): Partial<TenantLimits> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => (LIMIT_KEYS as readonly string[]).includes(k))) as Partial<TenantLimits>;
}

function memoryOf(value: string | number, field: string, code: 'INVALID_CONFIG' | 'INVALID_INPUT'): number {
  const bytes = parseMemorySize(value);
  if (bytes === undefined) throw new BerthError(code, `${field}: ${JSON.stringify(value)} is not a size (e.g. "64GiB")`, { field });
  return bytes;
}

function quotaError(limit: string, message: string, figures: { limit: unknown; usage: unknown; request: unknown }, field?: string): BerthError {
  return new BerthError('QUOTA_EXCEEDED', message, { ...(field ? { field } : {}), details: { limit, limitValue: figures.limit, usage: figures.usage, request: figures.request } });
}

/** The shortest gap between the next few runs of a schedule, in seconds (null when it never runs twice). */
function shortestGapSeconds(schedule: string, timezone: string, now: number): number | null {
  const cron = parseSchedule(schedule, timezone);
  const runs = cron.nextRuns(8, new Date(now));
  let min: number | null = null;
  for (let i = 1; i < runs.length; i++) {
    const gap = (runs[i]!.getTime() - runs[i - 1]!.getTime()) / 1000;
    if (min === null || gap < min) min = gap;
  }
  return min;
}

const round = (n: number): number => Math.round(n * 1000) / 1000;
const mib = (bytes: number): string => `${Math.round(bytes / 1024 ** 2)}MiB`;
