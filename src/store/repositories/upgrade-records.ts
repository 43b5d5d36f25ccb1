/** The vocabulary of revisions, health-gated upgrades and fleet rollouts. */

import type { HealthSpec } from '../../common/health-spec.js';

/** What a revision holds: the changeable part of an instance's spec (secret values only sealed, elsewhere). */
export interface RevisionSpec {
  image: string;
  command: string[] | null;
  env: Record<string, string>;
  secretNames: string[];
  plan: string;
  port: number;
  health: HealthSpec;
}

/** The fields a PATCH may change; also the names a revision's `changed` list uses. */
export const PATCHABLE_FIELDS = ['image', 'command', 'env', 'secrets', 'plan', 'port', 'health'] as const;
export type PatchableField = (typeof PATCHABLE_FIELDS)[number];

export interface Revision {
  instanceId: string;
  revision: number;
  tenant: string;
  spec: RevisionSpec;
  /** Sealed secret values; never leaves the domain (the API view drops it). */
  secretsSealed: string | null;
  changed: string[];
  actor: string;
  reason: string | null;
  createdAt: string;
}

/** A revision as the API shows it. */
export type RevisionView = Omit<Revision, 'secretsSealed'> & { current: boolean };

export const FAILURE_ACTIONS = ['rollback', 'pause'] as const;
export type FailureAction = (typeof FAILURE_ACTIONS)[number];

export interface RolloutOptions {
  healthTimeoutSeconds: number;
  failureAction: FailureAction;
}

export type UpgradeStatus = 'pending' | 'running' | 'succeeded' | 'rolled-back' | 'failed' | 'paused' | 'cancelled';
/** Where a running upgrade is; a berth restarted mid-way resumes from here. */
export type UpgradePhase = 'pending' | 'created' | 'switched' | 'committed';
export type UpgradeKind = 'upgrade' | 'rollback';

export interface Upgrade {
  id: string;
  instanceId: string;
  tenant: string;
  rolloutId: string | null;
  kind: UpgradeKind;
  fromRevision: number;
  toRevision: number;
  status: UpgradeStatus;
  phase: UpgradePhase;
  oldContainerId: string | null;
  newContainerId: string | null;
  healthTimeoutSeconds: number;
  failureAction: FailureAction;
  actor: string;
  message: string | null;
  downtimeMs: number | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

export const UPGRADE_DONE: readonly UpgradeStatus[] = ['succeeded', 'rolled-back', 'failed', 'paused', 'cancelled'];

/** A PATCH body: any subset of the patchable fields. env and secrets merge key by key (null removes a key). */
export interface InstancePatchInput {
  image?: string;
  command?: string[] | null;
  env?: Record<string, string | null>;
  secrets?: Record<string, string | null>;
  plan?: string;
  port?: number;
  health?: Partial<HealthSpec>;
}

export type RolloutStatus = 'running' | 'paused' | 'cancelled' | 'succeeded' | 'failed';
export type RolloutItemStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

export type RolloutSelector = { tenant: string } | { plan: string } | { instances: string[] };

export interface RolloutItem {
  instanceId: string;
  instance: string;
  tenant: string;
  position: number;
  status: RolloutItemStatus;
  upgradeId: string | null;
  revision: number | null;
  message: string | null;
  startedAt: string | null;
  endedAt: string | null;
}

export interface Rollout {
  id: string;
  tenant: string | null;
  selector: RolloutSelector;
  /** The patch without secret values (secret names only). */
  patch: Omit<InstancePatchInput, 'secrets'> & { secretNames?: string[]; secretsRemoved?: string[] };
  secretsSealed: string | null;
  maxParallel: number;
  maxFailures: number;
  healthTimeoutSeconds: number;
  failureAction: FailureAction;
  status: RolloutStatus;
  message: string | null;
  actor: string;
  createdAt: string;
  updatedAt: string;
}

export type RolloutView = Omit<Rollout, 'secretsSealed'> & {
  counts: Record<RolloutItemStatus, number>;
  items: RolloutItem[];
};
