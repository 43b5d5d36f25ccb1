import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../helpers/env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { createInstance, runsOf, type RunView, type TargetFixture } from './jobs-fixtures.js';

let td: TestDaemon;
let acme: TargetFixture;

beforeAll(async () => {
  td = await startTestDaemon();
  acme = await createInstance(td, `acme-${td.scope.slice(2)}`, 'acme');
});
afterAll(async () => {
  await td?.cleanup();
});

type Err = { error: { code: string; field?: string; message: string } };

describe(`jobs API (${testEnv.store})`, () => {
  it('creates, lists, gets, updates and deletes a job; create is idempotent by name', async () => {
    const body = { name: 'nightly-restart', schedule: '0 3 * * *', timezone: 'Europe/Paris', target: { instance: acme.name }, action: { type: 'restart' } };
    const created = await td.api<Record<string, unknown>>('POST', '/v1/jobs', body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'nightly-restart', schedule: '0 3 * * *', timezone: 'Europe/Paris', target: { instance: acme.name }, action: { type: 'restart' },
      enabled: true, missedPolicy: 'skip', overlapPolicy: 'skip', tenant: 'acme', lastRunAt: null,
    });
    // 03:00 in Paris is 01:00 or 02:00 UTC.
    expect(String(created.body.nextRunAt)).toMatch(/T0[12]:00:00\.000Z$/);

    const again = await td.api('POST', '/v1/jobs', body);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: created.body.id });
    const clash = await td.api<Err>('POST', '/v1/jobs', { ...body, schedule: '0 4 * * *' });
    expect(clash.status).toBe(409);

    const list = await td.api<{ items: Array<{ name: string }>; total: number }>('GET', '/v1/jobs');
    expect(list.body.total).toBe(1);
    expect((await td.api('GET', `/v1/jobs/${String(created.body.id)}`)).body).toMatchObject({ name: 'nightly-restart' });
    expect((await td.api('GET', '/v1/jobs/nightly-restart')).status).toBe(200);

    const patched = await td.api<Record<string, unknown>>('PATCH', '/v1/jobs/nightly-restart', { schedule: '30 4 * * *', timezone: 'UTC', enabled: false });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ schedule: '30 4 * * *', enabled: false, nextRunAt: null });
    const enabled = await td.api<Record<string, unknown>>('PATCH', '/v1/jobs/nightly-restart', { enabled: true });
    expect(String(enabled.body.nextRunAt)).toMatch(/T04:30:00\.000Z$/);

    expect((await td.api('DELETE', '/v1/jobs/nightly-restart')).status).toBe(200);
    expect((await td.api<Err>('GET', '/v1/jobs/nightly-restart')).body.error.code).toBe('JOB_NOT_FOUND');
  });

  it('rejects an invalid cron expression, time zone, target or action with 400 naming the field', async () => {
    const base = { name: 'bad', schedule: '*/5 * * * *', target: { instance: acme.name }, action: { type: 'restart' } };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ schedule: 'every day at noon' }, 'schedule'],
      [{ schedule: '0 25 * * *' }, 'schedule'],
      [{ timezone: 'Europe/Atlantis' }, 'timezone'],
      [{ target: { instance: 'no-such-instance' } }, 'target.instance'],
      [{ target: {} }, 'target'],
      [{ target: { plan: 'platinum' } }, 'target.plan'],
      [{ action: { type: 'exec' } }, 'action.command'],
      [{ action: { type: 'teleport' } }, 'action.type'],
      [{ action: { type: 'http', path: 'http://example.com/' } }, 'action.path'],
      [{ missedPolicy: 'sometimes' }, 'missedPolicy'],
    ];
    for (const [patch, field] of cases) {
      const res = await td.api<Err>('POST', '/v1/jobs', { ...base, ...patch });
      expect({ patch, status: res.status, code: res.body.error.code, field: res.body.error.field }).toEqual({ patch, status: 400, code: 'INVALID_INPUT', field });
    }
    expect((await td.api<{ total: number }>('GET', '/v1/jobs')).body.total).toBe(0);
  });

  it('shows tenant tokens only their tenant\'s jobs; plan-wide jobs are admin only', async () => {
    const mine = await td.api<{ token: string }>('POST', '/v1/tokens', { name: 'acme-ci', tenant: 'acme' });
    const other = await td.api<{ token: string }>('POST', '/v1/tokens', { name: 'globex-ci', tenant: 'globex' });
    const job = { name: 'acme-ping', schedule: '0 * * * *', target: { tenant: 'acme' }, action: { type: 'http', path: '/health' } };
    expect((await td.api('POST', '/v1/jobs', job, mine.body.token)).status).toBe(201);
    expect((await td.api('POST', '/v1/jobs', { ...job, name: 'fleet', target: { plan: 'starter' } })).status).toBe(201);

    expect((await td.api<Err>('POST', '/v1/jobs', { ...job, name: 'sneaky', target: { tenant: 'acme' } }, other.body.token)).status).toBe(403);
    expect((await td.api<Err>('POST', '/v1/jobs', { ...job, name: 'sneaky', target: { instance: acme.name } }, other.body.token)).body.error.field).toBe('target.instance');
    expect((await td.api<Err>('POST', '/v1/jobs', { ...job, name: 'wide', target: { plan: 'starter' } }, mine.body.token)).status).toBe(403);

    const seen = await td.api<{ items: Array<{ name: string }>; total: number }>('GET', '/v1/jobs', undefined, mine.body.token);
    expect(seen.body.items.map((j) => j.name)).toEqual(['acme-ping']);
    expect((await td.api<{ total: number }>('GET', '/v1/jobs', undefined, other.body.token)).body.total).toBe(0);
    expect((await td.api('GET', '/v1/jobs/acme-ping', undefined, other.body.token)).status).toBe(404);
    expect((await td.api('GET', '/v1/jobs/fleet', undefined, mine.body.token)).status).toBe(404);
    expect((await td.api('POST', '/v1/jobs/acme-ping/run', undefined, other.body.token)).status).toBe(404);
    expect((await td.api('GET', '/v1/jobs', undefined, null)).status).toBe(401);

    // An http job run now, by the tenant: the request reaches the instance's published port.
    const run = await td.api<RunView>('POST', '/v1/jobs/acme-ping/run?wait=true&timeout=30', undefined, mine.body.token);
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ trigger: 'manual', status: 'succeeded' });
    expect(run.body.results).toEqual([expect.objectContaining({ instance: acme.name, outcome: 'succeeded', statusCode: 200 })]);
    expect(run.body.results[0]?.output).toContain('ok');
    expect((await runsOf(td, 'acme-ping')).map((r) => r.id)).toEqual([run.body.id]);

    const metrics = await (await fetch(`${td.url}/metrics`)).text();
    // Labelled by job id: a tenant-chosen name never becomes a metric label value.
    const jobId = (await td.api<{ id: string }>('GET', '/v1/jobs/acme-ping')).body.id;
    expect(metrics).toContain(`berth_job_runs_total{job="${jobId}",action="http",outcome="succeeded"} 1`);
    expect(metrics).not.toContain('acme-ping');
    expect(metrics).toContain('berth_job_run_duration_seconds_bucket');

    for (const name of ['acme-ping', 'fleet']) await td.api('DELETE', `/v1/jobs/${name}`);
  });

  it('documents the jobs routes in OpenAPI and reports the scheduler in /health', async () => {
    const openapi = await (await fetch(`${td.url}/openapi.json`)).json() as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/v1/jobs', '/v1/jobs/{id}', '/v1/jobs/{id}/run', '/v1/jobs/{id}/runs']));
    const health = await (await fetch(`${td.url}/health`)).json() as { components: Record<string, { status: string }> };
    expect(health.components.scheduler?.status).toBe('up');
  });
});
