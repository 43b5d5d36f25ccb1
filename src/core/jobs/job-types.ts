/** The shapes of scheduled jobs and their runs, as the API and the scheduler see them. */

/**
 * Exactly one of: one instance, every instance of a tenant, or of a plan. An instance target is
 * bound to the instance's immutable id when the job is saved (`instance` keeps the name it had,
 * for people); only the id is ever resolved, so a later instance of the same name is never hit.
 */
export type JobTarget = { instance: string; instanceId?: string } | { tenant: string } | { plan: string };

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';

export type JobAction =
  | { type: 'restart' }
  | { type: 'exec'; command: string[]; timeoutSeconds: number }
  | { type: 'http'; method: HttpMethod; path: string; body?: string | Record<string, unknown>; timeoutSeconds: number }
  /** A workspace snapshot of each target (pruned to its plan's snapshots.keep). */
  | { type: 'snapshot'; mode: 'pause' | 'stop' };

export type MissedPolicy = 'skip' | 'run-once';
export type OverlapPolicy = 'skip';

/** A validated, normalised job definition: what create and update store. */
export interface JobSpec {
  name: string;
  schedule: string;
  timezone: string;
  target: JobTarget;
  action: JobAction;
  enabled: boolean;
  missedPolicy: MissedPolicy;
  overlapPolicy: OverlapPolicy;
  /** Bounds a whole run, over all its targets. */
  timeoutSeconds: number;
}

export interface Job extends JobSpec {
  id: string;
  /** The tenant the job belongs to (instance and tenant targets); null for plan-wide jobs (admin only). */
  tenant: string | null;
  nextRunAt: string | null;
  lastRunAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'timed_out' | 'skipped';
export type RunTrigger = 'schedule' | 'catch-up' | 'manual';
export type TargetOutcome = 'succeeded' | 'failed' | 'timed_out';

export interface TargetResult {
  instanceId: string;
  instance: string;
  tenant: string;
  outcome: TargetOutcome;
  /** exec: the command's exit code; null when it was killed or never ran. */
  exitCode: number | null;
  /** http: the response status. */
  statusCode: number | null;
  /** Output (exec) or response body (http), truncated to scheduler.outputLimitBytes. */
  output: string;
  truncated: boolean;
  error: string | null;
  startedAt: string;
  endedAt: string;
}

export interface JobRun {
  id: string;
  jobId: string;
  /** The scheduled slot (ISO time) or `manual:<run id>`. */
  slot: string;
  trigger: RunTrigger;
  status: RunStatus;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  results: TargetResult[];
  /** Why a run was skipped or failed as a whole (no target matched, previous run still going …). */
  note: string | null;
  /** Which berth process claimed the run. */
  claimedBy: string;
}
