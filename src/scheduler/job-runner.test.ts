import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../common/clock.js';
import { BerthError } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import { EventLog } from '../core/events/event-log.js';
import { iso, toRun } from '../core/jobs/job-rows.js';
import type { ExecOutcome, HttpOutcome, JobTargets, TargetInstance } from '../core/jobs/job-targets.js';
import type { Job, JobAction, JobRun } from '../core/jobs/job-types.js';

import type { JobsRepo } from '../store/repositories/jobs-repo.js';
import { openStore, type Store } from '../store/store.js';
import { JobRunner, truncateBytes } from './job-runner.js';
import { SchedulerMetrics } from './scheduler-metrics.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const logger = createLogger('silent');

const instance = (name: string): TargetInstance => ({ id: `ins_${name}`, name, tenant: 'acme', plan: 'starter', containerId: `c_${name}`, hostPort: 20001, status: 'running', desiredState: 'running' });

/** A fake of the instances side: pure logic, so the runner's decisions can be tested alone. */
class FakeTargets implements JobTargets {
  instances = [instance('a'), instance('b')];
  restarted: string[] = [];
  hang = new Set<string>();
  execOut: Record<string, ExecOutcome> = {};

  async find(n: string) { return this.instances.find((i) => i.name === n); }
  async resolve() { return this.instances; }
  async restart(i: TargetInstance) {
    if (this.hang.has(i.name)) return new Promise<void>(() => undefined);
    if (i.name === 'broken') throw new BerthError('CONTAINER_NOT_FOUND', 'instance broken has no container yet');
    this.restarted.push(i.name);
  }
  async exec(i: TargetInstance) { return this.execOut[i.name] ?? { exitCode: 0, output: '', truncated: false, timedOut: false }; }
  async http(): Promise<HttpOutcome> { return { statusCode: 503, body: 'down', truncated: false }; }
}

let dir: string;
let store: Store;
let repo: JobsRepo;
let clock: ManualClock;
let targets: FakeTargets;
let runner: JobRunner;
let metrics: Registry;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-runner-'));
  store = openStore({ url: '', dataDir: dir });
  await store.migrate();
  repo = store.repos.jobs;
  clock = new ManualClock(T0);
  targets = new FakeTargets();
  metrics = new Registry();
  runner = new JobRunner({ repo, targets, events: new EventLog(store.repos.events, clock, logger), clock, logger, metrics: new SchedulerMetrics(metrics), outputLimitBytes: 16 });
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function job(action: JobAction, timeoutSeconds = 10): Job {
  return {
    id: 'job_1', name: 'nightly', schedule: '0 3 * * *', timezone: 'UTC', target: { tenant: 'acme' }, action, enabled: true,
    missedPolicy: 'skip', overlapPolicy: 'skip', timeoutSeconds, tenant: 'acme', nextRunAt: null, lastRunAt: null, createdAt: iso(T0), updatedAt: iso(T0),
  };
}

async function claimed(): Promise<JobRun> {
  const row = { id: `run_${Math.random().toString(36).slice(2)}`, job_id: 'job_1', slot: iso(clock.now()), trigger: 'schedule', status: 'running', started_at: iso(clock.now()), ended_at: null, results: '[]', claimed_by: 'test', note: null };
  await repo.claim(row);
  return toRun(row);
}

describe('JobRunner', () => {
  it('restarts every target, records one result and one event each', async () => {
    const run = await runner.execute(job({ type: 'restart' }), await claimed(), 'job:nightly', new AbortController().signal);
    expect(run.status).toBe('succeeded');
    expect(targets.restarted).toEqual(['a', 'b']);
    expect(run.results.map((r) => [r.instance, r.outcome])).toEqual([['a', 'succeeded'], ['b', 'succeeded']]);
    const stored = toRun((await repo.getRun(run.id))!);
    expect(stored).toMatchObject({ status: 'succeeded', results: run.results });
    const events = await new EventLog(store.repos.events, clock, logger).list({ type: 'job-run', limit: 10 });
    expect(events.map((e) => [e.instance, e.actor, e.data?.outcome])).toEqual(expect.arrayContaining([['a', 'job:nightly', 'succeeded'], ['b', 'job:nightly', 'succeeded']]));
    expect(await metrics.getSingleMetricAsString('berth_job_runs_total')).toContain('berth_job_runs_total{job="job_1",action="restart",outcome="succeeded"} 1');
  });

  it('fails the run when one target fails, keeping the others\' results', async () => {
    targets.instances = [instance('a'), instance('broken')];
    const run = await runner.execute(job({ type: 'restart' }), await claimed(), 'ops', new AbortController().signal);
    expect(run.status).toBe('failed');
    expect(run.results[1]).toMatchObject({ instance: 'broken', outcome: 'failed', error: 'instance broken has no container yet' });
  });

  it('times a run out at the job timeout even if a target never answers', async () => {
    targets.hang.add('b');
    const pending = runner.execute(job({ type: 'restart' }, 5), await claimed(), 'ops', new AbortController().signal);
    await new Promise((r) => setImmediate(r));
    clock.advance(5000);
    const run = await pending;
    expect(run.status).toBe('timed_out');
    expect(run.results.map((r) => r.outcome)).toEqual(['succeeded', 'timed_out']);
    expect(run.durationMs).toBe(5000);
  });

  it('records exec exit codes, timeouts and output truncated to the byte limit', async () => {
    targets.execOut = {
      a: { exitCode: 0, output: 'hi\n', truncated: false, timedOut: false },
      b: { exitCode: null, output: 'ééééééééééé', truncated: false, timedOut: true },
    };
    const run = await runner.execute(job({ type: 'exec', command: ['sh', '-c', 'echo hi'], timeoutSeconds: 2 }), await claimed(), 'ops', new AbortController().signal);
    expect(run.status).toBe('timed_out');
    expect(run.results[0]).toMatchObject({ outcome: 'succeeded', exitCode: 0, output: 'hi\n', truncated: false, error: null });
    expect(run.results[1]).toMatchObject({ outcome: 'timed_out', exitCode: null, output: 'éééééééé', truncated: true });
  });

  it('fails an http run on a 5xx, with the body as output', async () => {
    const run = await runner.execute(job({ type: 'http', method: 'POST', path: '/tasks', timeoutSeconds: 2 }), await claimed(), 'ops', new AbortController().signal);
    expect(run.status).toBe('failed');
    expect(run.results[0]).toMatchObject({ outcome: 'failed', statusCode: 503, output: 'down', error: 'HTTP 503' });
  });

  it('skips a run whose target matches no instance', async () => {
    targets.instances = [];
    const run = await runner.execute(job({ type: 'restart' }), await claimed(), 'ops', new AbortController().signal);
    expect(run).toMatchObject({ status: 'skipped', results: [], note: expect.stringContaining('no instance matches') });
  });
});

describe('truncateBytes', () => {
  it('cuts at a byte limit without splitting a character', () => {
    expect(truncateBytes('hello', 16)).toEqual({ text: 'hello', truncated: false });
    expect(truncateBytes('héllo', 2)).toEqual({ text: 'h', truncated: true });
  });
});
