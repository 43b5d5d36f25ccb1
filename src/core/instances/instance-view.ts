import type { InstanceRow } from '../../store/repositories/instances-repo.js';
import type { DesiredState, HealthSpec, Instance, InstanceStatus } from './instance-types.js';

/** Row → the API's Instance. `probeHost` is where the published port answers. */
export function toInstance(row: InstanceRow, bindAddress: string): Instance {
  const host = bindAddress === '0.0.0.0' || bindAddress === '' ? '127.0.0.1' : bindAddress;
  return {
    id: row.id,
    name: row.name,
    tenant: row.tenant,
    plan: row.plan,
    image: row.image,
    command: row.command ? (JSON.parse(row.command) as string[]) : null,
    env: JSON.parse(row.env) as Record<string, string>,
    secretNames: JSON.parse(row.secret_names) as string[],
    port: row.container_port,
    hostPort: row.host_port,
    url: row.host_port ? `http://${host.includes(':') ? `[${host}]` : host}:${row.host_port}` : null,
    network: row.network_name,
    health: JSON.parse(row.health) as HealthSpec,
    desiredState: row.desired_state as DesiredState,
    status: row.status as InstanceStatus,
    containerId: row.container_id,
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
    scanDir: row.scan_dir ?? null,
    startedAt: row.started_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
