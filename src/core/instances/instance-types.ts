/** The instance vocabulary shared by the API, the reconciler, the monitor and the scheduler. */

import type { InstanceStatus } from './instance-status.js';

export { INSTANCE_STATUSES, type InstanceStatus } from './instance-status.js';

export const DESIRED_STATES = ['running', 'stopped'] as const;
export type DesiredState = (typeof DESIRED_STATES)[number];

export interface HealthSpec {
  path: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  successThreshold: number;
  startPeriodSeconds: number;
  /** Critical s6 services inside the container: one down or flapping makes the instance unhealthy. */
  services?: string[];
}

/** An instance as the API shows it: never secret values, only their names. */
export interface Instance {
  id: string;
  name: string;
  tenant: string;
  plan: string;
  image: string;
  command: string[] | null;
  env: Record<string, string>;
  secretNames: string[];
  port: number;
  hostPort: number | null;
  url: string | null;
  network: string | null;
  health: HealthSpec;
  desiredState: DesiredState;
  status: InstanceStatus;
  containerId: string | null;
  restarts: number;
  consecutiveFailures: number;
  checksPassed: number;
  lastCheckAt: string | null;
  lastCheckOk: boolean | null;
  lastCheckLatencyMs: number | null;
  lastExitCode: number | null;
  oomKilled: boolean;
  backoffMs: number;
  nextRestartAt: string | null;
  lastError: string | null;
  /** The cluster node running it (runtime.driver swarm). */
  node?: string | null;
  /** s6 scan directory asked for at create (tried first by supervision); null: the plan's, then the defaults. */
  scanDir: string | null;
  startedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The create request as it arrives (already shape-checked by the API schema, not yet by the domain). */
export interface CreateInstanceInput {
  tenant: string;
  name?: string;
  plan?: string;
  image?: string;
  command?: string[] | null;
  env?: Record<string, string>;
  secrets?: Record<string, string>;
  port?: number;
  health?: Partial<HealthSpec>;
  /** Attach a workspace kept by an earlier delete of this tenant (by its id); otherwise a fresh one. */
  workspace?: { from: string };
  /** s6 scan directory to try first (absolute, no ".."). */
  scanDir?: string;
}

/** A validated create request with every default filled in. */
export interface InstanceSpec {
  tenant: string;
  name: string;
  plan: string;
  image: string;
  command: string[] | null;
  env: Record<string, string>;
  secrets: Record<string, string>;
  port: number;
  health: HealthSpec;
  /** Only when asked for, so specs (and their hashes) without one are unchanged. */
  scanDir?: string;
}

/** Who asks: a tenant-scoped caller sees and acts on its own tenant only. */
export interface Viewer {
  tenant: string | null;
}

/** berth itself (the reconciler, the monitor, jobs): sees every tenant. Callers name it on purpose; nothing defaults to it. */
export const SYSTEM_VIEWER: Viewer = { tenant: null };
