import type { Insertable, Selectable, Updateable } from 'kysely';
import type { HealthSpec } from '../../common/health-spec.js';
import type { DesiredState, InstanceStatus } from '../../common/instance-status.js';
import type { InstancesTable } from '../database.js';

/** An instance as the store keeps it, in the domain's words: camelCase, JSON columns parsed, flags as booleans. */
export interface InstanceRecord {
  id: string;
  name: string;
  tenant: string;
  plan: string;
  image: string;
  /** The argv, or null for the image's default command. */
  command: string[] | null;
  env: Record<string, string>;
  /** Sealed secret values (only the secret box opens them). */
  secretsSealed: string | null;
  secretNames: string[];
  containerPort: number;
  hostPort: number | null;
  health: HealthSpec;
  /** s6 scan directory asked for at create (tried first by supervision); null: the plan's, then the defaults. */
  scanDir: string | null;
  /** Hash of the creation spec, for idempotent create. */
  specHash: string;
  desiredState: DesiredState;
  status: InstanceStatus;
  containerId: string | null;
  networkName: string | null;
  /** Null on rows older than the volume column (see workspaceVolumeOf). */
  workspaceVolume: string | null;
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
  /** The revision (instance_revisions) the spec fields hold, and the one before it (null: never changed). */
  revision: number;
  previousRevision: number | null;
}

/** A new instance: always `creating` (the status machine's only entry); the counters start at zero. */
export type NewInstance = Pick<InstanceRecord,
  'id' | 'name' | 'tenant' | 'plan' | 'image' | 'command' | 'env' | 'secretsSealed' | 'secretNames' | 'containerPort' | 'hostPort'
  | 'health' | 'specHash' | 'desiredState' | 'networkName' | 'workspaceVolume' | 'createdAt' | 'updatedAt'> & { status: 'creating'; scanDir?: string | null };

/** What a writer may set; id, timestamps and the version are the store's, the status only through `transition`. */
export type InstancePatch = Partial<Pick<InstanceRecord,
  'hostPort' | 'containerId' | 'desiredState' | 'consecutiveFailures' | 'backoffMs' | 'nextRestartAt' | 'lastError' | 'startedAt'
  // The spec fields, written together when a revision is rolled out or rolled back.
  | 'image' | 'command' | 'env' | 'secretsSealed' | 'secretNames' | 'plan' | 'containerPort' | 'health' | 'specHash' | 'networkName'
  | 'revision' | 'previousRevision'
  // A restored snapshot's volume takes the old one's place.
  | 'workspaceVolume'>>
  & {
    /** Forget the crash-loop window (a manual start or restart after the failure policy gave up). */
    clearRestartHistory?: true;
  };

type Row = Selectable<InstancesTable>;

/** The one place an instances row becomes a record. */
export function toInstanceRecord(row: Row): InstanceRecord {
  return {
    id: row.id,
    name: row.name,
    tenant: row.tenant,
    plan: row.plan,
    image: row.image,
    command: row.command ? (JSON.parse(row.command) as string[]) : null,
    env: JSON.parse(row.env) as Record<string, string>,
    secretsSealed: row.secrets_sealed,
    secretNames: JSON.parse(row.secret_names) as string[],
    containerPort: row.container_port,
    hostPort: row.host_port,
    health: JSON.parse(row.health) as HealthSpec,
    scanDir: row.scan_dir ?? null,
    specHash: row.spec_hash,
    desiredState: row.desired_state as DesiredState,
    status: row.status,
    containerId: row.container_id,
    networkName: row.network_name,
    workspaceVolume: row.workspace_volume,
    restarts: row.restarts,
    consecutiveFailures: row.consecutive_failures,
    checksPassed: row.checks_passed,
    lastCheckAt: row.last_check_at,
    lastCheckOk: row.last_check_ok === null ? null : row.last_check_ok === 1,
    lastCheckLatencyMs: row.last_check_latency_ms,
    lastExitCode: row.last_exit_code,
    oomKilled: row.oom_killed === 1,
    backoffMs: row.backoff_ms,
    nextRestartAt: row.next_restart_at,
    lastError: row.last_error,
    startedAt: row.started_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    revision: Number(row.revision ?? 1),
    previousRevision: row.previous_revision === null || row.previous_revision === undefined ? null : Number(row.previous_revision),
  };
}

export function toInstanceRow(record: NewInstance): Insertable<InstancesTable> {
  return {
    id: record.id,
    name: record.name,
    tenant: record.tenant,
    plan: record.plan,
    image: record.image,
    command: record.command ? JSON.stringify(record.command) : null,
    env: JSON.stringify(record.env),
    secrets_sealed: record.secretsSealed,
    secret_names: JSON.stringify(record.secretNames),
    container_port: record.containerPort,
    host_port: record.hostPort,
    health: JSON.stringify(record.health),
    scan_dir: record.scanDir ?? null,
    spec_hash: record.specHash,
    desired_state: record.desiredState,
    status: record.status,
    container_id: null,
    network_name: record.networkName,
    workspace_volume: record.workspaceVolume,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}

export function toInstanceColumns(patch: InstancePatch): Updateable<InstancesTable> {
  const out: Updateable<InstancesTable> = {};
  if (patch.hostPort !== undefined) out.host_port = patch.hostPort;
  if (patch.containerId !== undefined) out.container_id = patch.containerId;
  if (patch.desiredState !== undefined) out.desired_state = patch.desiredState;
  if (patch.consecutiveFailures !== undefined) out.consecutive_failures = patch.consecutiveFailures;
  if (patch.backoffMs !== undefined) out.backoff_ms = patch.backoffMs;
  if (patch.nextRestartAt !== undefined) out.next_restart_at = patch.nextRestartAt;
  if (patch.lastError !== undefined) out.last_error = patch.lastError;
  if (patch.startedAt !== undefined) out.started_at = patch.startedAt;
  if (patch.clearRestartHistory) out.restart_history = '[]';
  if (patch.image !== undefined) out.image = patch.image;
  if (patch.command !== undefined) out.command = patch.command ? JSON.stringify(patch.command) : null;
  if (patch.env !== undefined) out.env = JSON.stringify(patch.env);
  if (patch.secretsSealed !== undefined) out.secrets_sealed = patch.secretsSealed;
  if (patch.secretNames !== undefined) out.secret_names = JSON.stringify(patch.secretNames);
  if (patch.plan !== undefined) out.plan = patch.plan;
  if (patch.containerPort !== undefined) out.container_port = patch.containerPort;
  if (patch.health !== undefined) out.health = JSON.stringify(patch.health);
  if (patch.specHash !== undefined) out.spec_hash = patch.specHash;
  if (patch.networkName !== undefined) out.network_name = patch.networkName;
  if (patch.revision !== undefined) out.revision = patch.revision;
  if (patch.previousRevision !== undefined) out.previous_revision = patch.previousRevision;
  if (patch.workspaceVolume !== undefined) out.workspace_volume = patch.workspaceVolume;
  return out;
}
