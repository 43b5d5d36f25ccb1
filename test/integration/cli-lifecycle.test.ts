import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliSandbox, spawnCli, type CliSandbox } from '../helpers/cli.js';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';

interface InstanceJson {
  id: string;
  name: string;
  tenant: string;
  plan: string;
  status: string;
  hostPort: number;
  url: string;
  startedAt: string | null;
  containerId: string | null;
}

describe(`berth CLI: an instance's life from server start to server stop (${testEnv.store})`, () => {
  let box: CliSandbox;
  beforeAll(async () => {
    box = await cliSandbox();
  });
  afterAll(async () => {
    await box.cleanup();
  });

  it('server start → create --wait → ls --json → logs → restart --wait → rm --yes → server stop, each exit code checked', async () => {
    const start = await box.berth(['server', 'start']);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stdout).toContain(`berth is running at ${box.url}`);
    expect(start.stdout).toContain(path.join(box.dataDir, 'admin.token'));
    expect(existsSync(path.join(box.dataDir, 'berth.pid'))).toBe(true);

    const create = await box.berth(['create', 'acme', '--plan', 'starter', '--env', 'LOG_EVERY_MS=200', '--wait']);
    expect(create.code, create.stderr).toBe(0);
    // Not a terminal: plain progress lines, then the outcome.
    expect(create.stderr).toMatch(/acme: (creating|starting)/);
    expect(create.stderr).toMatch(/✓ acme is running at http:\/\/127\.0\.0\.1:\d+/);

    const ls = await box.berth(['ls', '--json']);
    expect(ls.code, ls.stderr).toBe(0);
    const list = JSON.parse(ls.stdout) as { items: InstanceJson[]; total: number };
    expect(list.total).toBe(1);
    expect(list.items[0]).toMatchObject({ name: 'acme', tenant: 'acme', plan: 'starter', status: 'running' });
    const before = list.items[0]!;
    // The URL really serves the agent.
    expect((await fetch(`${before.url}/health`)).status).toBe(200);

    const table = await box.berth(['ls']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+TENANT\s+PLAN\s+STATUS\s+URL\s+RESTARTS\s+AGE$/);
    expect(table.stdout).toMatch(/acme\s+acme\s+starter\s+running\s+http:\/\/127\.0\.0\.1:\d+\s+0\s+\d+s/);
    expect(table.stdout).not.toContain('\x1b['); // no colour in a pipe

    const logs = await box.berth(['logs', 'acme', '--tail', '5']);
    expect(logs.code, logs.stderr).toBe(0);
    const lines = logs.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(5);
    expect(logs.stdout).toContain('test-agent');

    const restart = await box.berth(['restart', 'acme', '--wait', '--json']);
    expect(restart.code, restart.stderr).toBe(0);
    const after = JSON.parse(restart.stdout) as InstanceJson;
    expect(after.status).toBe('running');
    expect(after.startedAt).not.toBe(before.startedAt);
    expect(restart.stderr).toMatch(/✓ acme is running/);

    const events = await box.berth(['events', 'acme']);
    expect(events.code).toBe(0);
    expect(events.stdout).toMatch(/created[\s\S]*running[\s\S]*restarted on request/);

    const rm = await box.berth(['rm', 'acme', '--yes']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stdout).toContain('acme deleted');
    expect((await box.berth(['show', 'acme'])).code).toBe(3);
    const left = await rawDocker().listContainers({ all: true, filters: { label: [`berth.scope=${box.scope}`, 'berth.kind=instance'] } });
    expect(left).toHaveLength(0);

    const stop = await box.berth(['server', 'stop']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toContain('berth stopped');
    expect(existsSync(path.join(box.dataDir, 'berth.pid'))).toBe(false);
    const status = await box.berth(['server', 'status']);
    expect(status.code).toBe(5);
  });
});

describe(`berth CLI against a running daemon (${testEnv.store})`, () => {
  let box: CliSandbox;
  beforeAll(async () => {
    box = await cliSandbox();
    const start = await box.berth(['server', 'start']);
    expect(start.code, start.stderr).toBe(0);
    const create = await box.berth(['create', 'beta', '--env', 'LOG_EVERY_MS=150', '--secret', 'API_KEY=s3cret', '--wait']);
    expect(create.code, create.stderr).toBe(0);
  });
  afterAll(async () => {
    await box.berth(['server', 'stop']);
    await box.cleanup();
  });

  it('logs -f streams lines written after it started and exits 0 on Ctrl-C', async () => {
    const follow = spawnCli(['logs', 'beta', '-f', '--tail', '0'], box.env);
    const startedAt = Date.now();
    await follow.waitFor((out) => out.split('\n').filter((l) => l.includes('tick')).length >= 3, 20_000);
    // Every line it printed was written after it started (the agent's own timestamps say so).
    const times = follow.stdout().trim().split('\n').map((l) => Date.parse(l.split(' ')[0] ?? ''));
    for (const t of times) expect(t).toBeGreaterThanOrEqual(startedAt - 1000);
    follow.child.kill('SIGINT');
    expect(await follow.exited).toBe(0);
    expect(follow.stderr()).toBe('');
  });

  it('events -f prints new events as they happen and exits 0 on Ctrl-C', async () => {
    const follow = spawnCli(['events', '-f'], box.env);
    await follow.waitFor((out) => out.includes('created'));
    const stop = await box.berth(['stop', 'beta', '--wait']);
    expect(stop.code, stop.stderr).toBe(0);
    await follow.waitFor((out) => /beta\s+stopped/.test(out), 15_000);
    follow.child.kill('SIGINT');
    expect(await follow.exited).toBe(0);
    const start = await box.berth(['start', 'beta', '--wait']);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stderr).toContain('✓ beta is running');
  });

  it('show and stats describe the instance; secrets never appear', async () => {
    const show = await box.berth(['show', 'beta']);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/status:\s+running/);
    expect(show.stdout).toContain('API_KEY');
    expect(show.stdout).not.toContain('s3cret');
    const json = await box.berth(['show', 'beta', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'beta', secretNames: ['API_KEY'] });
    expect(json.stdout).not.toContain('s3cret');

    const stats = await box.berth(['stats', 'beta', '--json']);
    expect(stats.code, stats.stderr).toBe(0);
    const s = JSON.parse(stats.stdout) as { memoryBytes: number; memoryLimitBytes: number; pids: number };
    expect(s.memoryBytes).toBeGreaterThan(0);
    expect(s.memoryLimitBytes).toBe(512 * 1024 * 1024);
    expect(s.pids).toBeGreaterThan(0);

    const watch = spawnCli(['stats', 'beta', '--watch', '--interval', '0.5'], box.env);
    // A bound against a hang: two samples take about 2 s when quiet.
    await watch.waitFor((out) => out.trim().split('\n').length >= 3, 40_000);
    watch.child.kill('SIGINT');
    expect(await watch.exited).toBe(0);
    expect(watch.stdout().split('\n')[0]).toMatch(/^TIME\tCPU\tMEMORY/);
  });

  it('maps API errors to exit codes: 3 not found, 4 conflict, 2 usage and bad input', async () => {
    const missing = await box.berth(['show', 'nope']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('INSTANCE_NOT_FOUND');
    expect(missing.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect((await box.berth(['logs', 'nope'])).code).toBe(3);
    expect((await box.berth(['restart', 'nope'])).code).toBe(3);

    const conflict = await box.berth(['create', 'beta', '--plan', 'pro']);
    expect(conflict.code).toBe(4);
    expect(conflict.stderr).toContain('INSTANCE_CONFLICT');

    const badName = await box.berth(['create', 'Bad;Name']);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('INVALID_INPUT');
    expect((await box.berth(['create', 'gamma', '--plan', 'nosuchplan'])).code).toBe(3);
    expect((await box.berth(['create', 'gamma', '--port', '0'])).code).toBe(2);
    expect((await box.berth(['create', 'gamma', '--env', 'NOEQUALS'])).code).toBe(2);
    expect((await box.berth(['ls', '--bogus'])).code).toBe(2);
    expect((await box.berth(['ls'])).stdout).not.toContain('gamma');

    // rm without --yes and without a terminal refuses, and deletes nothing.
    const refused = await box.berth(['rm', 'beta']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    expect((await box.berth(['show', 'beta'])).code).toBe(0);

    const denied = await box.berth(['ls'], { env: { BERTH_TOKEN: 'berth_not-a-token' } });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('UNAUTHORIZED');
  });
});
