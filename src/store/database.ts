import type { Generated } from 'kysely';
import type { InstanceStatus } from '../common/instance-status.js';

/**
 * The store's tables as Kysely sees them. Timestamps are ISO-8601 text (sortable, identical on
 * SQLite and Postgres), booleans are 0/1 integers, structured values are JSON text.
 */
export interface InstancesTable {
  id: string;
  name: string;
  tenant: string;
  plan: string;
  image: string;
  /** JSON argv array, or null for the image's default command. */
  command: string | null;
  /** JSON object of plain env. */
  env: string;
  /** AES-256-GCM sealed JSON object of secrets; never leaves the store unsealed except into the runtime. */
  secrets_sealed: string | null;
  /** JSON array of secret names (what the API may show). */
  secret_names: string;
  container_port: number;
  /** Unique: the store is the port allocator. */
  host_port: number | null;
  /** JSON health spec. */
  health: string;
  /** Hash of the creation spec, for idempotent create. */
  spec_hash: string;
  desired_state: string;
  status: InstanceStatus;
  container_id: string | null;
  network_name: string | null;
  /** The workspace volume's name, chosen from the instance id at create; null on rows older than that (see workspaceVolumeOf). */
  workspace_volume: string | null;
  /** s6 scan directory asked for at create; null when none was (0010). */
  scan_dir: string | null;
  restarts: Generated<number>;
  consecutive_failures: Generated<number>;
  checks_passed: Generated<number>;
  last_check_at: string | null;
  last_check_ok: number | null;
  last_check_latency_ms: number | null;
  last_exit_code: number | null;
  oom_killed: Generated<number>;
  backoff_ms: Generated<number>;
  next_restart_at: string | null;
  /** JSON array of ISO times of recent restarts (the crash-loop window). */
  restart_history: Generated<string>;
  last_error: string | null;
  started_at: string | null;
  created_at: string;
  updated_at: string;
  /** Bumped on each write; guards concurrent updates. */
  version: Generated<number>;
  /** The revision (instance_revisions) the spec columns above hold. */
  revision: Generated<number>;
  /** The revision before it, or null for an instance never changed. */
  previous_revision: Generated<number | null>;
  /** The berth process (cluster.processId) that made the last policy restart. */
  restarted_by: string | null;
}

export interface NetworksTable {
  tenant: string;
  name: string;
  /** Unique: the store is the subnet allocator. */
  subnet: string;
  internal: number;
  created_at: string;
}

export interface EventsTable {
  id: Generated<number>;
  instance_id: string | null;
  instance_name: string | null;
  tenant: string | null;
  type: string;
  message: string;
  actor: string;
  /** JSON object with details, or null. */
  data: string | null;
  at: string;
}

export interface TokensTable {
  id: string;
  name: string;
  /** sha256 of the token, hex. */
  hash: string;
  scope: string;
  tenant: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  /** After this the token no longer authenticates; null: never expires. */
  expires_at: string | null;
}

export interface JobsTable {
  id: string;
  name: string;
  schedule: string;
  timezone: string;
  /** JSON target: { instance } | { tenant } | { plan }. */
  target: string;
  /** JSON action. */
  action: string;
  enabled: number;
  missed_policy: string;
  overlap_policy: string;
  timeout_seconds: number;
  tenant: string | null;
  next_run_at: string | null;
  last_run_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface JobRunsTable {
  id: string;
  job_id: string;
  /** The scheduled slot (ISO) or `manual:<id>`; unique per job: claiming a slot is inserting it. */
  slot: string;
  trigger: string;
  status: string;
  started_at: string;
  ended_at: string | null;
  /** JSON array of per-target results. */
  results: string;
  claimed_by: string;
  /** Why a run was skipped or failed as a whole; null otherwise. */
  note: string | null;
}

/** Workspace volumes kept by `DELETE ?keepData=true`, until attached to a new instance or deleted. */
export interface WorkspacesTable {
  id: string;
  volume: string;
  /** Null only for workspaces kept before tenants were recorded: admin only. */
  tenant: string | null;
  instance_id: string | null;
  instance_name: string | null;
  kept_at: string;
}

export interface TenantLimitsTable {
  tenant: string;
  /** JSON object of the limits set for this tenant; unset keys follow config tenants.defaults. */
  limits: string;
  updated_at: string;
}

/** One numbered spec of an instance; secrets only sealed. */
export interface InstanceRevisionsTable {
  instance_id: string;
  revision: number;
  tenant: string;
  /** JSON: image, command, env, secretNames, plan, port, health. */
  spec: string;
  secrets_sealed: string | null;
  /** JSON array of the changed field names against the revision it was made from. */
  changed: string;
  actor: string;
  reason: string | null;
  created_at: string;
}

/** One health-gated move of an instance from one revision to another (a PATCH, a rollback, a rollout item). */
export interface InstanceUpgradesTable {
  id: string;
  instance_id: string;
  tenant: string;
  rollout_id: string | null;
  /** upgrade | rollback */
  kind: string;
  from_revision: number;
  to_revision: number;
  /** pending | running | succeeded | rolled-back | failed | paused | cancelled */
  status: string;
  /** Where a running upgrade is: pending | created | switched | committed (resumed from here after a crash). */
  phase: string;
  old_container_id: string | null;
  new_container_id: string | null;
  health_timeout_seconds: number;
  failure_action: string;
  actor: string;
  message: string | null;
  /** Old container stopped → new container healthy, in ms. */
  downtime_ms: number | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
}

export interface RolloutsTable {
  id: string;
  /** The tenant a tenant token made it for; null: made by an admin. */
  tenant: string | null;
  selector: string;
  /** JSON patch without secret values (those are in secrets_sealed). */
  patch: string;
  secrets_sealed: string | null;
  max_parallel: number;
  max_failures: number;
  health_timeout_seconds: number;
  failure_action: string;
  /** running | paused | cancelled | succeeded | failed */
  status: string;
  message: string | null;
  actor: string;
  created_at: string;
  updated_at: string;
}

export interface RolloutItemsTable {
  rollout_id: string;
  instance_id: string;
  instance_name: string;
  tenant: string;
  position: number;
  /** pending | running | succeeded | failed | skipped | cancelled */
  status: string;
  upgrade_id: string | null;
  revision: number | null;
  message: string | null;
  started_at: string | null;
  ended_at: string | null;
}

/** runtime.driver swarm: the node holding a workspace volume (volumes are node-local). */
export interface WorkspaceNodesTable {
  volume: string;
  node_id: string;
  placed_at: string;
}

/** Workspace snapshots: a tar of /workspace under the snapshot dir, with its size and sha256. */
export interface SnapshotsTable {
  id: string;
  instance_id: string;
  instance_name: string;
  tenant: string;
  /** creating | ready | failed */
  status: string;
  /** manual | scheduled | before-upgrade */
  trigger: string;
  /** pause | stop */
  mode: string;
  /** Relative to the snapshot dir: <tenant>/<id>.tar */
  file: string;
  /** bigint: Postgres hands it back as a string; the repo maps it to a number. */
  size_bytes: number | string | null;
  sha256: string | null;
  /** How long the agent was paused (or stopped) for the copy. */
  pause_ms: number | null;
  actor: string;
  error: string | null;
  created_at: string;
  completed_at: string | null;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface Database {
  instances: InstancesTable;
  networks: NetworksTable;
  events: EventsTable;
  tokens: TokensTable;
  jobs: JobsTable;
  job_runs: JobRunsTable;
  meta: MetaTable;
  workspaces: WorkspacesTable;
  tenant_limits: TenantLimitsTable;
  instance_revisions: InstanceRevisionsTable;
  instance_upgrades: InstanceUpgradesTable;
  rollouts: RolloutsTable;
  rollout_items: RolloutItemsTable;
  workspace_nodes: WorkspaceNodesTable;
  snapshots: SnapshotsTable;
  leases: LeasesTable;
  instance_locks: InstanceLocksTable;
}

/** A named lease (leadership of a scope's loops); times are the database clock's epoch ms. */
export interface LeasesTable {
  name: string;
  holder: string;
  /** One per process start: a restarted process with the same holder name is a new holder. */
  holder_nonce: string;
  /** Fencing token: bumped whenever the holder changes; state writes check it. */
  token: string | number;
  acquired_at: string | number;
  renewed_at: string | number;
  expires_at: string | number;
}

/** A per-instance lock taken by API actions across berth processes (expires if its holder dies). */
export interface InstanceLocksTable {
  instance_id: string;
  holder: string;
  owner: string;
  acquired_at: string | number;
  expires_at: string | number;
}
