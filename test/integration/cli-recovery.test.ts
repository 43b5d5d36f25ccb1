import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliSandbox, spawnCli, type CliSandbox } from '../helpers/cli.js';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';

interface Shown {
  status: string;
  containerId: string;
  restarts: number;
  lastExitCode: number | null;
  backoffMs: number;
  nextRestartAt: string | null;
}

async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe(`an instance killed under the operator (${testEnv.store})`, () => {
  let box: CliSandbox;
  const show = async (): Promise<Shown> => JSON.parse((await box.berth(['show', 'acme', '--json'])).stdout) as Shown;

  beforeAll(async () => {
    box = await cliSandbox();
    // No jitter and a base delay long enough that the second restart leaves a gap a 1 s watch sees.
    const config = path.join(box.dataDir, 'berth.yml');
    writeFileSync(config, 'restart:\n  baseDelaySeconds: 4\n  jitter: 0\n');
    const start = await box.berth(['server', 'start', '--config', config]);
    expect(start.code, start.stderr).toBe(0);
    const created = await box.berth(['create', 'acme', '--wait']);
    expect(created.code, created.stderr).toBe(0);
  });
  afterAll(async () => {
    await box.berth(['server', 'stop']);
    await box.cleanup();
  });

  it('stats --watch shows the gap and resumes; the counters show each comeback and clear what no longer applies', async () => {
    const watch = spawnCli(['stats', 'acme', '--watch', '--interval', '1'], box.env);
    try {
      const rows = (): string[] => watch.stdout().split('\n').filter((l) => /^\d\d:\d\d:\d\d\t/.test(l));
      await watch.waitFor(() => rows().length >= 2, 30_000);

      // First kill: the first restart of a streak is immediate.
      const first = await show();
      await rawDocker().getContainer(first.containerId).kill();
      await until('back after the first kill', show, (s) => s.status === 'running' && s.restarts === 1);

      // Second kill: restarted after the 4 s backoff, during which the instance shows why.
      await rawDocker().getContainer(first.containerId).kill();
      const waiting = await until('backing off', show, (s) => s.status === 'restarting' && s.nextRestartAt !== null);
      expect(waiting).toMatchObject({ lastExitCode: 137 });
      expect(waiting.backoffMs).toBeGreaterThan(0);
      await watch.waitFor((out) => out.includes('-- acme: not running; waiting for it to come back'), 30_000);
      const before = rows().length;

      const back = await until('back after the second kill', show, (s) => s.status === 'running' && s.restarts === 2);
      expect(back).toMatchObject({ lastExitCode: null, backoffMs: 0, nextRestartAt: null });
      await watch.waitFor(() => rows().length >= before + 2, 30_000);
      expect(watch.stderr()).toBe('');
      expect(watch.child.exitCode).toBeNull();

      // Third kill, and someone starts the container before berth's backoff ends: still a comeback, counted.
      await rawDocker().getContainer(first.containerId).kill();
      await until('backing off again', show, (s) => s.status === 'restarting' && s.nextRestartAt !== null);
      await rawDocker().getContainer(first.containerId).start();
      const third = await until('counted after an outside start', show, (s) => s.status === 'running' && s.restarts === 3);
      expect(third).toMatchObject({ lastExitCode: null, backoffMs: 0, nextRestartAt: null });
      const events = JSON.parse((await box.berth(['events', 'acme', '--json'])).stdout) as { items: Array<{ type: string; message: string }> };
      expect(events.items.map((e) => e.message)).toContain('the container was already started again; counted as a restart');

      const ls = await box.berth(['ls']);
      expect(ls.stdout).toMatch(/acme\s+.*running.*\s3\s/);
    } finally {
      watch.child.kill('SIGINT');
    }
    expect(await watch.exited).toBe(0);
  });

  it('validation errors reach the CLI in words', async () => {
    const bad = await box.berth(['create', 'Bad_Name!']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("must be lowercase letters, digits and '-', 1-63 characters");
    const status = await box.berth(['ls', '--status', 'bogus']);
    expect(status.code).toBe(2);
    expect(status.stderr).toMatch(/status: must be one of: creating, starting, running/);
  });

  it('process metrics carry one berth_ prefix', async () => {
    const text = await (await fetch(`${box.url}/metrics`)).text();
    expect(text).toContain('berth_process_cpu_user_seconds_total');
    expect(text).not.toContain('berth_process_process_');
  });

  it('--interval is validated and honoured', async () => {
    const zero = await box.berth(['stats', 'acme', '--watch', '--interval', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('expected a number of seconds, at least 0.5');
    const watch = spawnCli(['stats', 'acme', '--watch', '--interval', '1', '--json'], box.env);
    try {
      await watch.waitFor((out) => out.trim().split('\n').length >= 6, 30_000);
      const samples = watch.stdout().trim().split('\n').map((l) => JSON.parse(l) as { at: string; cpuPercent: number; onlineCpus: number });
      for (const s of samples) expect(s.cpuPercent >= 0 && s.cpuPercent <= 100 * s.onlineCpus, JSON.stringify(s)).toBe(true);
      const times = samples.map((s) => Date.parse(s.at));
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
      // Sample to sample, not sample + interval (the engine itself spends about a second measuring).
      expect(mean).toBeLessThan(1700);
    } finally {
      watch.child.kill('SIGINT');
    }
    expect(await watch.exited).toBe(0);
  });
});
