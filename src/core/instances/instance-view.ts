import type { InstanceRecord } from '../../store/repositories/instances-repo.js';
import type { Instance } from './instance-types.js';

/**
 * Record → the API's Instance, field by field (so nothing added to the record, such as sealed
 * secrets, is shown by accident), with a URL where the published port answers.
 */
export function toInstance(r: InstanceRecord, bindAddress: string): Instance {
  const host = bindAddress === '0.0.0.0' || bindAddress === '' ? '127.0.0.1' : bindAddress;
  return {
    id: r.id,
    name: r.name,
    tenant: r.tenant,
    plan: r.plan,
    image: r.image,
    command: r.command,
    env: r.env,
    secretNames: r.secretNames,
    port: r.containerPort,
    hostPort: r.hostPort,
    url: r.hostPort ? `http://${host.includes(':') ? `[${host}]` : host}:${r.hostPort}` : null,
    network: r.networkName,
    health: r.health,
    desiredState: r.desiredState,
    status: r.status,
    containerId: r.containerId,
    restarts: r.restarts,
    consecutiveFailures: r.consecutiveFailures,
    checksPassed: r.checksPassed,
    lastCheckAt: r.lastCheckAt,
    lastCheckOk: r.lastCheckOk,
    lastCheckLatencyMs: r.lastCheckLatencyMs,
    lastExitCode: r.lastExitCode,
    oomKilled: r.oomKilled,
    backoffMs: r.backoffMs,
    nextRestartAt: r.nextRestartAt,
    lastError: r.lastError,
    startedAt: r.startedAt,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    revision: r.revision,
    previousRevision: r.previousRevision,
    scanDir: r.scanDir,
  };
}
