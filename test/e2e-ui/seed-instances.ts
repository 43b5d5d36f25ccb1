import type { TestDaemon } from '../helpers/test-daemon.js';

/**
 * Writes `n` instance rows straight into the daemon's store, desired state stopped and status
 * stopped, so the API lists them but neither the reconciler nor the monitor starts containers on
 * the shared engine. For list sizes the engine cannot hold as real containers.
 */
export async function seedStoppedInstances(td: TestDaemon, n: number, prefix: string): Promise<void> {
  const repo = td.daemon.store.repos.instances;
  const health = { path: '/health', intervalSeconds: 30, timeoutSeconds: 5, failureThreshold: 3, successThreshold: 1, startPeriodSeconds: 10 };
  for (let i = 0; i < n; i++) {
    const id = `ins_${prefix}${String(i).padStart(5, '0')}`;
    // created_at spaced a millisecond apart keeps the API's order (created_at, id) the seeding order.
    const at = new Date(Date.UTC(2026, 0, 1) + i).toISOString();
    await repo.insert({
      id, name: `${prefix}-${i}`, tenant: `tenant-${i % 40}`, plan: ['starter', 'pro', 'business'][i % 3]!,
      image: 'berth/test-agent:local', command: null, env: {}, secretsSealed: null, secretNames: [], containerPort: 8080,
      hostPort: null, health, specHash: `${prefix}${i}`, desiredState: 'stopped', status: 'creating', networkName: null, workspaceVolume: null,
      createdAt: at, updatedAt: at,
    });
    // Rows start as `creating` (the status machine's only entry); `created-stopped` settles them.
    await repo.transition(id, 'creating', 'stopped');
  }
}
