/** The instance vocabulary shared by the API, the reconciler, the monitor and the scheduler. */

import type { HealthSpec } from '../../common/health-spec.js';
import type { InstanceRecord } from '../../store/repositories/instance-record.js';

export { DESIRED_STATES, INSTANCE_STATUSES, type DesiredState, type InstanceStatus } from '../../common/instance-status.js';
export type { HealthSpec } from '../../common/health-spec.js';

/**
 * An instance as the API shows it: the stored record without what stays inside berth (sealed
 * secrets, the spec hash, volume and network bookkeeping), with where it answers.
 */
export type Instance = Omit<InstanceRecord, 'secretsSealed' | 'specHash' | 'workspaceVolume' | 'containerPort' | 'networkName'> & {
  port: number;
  url: string | null;
  network: string | null;
  /** The cluster node running it (runtime.driver swarm). */
  node?: string | null;
};

/** What a fleet table shows of an instance (the API's InstanceSummary, `view=summary`). */
export type InstanceBrief = Pick<Instance,
  'id' | 'name' | 'tenant' | 'plan' | 'status' | 'desiredState' | 'hostPort' | 'url' | 'restarts' | 'lastCheckAt' | 'lastCheckOk'
  | 'lastError' | 'createdAt' | 'updatedAt' | 'node'>;

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
  /**
   * Attach a workspace kept by an earlier delete of this tenant (`from`, by its id), or start
   * from a copy of one of the tenant's snapshots (`fromSnapshot`); otherwise a fresh one.
   */
  workspace?: { from?: string; fromSnapshot?: string };
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
