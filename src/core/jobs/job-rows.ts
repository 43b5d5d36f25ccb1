import type { JobRow, JobRunRow } from '../../store/repositories/jobs-repo.js';
import type { Job, JobAction, JobRun, JobTarget, MissedPolicy, OverlapPolicy, RunStatus, RunTrigger, TargetResult } from './job-types.js';

/** Stored rows ↔ domain shapes. JSON columns are parsed here and nowhere else. */
export function toJob(row: JobRow): Job {
  return {
    id: row.id,
    name: row.name,
    schedule: row.schedule,
    timezone: row.timezone,
    target: JSON.parse(row.target) as JobTarget,
    action: JSON.parse(row.action) as JobAction,
    enabled: row.enabled === 1,
    missedPolicy: row.missed_policy as MissedPolicy,
    overlapPolicy: row.overlap_policy as OverlapPolicy,
    timeoutSeconds: row.timeout_seconds,
    tenant: row.tenant,
    nextRunAt: row.next_run_at,
    lastRunAt: row.last_run_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toRun(row: JobRunRow): JobRun {
  const ended = row.ended_at ? Date.parse(row.ended_at) : null;
  return {
    id: row.id,
    jobId: row.job_id,
    slot: row.slot,
    trigger: row.trigger as RunTrigger,
    status: row.status as RunStatus,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    durationMs: ended === null ? null : ended - Date.parse(row.started_at),
    results: JSON.parse(row.results) as TargetResult[],
    note: row.note,
    claimedBy: row.claimed_by,
  };
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
