import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/instances.js';
import { unsafeDbForTests } from '../helpers/store-db.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

/**
 * A change written by another berth process sharing the store — here, straight into the
 * store, as that process would — is followed by this process's monitor within seconds, both
 * ways (its sync re-reads the monitored rows every monitor.flushIntervalMs).
 */
let td: TestDaemon;

beforeAll(async () => {
  td = await startTestDaemon();
}, 120_000);

afterAll(async () => {
  await td?.cleanup();
}, 120_000);

async function watched(): Promise<number> {
  const res = await fetch(`${td.url}/health`);
  const body = (await res.json()) as { components: Record<string, { detail?: string }> };
  return Number(/(\d+) instances watched/.exec(body.components.monitor?.detail ?? '')?.[1] ?? -1);
}

describe('monitor sync', () => {
  it('drops an instance another process stopped, and takes it back when that process starts it again', async () => {
    const made = await td.api<{ id: string; status: string; containerId: string }>('POST', '/v1/instances?wait=running&timeout=90', { tenant: 'sync-a', name: 'sync-a', plan: 'starter' });
    expect(made.body.status).toBe('running');
    expect(await until(watched, (n) => n === 1, 20_000, 200)).toBe(1);

    const db = unsafeDbForTests(td.daemon.store);
    // What another process's stop leaves in the row (its container is left running here: only the row matters to the monitor's sync).
    await db.updateTable('instances').set({ desired_state: 'stopped', status: 'stopped', updated_at: new Date().toISOString() }).where('id', '=', made.body.id).execute();
    expect(await until(watched, (n) => n === 0, 8000, 200)).toBe(0);

    await db.updateTable('instances').set({ desired_state: 'running', status: 'starting', updated_at: new Date().toISOString() }).where('id', '=', made.body.id).execute();
    expect(await until(watched, (n) => n === 1, 8000, 200)).toBe(1);
    // Picked up means probed: the agent answers, so the instance is running again.
    const back = await until(() => td.api<{ status: string }>('GET', '/v1/instances/sync-a'), (r) => r.body.status === 'running', 30_000, 200);
    expect(back.body.status).toBe('running');
  }, 180_000);
});
