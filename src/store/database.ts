import type { Generated } from 'kysely';
import type { InstanceStatus } from '../core/instances/instance-status.js';

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
}
