import path from 'node:path';
import { BerthError } from '../../common/errors.js';
import { LABELS, managedLabels } from '../../runtime/labels.js';
import type { ContainerSpec } from '../../runtime/runtime-driver.js';
import type { InstanceRecord } from '../../store/repositories/instances-repo.js';
import type { Plan } from '../plans/resolve-plans.js';

/** The operator's runtime settings every tenant container is built from (config `runtime.*`). */
export interface RuntimeSettings {
  scope: string;
  bindAddress: string;
  user: string;
  logMaxSize: string;
  logMaxFile: number;
  stopTimeoutSeconds: number;
  /** The nofile ulimit of tenant processes. */
  nofile?: number;
  /** Env every instance gets; the request's env wins over it. */
  env: Record<string, string>;
  /** Operator-defined host mounts (config only; the API never takes a path). */
  mounts: Array<{ source: string; target: string; readOnly: boolean }>;
}

export const WORKSPACE_TARGET = '/workspace';

export function containerName(scope: string, name: string): string {
  return `berth-${scope}-${name}`;
}

/** The workspace volume name of rows made before volumes were named by instance id. */
export function workspaceVolume(scope: string, name: string): string {
  return `berth-${scope}-${name}-ws`;
}

/** A new instance's workspace volume: named by its immutable id, never by its reusable name. */
export function workspaceVolumeFor(scope: string, instanceId: string): string {
  return `berth-${scope}-ws-${instanceId}`;
}

/** The workspace volume an instance row uses (recorded on the row; older rows keep their old name). */
export function workspaceVolumeOf(scope: string, row: Pick<InstanceRecord, 'name' | 'workspaceVolume'>): string {
  return row.workspaceVolume ?? workspaceVolume(scope, row.name);
}

export function instanceLabels(scope: string, row: Pick<InstanceRecord, 'id' | 'name' | 'tenant' | 'plan' | 'hostPort'>): Record<string, string> {
  return {
    ...managedLabels(scope, 'instance'),
    [LABELS.instance]: row.id,
    [LABELS.instanceName]: row.name,
    [LABELS.tenant]: row.tenant,
    [LABELS.plan]: row.plan,
    [LABELS.port]: String(row.hostPort ?? ''),
  };
}

export function workspaceLabels(scope: string, row: Pick<InstanceRecord, 'id' | 'name' | 'tenant'>): Record<string, string> {
  return { ...managedLabels(scope, 'workspace'), [LABELS.instance]: row.id, [LABELS.instanceName]: row.name, [LABELS.tenant]: row.tenant };
}

/**
 * Everything the engine needs for one tenant container. Hardening (capabilities, privileges,
 * restart policy, log limits) is fixed in the driver; limits come from the plan.
 */
export function buildContainerSpec(row: InstanceRecord, plan: Plan, network: string, settings: RuntimeSettings, secrets: Record<string, string>): ContainerSpec {
  if (row.hostPort === null) throw new BerthError('INTERNAL', `instance ${row.name} has no host port`);
  const env = {
    ...settings.env,
    PORT: String(row.containerPort),
    ...row.env,
    ...secrets,
    BERTH_INSTANCE: row.name,
    BERTH_TENANT: row.tenant,
  };
  return {
    name: containerName(settings.scope, row.name),
    image: row.image,
    ...(row.command ? { command: row.command } : {}),
    env,
    labels: instanceLabels(settings.scope, row),
    user: settings.user,
    hostname: row.name,
    containerPort: row.containerPort,
    hostPort: row.hostPort,
    bindAddress: settings.bindAddress,
    cpus: plan.cpus,
    memoryBytes: plan.memoryBytes,
    pidsLimit: plan.pidsLimit,
    readOnlyRootfs: plan.readOnlyRootfs,
    network,
    volumes: [{ name: workspaceVolumeOf(settings.scope, row), target: WORKSPACE_TARGET }],
    binds: settings.mounts.map((m) => ({ source: m.source, target: m.target, readOnly: m.readOnly })),
    logMaxSize: settings.logMaxSize,
    logMaxFile: settings.logMaxFile,
    stopTimeoutSeconds: settings.stopTimeoutSeconds,
    tmpSizeBytes: plan.tmpSizeBytes,
    ...(plan.diskBytes === undefined ? {} : { diskBytes: plan.diskBytes }),
    ...(settings.nofile === undefined ? {} : { nofile: settings.nofile }),
    secretKeys: Object.keys(secrets),
    ...(plan.reservations ? { reservations: plan.reservations } : {}),
    ...(plan.constraints?.length ? { placement: { constraints: plan.constraints } } : {}),
  };
}

/**
 * Refuses operator mounts that would hand a tenant the engine (the Docker socket) or shadow
 * the workspace. Checked once at boot.
 */
export function checkOperatorMounts(mounts: RuntimeSettings['mounts'], dockerHost: string): void {
  const socket = dockerHost.startsWith('unix://') ? dockerHost.slice('unix://'.length) : dockerHost.startsWith('/') ? dockerHost : undefined;
  for (const [i, m] of mounts.entries()) {
    const source = path.resolve(m.source);
    const sourceDir = source.endsWith('/') ? source : `${source}/`;
    if (path.basename(source) === 'docker.sock' || (socket && (source === socket || socket.startsWith(sourceDir)))) {
      throw new BerthError('INVALID_CONFIG', `runtime.mounts.${i}.source = ${m.source}: tenant containers never get the Docker socket`);
    }
    if (path.resolve(m.target) === WORKSPACE_TARGET || !path.isAbsolute(m.target)) {
      throw new BerthError('INVALID_CONFIG', `runtime.mounts.${i}.target = ${m.target}: must be an absolute path other than ${WORKSPACE_TARGET}`);
    }
  }
}
