import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/core/snapshots/snapshot-types.js';
import { testEnv } from '../helpers/env.js';
import { createInstance, until } from '../helpers/instances.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

/**
 * A plan's snapshots.schedule runs through the job scheduler as the internal job
 * snapshots-<plan>; each run snapshots the plan's instances and prunes the scheduled ones past
 * snapshots.keep (oldest first), files included. Snapshots taken on request are never pruned.
 */
let td: TestDaemon;
const YAML = `
plans:
  snapkeep:
    cpus: 0.5
    memory: 256MiB
    egress: all
    snapshots:
      keep: 2
      schedule: "*/2 * * * * *"
  upg:
    cpus: 0.5
    memory: 256MiB
    egress: all
    snapshots:
      beforeUpgrade: true
      keep: 1
`;

beforeAll(async () => {
  td = await startTestDaemon({ yaml: YAML });
}, 60_000);
afterAll(async () => {
  await td?.cleanup();
});

interface Run { status: string; results: Array<{ outcome: string; output: string; error: string | null }> }

describe(`scheduled snapshots (${testEnv.store})`, () => {
  it('the plan\'s schedule is an internal job; runs take snapshots and prune to keep; manual ones stay', async () => {
    const job = await td.api<{ name: string; target: { plan: string }; action: { type: string; mode: string }; tenant: string | null }>('GET', '/v1/jobs/snapshots-snapkeep');
    expect(job.status).toBe(200);
    expect(job.body).toMatchObject({ target: { plan: 'snapkeep' }, action: { type: 'snapshot', mode: 'pause' }, tenant: null });

    const made = await createInstance(td, { tenant: 'sched', name: 'sched-a', plan: 'snapkeep', image: testEnv.image }, '?wait=running&timeout=90');
    expect(made.body.status, JSON.stringify(made.body)).toBe('running');
    const manual = await td.api<Snapshot>('POST', '/v1/instances/sched-a/snapshots', {});
    expect(manual.status).toBe(201);

    // At least four runs that each took a snapshot: two more than keep, so pruning must have happened.
    const runs = await until(
      () => td.api<{ items: Run[] }>('GET', '/v1/jobs/snapshots-snapkeep/runs?limit=50'),
      (r) => r.body.items.filter((x) => x.status === 'succeeded' && x.results.length === 1).length >= 4,
      90_000, 500,
    );
    const succeeded = runs.body.items.filter((x) => x.status === 'succeeded');
    expect(succeeded.length, JSON.stringify(runs.body.items.slice(0, 3))).toBeGreaterThanOrEqual(4);
    expect(succeeded[0]!.results[0]!.output).toMatch(/^snapshot snp_/);

    // Stop the schedule, let a run in progress finish, then count.
    expect((await td.api('PATCH', '/v1/jobs/snapshots-snapkeep', { enabled: false })).status).toBe(200);
    const settled = await until(
      () => td.api<{ items: Snapshot[] }>('GET', '/v1/instances/sched-a/snapshots'),
      (r) => r.body.items.every((s) => s.status !== 'creating') && r.body.items.filter((s) => s.trigger === 'scheduled').length === 2,
      30_000, 300,
    );
    const scheduled = settled.body.items.filter((s) => s.trigger === 'scheduled');
    expect(scheduled).toHaveLength(2);
    expect(scheduled.every((s) => s.status === 'ready')).toBe(true);
    expect(settled.body.items.map((s) => s.id)).toContain(manual.body.id);
    // Pruned snapshots took their files with them.
    const files = readdirSync(path.join(td.dataDir, 'snapshots', 'sched')).sort();
    expect(files).toEqual(settled.body.items.map((s) => path.basename(s.file)).sort());
    const events = await td.api<{ items: Array<{ type: string }> }>('GET', '/v1/instances/sched-a/events?type=snapshots-pruned');
    expect(events.body.items.length).toBeGreaterThan(0);
  }, 180_000);

  it('snapshotBeforeUpgrade: a pause snapshot when the plan asks for one (kept to keep), nothing otherwise', async () => {
    const upg = await createInstance(td, { tenant: 'sched', name: 'sched-upg', plan: 'upg', image: testEnv.image }, '?wait=running&timeout=90');
    expect(upg.body.status, JSON.stringify(upg.body)).toBe('running');
    const first = await td.daemon.snapshots.snapshotBeforeUpgrade(upg.body, 'rollout');
    expect(first).toMatchObject({ trigger: 'before-upgrade', mode: 'pause', status: 'ready', actor: 'rollout' });
    const second = await td.daemon.snapshots.snapshotBeforeUpgrade(upg.body);
    const left = await td.api<{ items: Snapshot[] }>('GET', '/v1/instances/sched-upg/snapshots');
    expect(left.body.items.map((s) => s.id)).toEqual([second!.id]);
    const plain = await createInstance(td, { tenant: 'sched', name: 'sched-plain', image: testEnv.image }, '?wait=running&timeout=90');
    expect(await td.daemon.snapshots.snapshotBeforeUpgrade(plain.body)).toBeUndefined();

    // Through a real upgrade: the rollout holds the instance's lock while it takes the snapshot.
    const patched = await td.api<{ upgrade: { status: string } | null }>('PATCH', '/v1/instances/sched-upg?wait=true&timeout=90', { env: { VERSION: '2' } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.upgrade).toMatchObject({ status: 'succeeded' });
    const after = await td.api<{ items: Snapshot[] }>('GET', '/v1/instances/sched-upg/snapshots');
    expect(after.body.items).toHaveLength(1);
    expect(after.body.items[0]).toMatchObject({ trigger: 'before-upgrade', status: 'ready' });
    expect(after.body.items[0]!.id).not.toBe(second!.id);
  }, 180_000);

  it('a tenant\'s own snapshot job (mode stop), run on request, snapshots its instance and nothing of another tenant', async () => {
    const token = (await td.api<{ token: string }>('POST', '/v1/tokens', { name: 'sched-tenant', tenant: 'sched' })).body.token;
    const job = await td.api<{ id: string; action: { type: string; mode: string } }>('POST', '/v1/jobs', {
      name: 'sched-own', schedule: '0 0 1 1 *', target: { tenant: 'sched' }, action: { type: 'snapshot', mode: 'stop' },
    }, token);
    expect(job.status, JSON.stringify(job.body)).toBe(201);
    expect(job.body.action).toEqual({ type: 'snapshot', mode: 'stop' });
    const bad = await td.api<{ error: { field: string } }>('POST', '/v1/jobs', { name: 'sched-bad', schedule: '0 0 1 1 *', target: { tenant: 'sched' }, action: { type: 'snapshot', mode: 'freeze' } }, token);
    expect(bad.status).toBe(400);
    const other = await createInstance(td, { tenant: 'elsewhere', name: 'sched-other', image: testEnv.image }, '?wait=running&timeout=90');
    expect(other.body.status).toBe('running');
    const run = await td.api<Run>('POST', `/v1/jobs/${job.body.id}/run?wait=true&timeout=120`, undefined, token);
    expect(run.body.status, JSON.stringify(run.body)).toBe('succeeded');
    expect(run.body.results.length).toBeGreaterThanOrEqual(1);
    const mine = await td.api<{ items: Snapshot[] }>('GET', '/v1/snapshots', undefined, token);
    expect(mine.body.items.some((s) => s.trigger === 'scheduled' && s.mode === 'stop')).toBe(true);
    expect((await td.api<{ items: Snapshot[] }>('GET', '/v1/instances/sched-other/snapshots')).body.items).toEqual([]);
  }, 240_000);
});
