import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../common/clock.js';
import { createLogger } from '../common/logger.js';
import { iso, toJob, toRun } from '../core/jobs/job-rows.js';
import type { Job, JobRun } from '../core/jobs/job-types.js';
import type { JobsRepo } from '../store/repositories/jobs-repo.js';
import { openStore, type Store } from '../store/store.js';
import type { RunExecutor } from './job-runner.js';
import { Scheduler } from './scheduler.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const logger = createLogger('silent');

/** Records every run it is handed; ends it at once, or when released (to hold a run "going"). */
class RecordingExecutor implements RunExecutor {
  readonly runs: Array<{ job: string; slot: string; trigger: string; by: string }> = [];
  hold = false;
  private readonly held: Array<() => void> = [];

  constructor(private readonly repo: JobsRepo, private readonly name: string) {}

  async execute(job: Job, run: JobRun): Promise<JobRun> {
    this.runs.push({ job: job.name, slot: run.slot, trigger: run.trigger, by: this.name });
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    await this.repo.finish(run.id, { status: 'succeeded', ended_at: run.startedAt, results: '[]', note: null });
    return { ...run, status: 'succeeded' };
  }

  release(): void {
    for (const r of this.held.splice(0)) r();
  }
}

let dir: string;
let store: Store;
let repo: JobsRepo;
let clock: ManualClock;
const started: Scheduler[] = [];

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-sched-'));
  store = openStore({ url: '', dataDir: dir });
  await store.migrate();
  repo = store.repos.jobs;
  clock = new ManualClock(T0);
});

afterEach(async () => {
  for (const s of started.splice(0)) await s.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function addJob(name: string, schedule: string, missedPolicy = 'skip', nextRunAt = T0 + 2000): Promise<string> {
  const id = `job_${name}`;
  await repo.insert({
    id, name, schedule, timezone: 'UTC', target: JSON.stringify({ tenant: 'acme' }), action: JSON.stringify({ type: 'restart' }),
    enabled: 1, missed_policy: missedPolicy, overlap_policy: 'skip', timeout_seconds: 60, tenant: 'acme',
    next_run_at: iso(nextRunAt), last_run_at: null, created_at: iso(T0), updated_at: iso(T0),
  });
  return id;
}

function scheduler(executor: RunExecutor, processId: string): Scheduler {
  const s = new Scheduler({ repo, executor, clock, logger, enabled: true, pollMs: 1000, graceMs: 5000, stopWaitMs: 1000, processId });
  started.push(s);
  return s;
}

/** Moves the clock to `ms` after T0, firing timers, then lets every scheduler finish its pass. */
async function advanceTo(ms: number, ...schedulers: Scheduler[]): Promise<void> {
  clock.advance(T0 + ms - clock.now());
  await Promise.all(schedulers.map((s) => s.tick()));
}

async function runsOf(jobId: string): Promise<JobRun[]> {
  return (await repo.listRuns(jobId, { limit: 1000, offset: 0 })).rows.map(toRun).reverse();
}

describe('Scheduler', () => {
  it('runs each slot once, on time, and keeps next_run_at in the store', async () => {
    const id = await addJob('every-2s', '*/2 * * * * *');
    const exec = new RecordingExecutor(repo, 'a');
    const s = scheduler(exec, 'a');
    await s.start();
    expect(exec.runs).toHaveLength(0);
    for (const t of [1000, 2000, 3000, 4000, 4500, 6000]) await advanceTo(t, s);
    expect(exec.runs.map((r) => r.slot)).toEqual([iso(T0 + 2000), iso(T0 + 4000), iso(T0 + 6000)]);
    expect(exec.runs.every((r) => r.trigger === 'schedule')).toBe(true);
    expect((await repo.findByIdOrName(id))?.next_run_at).toBe(iso(T0 + 8000));
    expect((await runsOf(id)).map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });

  it('claims each slot exactly once between two schedulers on one store', async () => {
    const id = await addJob('shared', '*/2 * * * * *');
    const a = new RecordingExecutor(repo, 'a');
    const b = new RecordingExecutor(repo, 'b');
    const sa = scheduler(a, 'a');
    const sb = scheduler(b, 'b');
    await Promise.all([sa.start(), sb.start()]);
    for (let t = 500; t <= 20_000; t += 500) await advanceTo(t, sa, sb);
    const slots = [...a.runs, ...b.runs].map((r) => r.slot).sort();
    expect(slots).toHaveLength(10);
    expect(new Set(slots).size).toBe(10);
    const rows = await runsOf(id);
    expect(rows.map((r) => r.slot)).toEqual(slots);
    expect(new Set(rows.map((r) => r.claimedBy))).toEqual(new Set([...a.runs, ...b.runs].map((r) => r.by)));
  });

  it('skips slots missed while down under missedPolicy skip, then resumes on schedule', async () => {
    const id = await addJob('skipper', '*/2 * * * * *', 'skip');
    const exec = new RecordingExecutor(repo, 'a');
    // Down from T0 to T0+30.5s: slots 2 … 30 pass with nobody running.
    clock.advance(30_500);
    const s = scheduler(exec, 'a');
    await s.start();
    expect(exec.runs).toHaveLength(0);
    expect((await repo.findByIdOrName(id))?.next_run_at).toBe(iso(T0 + 32_000));
    await advanceTo(32_000, s);
    expect(exec.runs.map((r) => r.slot)).toEqual([iso(T0 + 32_000)]);
  });

  it('runs exactly one catch-up for missed slots under missedPolicy run-once, even with two berths booting', async () => {
    const id = await addJob('catcher', '*/2 * * * * *', 'run-once');
    const a = new RecordingExecutor(repo, 'a');
    const b = new RecordingExecutor(repo, 'b');
    clock.advance(30_500);
    const sa = scheduler(a, 'a');
    const sb = scheduler(b, 'b');
    await Promise.all([sa.start(), sb.start()]);
    const runs = [...a.runs, ...b.runs];
    expect(runs).toEqual([expect.objectContaining({ slot: iso(T0 + 2000), trigger: 'catch-up' })]);
    expect((await repo.findByIdOrName(id))?.next_run_at).toBe(iso(T0 + 32_000));
    await advanceTo(31_000, sa, sb);
    expect([...a.runs, ...b.runs]).toHaveLength(1);
  });

  it('runs a slot that is late within the grace (a short stall is not an outage)', async () => {
    await addJob('late', '*/2 * * * * *', 'skip');
    const exec = new RecordingExecutor(repo, 'a');
    clock.advance(3_000);
    const s = scheduler(exec, 'a');
    await s.start();
    expect(exec.runs.map((r) => r.slot)).toEqual([iso(T0 + 2000)]);
  });

  it('records a slot as skipped while the previous run is still going (overlapPolicy skip)', async () => {
    const id = await addJob('slow', '*/2 * * * * *');
    const exec = new RecordingExecutor(repo, 'a');
    exec.hold = true;
    const s = scheduler(exec, 'a');
    await s.start();
    await advanceTo(2000, s);
    await advanceTo(4000, s);
    await advanceTo(6000, s);
    exec.release();
    exec.hold = false;
    await s.stop();
    const s2 = scheduler(exec, 'a2');
    await s2.start();
    await advanceTo(8000, s2);
    const runs = await runsOf(id);
    expect(runs.map((r) => [r.slot, r.status])).toEqual([
      [iso(T0 + 2000), 'succeeded'],
      [iso(T0 + 4000), 'skipped'],
      [iso(T0 + 6000), 'skipped'],
      [iso(T0 + 8000), 'succeeded'],
    ]);
    expect(runs[1]?.note).toContain('previous run is still going');
  });

  it('sees a run left going by a dead berth as going until its timeout, then marks it abandoned', async () => {
    const id = await addJob('orphaned', '*/2 * * * * *');
    await repo.claim({ id: 'run_dead', job_id: id, slot: 'manual:dead', trigger: 'manual', status: 'running', started_at: iso(T0), ended_at: null, results: '[]', claimed_by: 'dead', note: null });
    const exec = new RecordingExecutor(repo, 'a');
    const s = scheduler(exec, 'a');
    await s.start();
    await advanceTo(2000, s);
    expect(exec.runs).toHaveLength(0);
    // Past timeout (60 s) + margin (30 s): the dead berth's run cannot still be going.
    for (let t = 4000; t <= 92_000; t += 2000) await advanceTo(t, s);
    expect(exec.runs.map((r) => r.slot)).toEqual([iso(T0 + 92_000)]);
    expect((await runsOf(id)).filter((r) => r.status === 'skipped')).toHaveLength(45);
    expect(toRun((await repo.getRun('run_dead'))!)).toMatchObject({ status: 'failed', note: expect.stringContaining('abandoned') });
  });

  it('refuses a manual run while one is going, and records manual runs with their own slot', async () => {
    const id = await addJob('manual', '0 3 * * *', 'skip', T0 + 3 * 3600_000);
    const exec = new RecordingExecutor(repo, 'a');
    exec.hold = true;
    const s = scheduler(exec, 'a');
    await s.start();
    const job = toJob((await repo.findByIdOrName(id))!);
    const first = await s.runNow(job, 'ops');
    expect(first.run).toMatchObject({ trigger: 'manual', status: 'running', slot: `manual:${first.run.id}` });
    await expect(s.runNow(job, 'ops')).rejects.toMatchObject({ code: 'CONFLICT' });
    exec.release();
    expect((await first.done)?.status).toBe('succeeded');
    exec.hold = false;
    await s.runNow(job, 'ops').then((r) => r.done);
    expect((await runsOf(id)).map((r) => r.trigger)).toEqual(['manual', 'manual']);
  });
});
