import type { InstanceRecord, InstanceSummaryRecord } from '../../store/repositories/instances-repo.js';
import type { Instance, InstanceBrief } from './instance-types.js';

/** Where the published port answers, as seen from the host berth binds to. */
export function urlOf(hostPort: number | null, bindAddress: string): string | null {
  if (!hostPort) return null;
  const host = bindAddress === '0.0.0.0' || bindAddress === '' ? '127.0.0.1' : bindAddress;
  return `http://${host.includes(':') ? `[${host}]` : host}:${hostPort}`;
}

/** A summary record → what a fleet table shows (the API's InstanceSummary). */
export function toInstanceBrief(r: InstanceSummaryRecord, bindAddress: string): InstanceBrief {
  return {
    id: r.id, name: r.name, tenant: r.tenant, plan: r.plan, status: r.status, desiredState: r.desiredState,
    hostPort: r.hostPort, url: urlOf(r.hostPort, bindAddress), restarts: r.restarts, lastCheckAt: r.lastCheckAt,
    lastCheckOk: r.lastCheckOk, lastError: r.lastError, createdAt: r.createdAt, updatedAt: r.updatedAt,
  };
}

/**
 * Record → the API's Instance, field by field (so nothing added to the record, such as sealed
 * secrets, is shown by accident), with a URL where the published port answers.
 */
export function toInstance(r: InstanceRecord, bindAddress: string): Instance {
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
    url: urlOf(r.hostPort, bindAddress),
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
