import type { JobTarget } from './job-types.js';

/** An instance a job acts on, in the scheduler's terms. */
export interface TargetInstance {
  id: string;
  name: string;
  tenant: string;
  plan: string;
  containerId: string | null;
  hostPort: number | null;
  status: string;
  desiredState: string;
}

export interface ExecOutcome {
  exitCode: number | null;
  output: string;
  truncated: boolean;
  timedOut: boolean;
}

export interface HttpOutcome {
  statusCode: number;
  body: string;
  truncated: boolean;
}

export interface HttpCall {
  method: string;
  path: string;
  body?: string | Record<string, unknown>;
}

/**
 * What the scheduler needs from the instances side: find the instances a target names and act
 * on them. Kept small so the scheduler does not depend on how instances are built.
 */
export interface JobTargets {
  /** One instance by name or id (not being deleted), for validation and tenancy. */
  find(nameOrId: string): Promise<TargetInstance | undefined>;
  /** Every instance the target names right now (none being deleted), only within `tenant` when the job has one. */
  resolve(target: JobTarget, tenant: string | null): Promise<TargetInstance[]>;
  /** Restarts an instance; `actor` and `reason` are recorded in its events. */
  restart(instance: TargetInstance, actor: string, reason: string): Promise<void>;
  exec(instance: TargetInstance, argv: string[], options: { timeoutMs: number; outputLimitBytes: number }): Promise<ExecOutcome>;
  http(instance: TargetInstance, call: HttpCall, options: { timeoutMs: number; outputLimitBytes: number; signal: AbortSignal }): Promise<HttpOutcome>;
  /** A workspace snapshot (optional: a berth without snapshots fails such runs). */
  snapshot?(instance: TargetInstance, mode: 'pause' | 'stop', actor: string): Promise<SnapshotOutcome>;
}

export interface SnapshotOutcome {
  id: string;
  sizeBytes: number | null;
  pauseMs: number | null;
}
