import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { containerOf, createInstance, runsOf, until, type RunView, type TargetFixture } from './jobs-fixtures.js';

let td: TestDaemon;
let target: TargetFixture;

beforeAll(async () => {
  td = await startTestDaemon();
  target = await createInstance(td, `job-target-${td.scope.slice(2)}`);
});
afterAll(async () => {
  await td?.cleanup();
});

describe(`job actions on a real instance (${testEnv.store})`, () => {
  it('a */2 s restart job runs once per slot, records runs and events, and restarts the container each time', async () => {
    const startedAts = new Set([(await containerOf(td, target.id)).startedAt]);
    const made = await td.api('POST', '/v1/jobs', { name: 'bounce', schedule: '*/2 * * * * *', target: { instance: target.name }, action: { type: 'restart' }, timeoutSeconds: 20 });
    expect(made.status).toBe(201);

    // Watch the container while the job fires: every finished restart shows a new StartedAt.
    const succeeded = await until('three restarts', async () => {
      startedAts.add((await containerOf(td, target.id).catch(() => ({ startedAt: '' }))).startedAt);
      const done = (await runsOf(td, 'bounce')).filter((r) => r.status === 'succeeded');
      return done.length >= 3 ? done : undefined;
    }, 60_000, 200);
    await td.api('PATCH', '/v1/jobs/bounce', { enabled: false });
    await until('runs to end', async () => ((await runsOf(td, 'bounce')).every((r) => r.status !== 'running') ? true : undefined));
    startedAts.add((await containerOf(td, target.id)).startedAt);
    startedAts.delete('');

    const runs = await runsOf(td, 'bounce');
    // One run row per slot, each slot an even second; slots during a restart are recorded as skipped.
    expect(new Set(runs.map((r) => r.slot)).size).toBe(runs.length);
    for (const r of runs) expect(new Date(r.slot).getUTCSeconds() % 2).toBe(0);
    expect(runs.every((r) => r.trigger === 'schedule' && ['succeeded', 'skipped'].includes(r.status))).toBe(true);
    const done = runs.filter((r) => r.status === 'succeeded');
    expect(done.length).toBeGreaterThanOrEqual(succeeded.length);
    for (const r of done) expect(r.results).toEqual([expect.objectContaining({ instance: target.name, outcome: 'succeeded', error: null })]);
    // The original start plus one per restart.
    expect(startedAts.size).toBeGreaterThanOrEqual(done.length + 1);

    const events = await td.api<{ items: Array<{ type: string; actor: string; instance: string; data: Record<string, unknown> }> }>('GET', `/v1/events?type=job-run&instance=${target.name}&limit=100`);
    expect(events.status).toBe(200);
    const mine = events.body.items;
    expect(mine.length).toBe(done.length);
    for (const e of mine) expect(e).toMatchObject({ actor: 'job:bounce', data: expect.objectContaining({ job: 'bounce', outcome: 'succeeded' }) });
    // The restarts went through the instances service: its own history names the job, and the instance is running.
    const started = await td.api<{ items: Array<{ actor: string; message: string }> }>('GET', `/v1/events?type=restarted&instance=${target.name}&limit=100`);
    expect(started.body.items.filter((e) => e.actor === 'job:bounce' && e.message.includes('restarted by job bounce')).length).toBe(done.length);
    expect((await td.api<{ status: string }>('GET', `/v1/instances/${target.name}`)).body.status).toMatch(/^(running|starting)$/);
    await td.api('DELETE', '/v1/jobs/bounce');
  });

  it('exec ["sh","-c","echo hi"] on schedule records hi in the run output', async () => {
    await td.api('POST', '/v1/jobs', { name: 'hello', schedule: '*/2 * * * * *', target: { tenant: target.tenant }, action: { type: 'exec', command: ['sh', '-c', 'echo hi'], timeoutSeconds: 10 } });
    const run = await until('an exec run', async () => (await runsOf(td, 'hello')).find((r) => r.status !== 'running'), 30_000);
    await td.api('DELETE', '/v1/jobs/hello');
    expect(run).toMatchObject({ trigger: 'schedule', status: 'succeeded' });
    expect(run.results).toEqual([expect.objectContaining({ instance: target.name, outcome: 'succeeded', exitCode: 0, output: 'hi\n', truncated: false })]);
  });

  it('an exec that exceeds its timeout is killed and recorded as timed out', async () => {
    await td.api('POST', '/v1/jobs', { name: 'sleeper', schedule: '0 0 1 1 *', target: { instance: target.name }, action: { type: 'exec', command: ['sleep', '30'], timeoutSeconds: 2 } });
    const t0 = Date.now();
    const res = await td.api<RunView>('POST', '/v1/jobs/sleeper/run?wait=true&timeout=40');
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(res.body).toMatchObject({ trigger: 'manual', status: 'timed_out' });
    expect(res.body.results).toEqual([expect.objectContaining({ outcome: 'timed_out', exitCode: null, error: expect.stringContaining('timeout') })]);

    // The process is gone from the container, not left running behind the timeout.
    const { id } = await containerOf(td, target.id);
    await until('sleep 30 to be gone', async () => {
      const top = await rawDocker().getContainer(id).top({ ps_args: '-eo pid,args' }) as { Processes?: string[][] };
      return (top.Processes ?? []).some((p) => p.join(' ').includes('sleep 30')) ? undefined : true;
    }, 10_000);
    await td.api('DELETE', '/v1/jobs/sleeper');
  });
});
