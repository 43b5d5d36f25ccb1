import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../helpers/env.js';
import type { TestDaemon } from '../helpers/test-daemon.js';
import { waitFor, type DriverTarget } from './driver-target.js';

interface RunView {
  slot: string;
  trigger: string;
  status: string;
  results: Array<{ instance: string; outcome: string; exitCode: number | null; output: string; truncated: boolean; error: string | null }>;
}

async function runsOf(td: TestDaemon, job: string): Promise<RunView[]> {
  const res = await td.api<{ items: RunView[] }>('GET', `/v1/jobs/${job}/runs?limit=500`);
  if (res.status !== 200) throw new Error(`runs of ${job}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.items.reverse();
}

/**
 * The driver-independent part of the jobs suite (test/integration/jobs-actions): a scheduled
 * restart job, a scheduled exec with its output, and an exec killed at its timeout. Run on
 * every runtime configuration berth supports.
 */
export function jobsCases(target: DriverTarget): void {
  describe(`shared job cases on ${target.name} (${testEnv.store})`, () => {
    let td: TestDaemon;
    const name = 'job-target';
    let id: string;

    beforeAll(async () => {
      td = await target.start();
      const res = await td.api<{ id: string; status: string }>('POST', '/v1/instances?wait=running&timeout=120', { tenant: name, name, plan: 'starter', image: testEnv.image });
      if (res.body.status !== 'running') throw new Error(`job target: ${res.status} ${JSON.stringify(res.body)}`);
      id = res.body.id;
    });
    afterAll(async () => {
      await td?.cleanup();
    });

    it('a restart job runs once per slot, records runs and events, and restarts the instance each time', async () => {
      const every = target.restartJobEverySeconds;
      const made = await td.api('POST', '/v1/jobs', { name: 'bounce', schedule: `*/${every} * * * * *`, target: { instance: name }, action: { type: 'restart' }, timeoutSeconds: 60 });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      const succeeded = await waitFor('two restart runs', async () => {
        const done = (await runsOf(td, 'bounce')).filter((r) => r.status === 'succeeded');
        return done.length >= 2 ? done : undefined;
      }, 40 * every * 1000, 200);
      await td.api('PATCH', '/v1/jobs/bounce', { enabled: false });
      await waitFor('runs to end', async () => ((await runsOf(td, 'bounce')).every((r) => r.status !== 'running') ? true : undefined), 90_000);
      const runs = await runsOf(td, 'bounce');
      expect(new Set(runs.map((r) => r.slot)).size).toBe(runs.length);
      for (const r of runs) expect(new Date(r.slot).getUTCSeconds() % every).toBe(0);
      expect(runs.every((r) => r.trigger === 'schedule' && ['succeeded', 'skipped'].includes(r.status))).toBe(true);
      const done = runs.filter((r) => r.status === 'succeeded');
      expect(done.length).toBeGreaterThanOrEqual(succeeded.length);
      for (const r of done) expect(r.results).toEqual([expect.objectContaining({ instance: name, outcome: 'succeeded', error: null })]);
      // Each restart went through the instances service: its history names the job.
      const started = await td.api<{ items: Array<{ actor: string; message: string }> }>('GET', `/v1/events?type=restarted&instance=${name}&limit=100`);
      expect(started.body.items.filter((e) => e.actor === 'job:bounce' && e.message.includes('restarted by job bounce')).length).toBe(done.length);
      const instance = await waitFor('the target to run', async () => {
        const res = await td.api<{ status: string; restarts: number }>('GET', `/v1/instances/${name}`);
        return res.body.status === 'running' ? res.body : undefined;
      }, 90_000);
      expect(instance.status).toBe('running');
      await td.api('DELETE', '/v1/jobs/bounce');
    });

    it('exec ["sh","-c","echo hi"] on schedule records hi in the run output', async () => {
      await td.api('POST', '/v1/jobs', { name: 'hello', schedule: '*/2 * * * * *', target: { tenant: name }, action: { type: 'exec', command: ['sh', '-c', 'echo hi'], timeoutSeconds: 10 } });
      const run = await waitFor('an exec run', async () => (await runsOf(td, 'hello')).find((r) => r.status !== 'running'), 60_000);
      await td.api('DELETE', '/v1/jobs/hello');
      expect(run).toMatchObject({ trigger: 'schedule', status: 'succeeded' });
      expect(run.results).toEqual([expect.objectContaining({ instance: name, outcome: 'succeeded', exitCode: 0, output: 'hi\n', truncated: false })]);
    });

    it('an exec that exceeds its timeout is killed and recorded as timed out', async () => {
      await td.api('POST', '/v1/jobs', { name: 'sleeper', schedule: '0 0 1 1 *', target: { instance: name }, action: { type: 'exec', command: ['sleep', '30'], timeoutSeconds: 2 } });
      const t0 = Date.now();
      const res = await td.api<RunView>('POST', '/v1/jobs/sleeper/run?wait=true&timeout=40');
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(Date.now() - t0).toBeLessThan(20_000);
      expect(res.body).toMatchObject({ trigger: 'manual', status: 'timed_out' });
      expect(res.body.results).toEqual([expect.objectContaining({ outcome: 'timed_out', exitCode: null, error: expect.stringContaining('timeout') })]);
      // The process is gone from the container, not left running behind the timeout.
      const { docker, id: containerId } = await target.container(td, id);
      await waitFor('sleep 30 to be gone', async () => {
        const top = (await docker.getContainer(containerId).top({ ps_args: '-eo pid,args' })) as { Processes?: string[][] };
        return (top.Processes ?? []).some((p) => p.join(' ').includes('sleep 30')) ? undefined : true;
      }, 15_000);
      await td.api('DELETE', '/v1/jobs/sleeper');
    });
  });
}
