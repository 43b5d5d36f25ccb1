import { InstancesRepo } from '../../src/store/repositories/instances-repo.js';
import type { TestDaemon } from '../helpers/test-daemon.js';

/**
 * Writes `n` instance rows straight into the daemon's store, desired state stopped and status
 * stopped, so the API lists them but neither the reconciler nor the monitor starts containers on
 * the shared engine. For list sizes the engine cannot hold as real containers.
 */
export async function seedStoppedInstances(td: TestDaemon, n: number, prefix: string): Promise<void> {
  const repo = new InstancesRepo(td.daemon.store.db, () => new Date().toISOString());
  const health = JSON.stringify({ path: '/health', intervalSeconds: 30, timeoutSeconds: 5, failureThreshold: 3, successThreshold: 1, startPeriodSeconds: 10 });
  for (let i = 0; i < n; i++) {
    const id = `ins_${prefix}${String(i).padStart(5, '0')}`;
    // created_at spaced a millisecond apart keeps the API's order (created_at, id) the seeding order.
    const at = new Date(Date.UTC(2026, 0, 1) + i).toISOString();
    await repo.insert({
      id, name: `${prefix}-${i}`, tenant: `tenant-${i % 40}`, plan: ['starter', 'pro', 'business'][i % 3]!,
      image: 'berth/test-agent:local', command: null, env: '{}', secrets_sealed: null, secret_names: '[]', container_port: 8080,
      host_port: null, health, spec_hash: `${prefix}${i}`, desired_state: 'stopped', status: 'creating', container_id: null, network_name: null,
      last_check_at: null, last_check_ok: null, last_check_latency_ms: null, last_exit_code: null, next_restart_at: null, last_error: null, started_at: null,
      created_at: at, updated_at: at,
    });
    // Rows start as `creating` (the status machine's only entry); `created-stopped` settles them.
    await repo.transition(id, 'creating', 'stopped');
  }
}
