import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unsafeDbForTests } from '../helpers/store-db.js';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { runBerth } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

/** Per-tenant quotas: admission is atomic with the insert, refusals name the limit, usage and request. */
let td: TestDaemon;
type Err = { error: { code: string; message: string; field?: string; details?: Record<string, unknown> } };
type TenantView = { tenant: string; limits: Record<string, unknown>; overrides: Record<string, unknown>; usage: { instances: number; cpus: number; memoryBytes: number; jobs: number } };

beforeAll(async () => {
  td = await startTestDaemon({ flags: { 'monitor.enabled': false } });
}, 60_000);
afterAll(async () => {
  await td?.cleanup();
});

async function settled(): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const busy = await unsafeDbForTests(td.daemon.store).selectFrom('instances').select('id').where('status', 'in', ['creating', 'deleting']).execute();
    if (busy.length === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('creates still running after 90 s');
}

describe(`tenant quotas (${testEnv.store})`, () => {
  it('20 concurrent creates at maxInstances 2 make exactly 2; 18 are 403 QUOTA_EXCEEDED; no containers are left behind', async () => {
    const set = await td.api<TenantView>('PUT', '/v1/tenants/crowd/limits', { maxInstances: 2 });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ tenant: 'crowd', overrides: { maxInstances: 2 }, limits: { maxInstances: 2, maxJobs: 100 } });

    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => td.api<{ id: string } & Err>('POST', '/v1/instances', { tenant: 'crowd', name: `crowd-${i}`, plan: 'starter' })));
    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status === 403);
    expect(accepted).toHaveLength(2);
    expect(refused).toHaveLength(18);
    for (const r of refused) {
      expect(r.body.error.code).toBe('QUOTA_EXCEEDED');
      expect(r.body.error.message).toContain('maxInstances');
      expect(r.body.error.details).toEqual({ limit: 'maxInstances', limitValue: 2, usage: 2, request: 1 });
    }
    await settled();
    const rows = await unsafeDbForTests(td.daemon.store).selectFrom('instances').select('id').where('tenant', '=', 'crowd').execute();
    expect(rows.map((r) => r.id).sort()).toEqual(accepted.map((a) => a.body.id).sort());
    const containers = await rawDocker().listContainers({ all: true, filters: { label: [`berth.scope=${td.scope}`, 'berth.tenant=crowd'] } });
    expect(containers).toHaveLength(2);
    const volumes = (await rawDocker().listVolumes({ filters: { label: [`berth.scope=${td.scope}`, 'berth.tenant=crowd'] } })).Volumes ?? [];
    expect(volumes).toHaveLength(2);

    const view = await td.api<TenantView>('GET', '/v1/tenants/crowd');
    expect(view.body.usage).toEqual({ instances: 2, cpus: 1, memoryBytes: 2 * 512 * 1024 ** 2, jobs: 0 });
  }, 180_000);

  it('20 concurrent job creates at maxJobs 2 make exactly 2; 18 are 403 QUOTA_EXCEEDED naming maxJobs', async () => {
    expect((await td.api('PUT', '/v1/tenants/jobcrowd/limits', { maxJobs: 2 })).status).toBe(200);
    const token = (await td.api<{ token: string }>('POST', '/v1/tokens', { name: 'jobcrowd-token', tenant: 'jobcrowd' })).body.token;
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => td.api<{ id: string } & Err>('POST', '/v1/jobs', {
      name: `jobcrowd-${i}`, schedule: '0 3 * * *', target: { tenant: 'jobcrowd' }, action: { type: 'restart' },
    }, token)));
    const created = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status === 403);
    expect(created, JSON.stringify(answers.map((a) => a.status))).toHaveLength(2);
    expect(refused).toHaveLength(18);
    for (const r of refused) {
      expect(r.body.error.code).toBe('QUOTA_EXCEEDED');
      expect(r.body.error.message).toContain('maxJobs');
      expect(r.body.error.details).toEqual({ limit: 'maxJobs', limitValue: 2, usage: 2, request: 1 });
    }
    const listed = await td.api<{ items: Array<{ id: string }>; total: number }>('GET', '/v1/jobs', undefined, token);
    expect(listed.body.total).toBe(2);
    expect(listed.body.items.map((j) => j.id).sort()).toEqual(created.map((c) => c.body.id).sort());
    expect((await td.api<TenantView>('GET', '/v1/tenants/jobcrowd')).body.usage.jobs).toBe(2);
    // Moving a job into the full tenant (a PATCH of its target) is refused the same way.
    const elsewhere = await td.api<{ id: string }>('POST', '/v1/jobs', { name: 'jobcrowd-mover', schedule: '0 3 * * *', target: { tenant: 'jobelse' }, action: { type: 'restart' } });
    expect(elsewhere.status).toBe(201);
    const moved = await td.api<Err>('PATCH', `/v1/jobs/${elsewhere.body.id}`, { target: { tenant: 'jobcrowd' } });
    expect(moved.status).toBe(403);
    expect(moved.body.error.details).toEqual({ limit: 'maxJobs', limitValue: 2, usage: 2, request: 1 });
    expect((await td.api<TenantView>('GET', '/v1/tenants/jobcrowd')).body.usage.jobs).toBe(2);

    // The store mechanism itself, with no HTTP spreading the calls out: 20 inserts started in
    // the same tick (10 pooled connections on Postgres) still admit exactly 2.
    const admission = td.daemon.store.repos.jobAdmission;
    const at = new Date().toISOString();
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => admission.insert({
      id: `job_race${i}`, name: `jobrace-${i}`, schedule: '0 3 * * *', timezone: 'UTC', target: '{"tenant":"jobrace"}', action: '{"type":"restart"}',
      enabled: 1, missed_policy: 'skip', overlap_policy: 'skip', timeout_seconds: 60, tenant: 'jobrace', next_run_at: null, last_run_at: null, created_at: at, updated_at: at,
    }, (jobs) => {
      if (jobs >= 2) throw new Error('over');
    })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect((await td.api<TenantView>('GET', '/v1/tenants/jobrace')).body.usage.jobs).toBe(2);
  }, 120_000);

  it('limits CPUs, memory, plans, jobs and job frequency; only admins set limits; a tenant sees only its own', async () => {
    await td.api('PUT', '/v1/tenants/small/limits', { maxCpus: 1, maxMemory: '1GiB', plans: ['starter', 'pro'], maxJobs: 1, minJobIntervalSeconds: 60 });
    const cpu = await td.api<Err>('POST', '/v1/instances', { tenant: 'small', name: 'small-big', plan: 'business' });
    expect(cpu.status).toBe(403);
    expect(cpu.body.error).toMatchObject({ code: 'QUOTA_EXCEEDED', field: 'plan', details: { limit: 'plans', request: 'business' } });
    expect((await td.api('POST', '/v1/instances?wait=running&timeout=90', { tenant: 'small', name: 'small-1', plan: 'pro' })).status).toBe(201);
    const more = await td.api<Err>('POST', '/v1/instances', { tenant: 'small', name: 'small-2', plan: 'starter' });
    expect(more.status).toBe(403);
    expect(more.body.error.details).toEqual({ limit: 'maxCpus', limitValue: 1, usage: 1, request: 0.5 });

    const token = (await td.api<{ token: string }>('POST', '/v1/tokens', { name: 'small-token', tenant: 'small' })).body.token;
    const tooOften = await td.api<Err>('POST', '/v1/jobs', { name: 'fast', schedule: '*/10 * * * * *', target: { instance: 'small-1' }, action: { type: 'restart' } }, token);
    expect(tooOften.status).toBe(403);
    expect(tooOften.body.error).toMatchObject({ code: 'QUOTA_EXCEEDED', field: 'schedule', details: { limit: 'minJobIntervalSeconds', limitValue: 60, request: 10 } });
    expect((await td.api('POST', '/v1/jobs', { name: 'hourly', schedule: '0 * * * *', target: { instance: 'small-1' }, action: { type: 'restart' } }, token)).status).toBe(201);
    const second = await td.api<Err>('POST', '/v1/jobs', { name: 'hourly-2', schedule: '0 * * * *', target: { instance: 'small-1' }, action: { type: 'restart' } }, token);
    expect(second.status).toBe(403);
    expect(second.body.error.details).toEqual({ limit: 'maxJobs', limitValue: 1, usage: 1, request: 1 });

    expect((await td.api<Err>('PUT', '/v1/tenants/small/limits', { maxInstances: 99 }, token)).status).toBe(403);
    const mine = await td.api<{ items: TenantView[] }>('GET', '/v1/tenants', undefined, token);
    expect(mine.body.items.map((t) => t.tenant)).toEqual(['small']);
    expect(mine.body.items[0]!.usage).toEqual({ instances: 1, cpus: 1, memoryBytes: 1024 ** 3, jobs: 1 });
    expect((await td.api('GET', '/v1/tenants/crowd', undefined, token)).status).toBe(404);
    const all = await td.api<{ items: TenantView[] }>('GET', '/v1/tenants');
    expect(all.body.items.map((t) => t.tenant)).toEqual(expect.arrayContaining(['crowd', 'small']));
    // Clearing a key returns it to the configured default.
    const cleared = await td.api<TenantView>('PUT', '/v1/tenants/small/limits', { reset: ['maxCpus', 'plans'] });
    expect(cleared.status, JSON.stringify(cleared.body)).toBe(200);
    expect(cleared.body.overrides).toEqual({ maxMemory: '1GiB', maxJobs: 1, minJobIntervalSeconds: 60 });
    expect(cleared.body.limits).toMatchObject({ maxCpus: 32, plans: [] });
    const badMem = await td.api<Err>('PUT', '/v1/tenants/small/limits', { maxMemory: 'lots' });
    expect(badMem.status).toBe(400);
    expect(badMem.body.error.field).toBe('maxMemory');
  }, 180_000);
});

describe(`berth tenants (${testEnv.store})`, () => {
  it('limits → show → ls, with --json', async () => {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', BERTH_URL: td.url, BERTH_TOKEN: td.token };
    const set = await runBerth(['tenants', 'limits', 'cli-t', '--max-instances', '3', '--max-memory', '4GiB', '--plans', 'starter,pro', '--json'], env);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ tenant: 'cli-t', overrides: { maxInstances: 3, maxMemory: '4GiB', plans: ['starter', 'pro'] }, limits: { maxMemoryBytes: 4 * 1024 ** 3 } });
    const show = await runBerth(['tenants', 'show', 'cli-t'], env);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/instances\s+0 of 3\n/);
    expect(show.stdout).toMatch(/plans\s+starter, pro\n/);
    const ls = await runBerth(['tenants', 'ls', '--json'], env);
    expect((JSON.parse(ls.stdout) as { items: Array<{ tenant: string }> }).items.map((t) => t.tenant)).toContain('cli-t');
    const table = await runBerth(['tenants', 'ls'], env);
    expect(table.stdout).toMatch(/cli-t\s+0\/3\s+0\/32/);
    expect((await runBerth(['tenants', 'limits', 'cli-t'], env)).code).toBe(2);
  }, 60_000);
});
