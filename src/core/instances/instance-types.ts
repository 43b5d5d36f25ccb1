/** The instance vocabulary shared by the API, the reconciler, the monitor and the scheduler. */

export const INSTANCE_STATUSES = [
  'creating', 'starting', 'running', 'unhealthy', 'restarting', 'stopping', 'stopped', 'crashloop', 'failed', 'deleting',
] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

export const DESIRED_STATES = ['running', 'stopped'] as const;
export type DesiredState = (typeof DESIRED_STATES)[number];

export interface HealthSpec {
  path: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  successThreshold: number;
  startPeriodSeconds: number;
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
}

/** Who asks: a tenant-scoped caller sees and acts on its own tenant only. */
export interface Viewer {
  tenant: string | null;
}

export const ADMIN_VIEWER: Viewer = { tenant: null };

/** Statuses in which the container is meant to be up (the monitor probes these). */
export const ACTIVE_STATUSES: readonly InstanceStatus[] = ['starting', 'running', 'unhealthy'];
