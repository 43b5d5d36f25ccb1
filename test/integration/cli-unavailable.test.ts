import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../src/cli/cli.js';
import { freePort, runBerth } from '../helpers/cli.js';

/** Runs `fn` over `items`, `limit` at a time (each item spawns a process; the machine is small). */
async function inBatches<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += limit) out.push(...(await Promise.all(items.slice(i, i + limit).map(fn))));
  return out;
}

describe('berth CLI without a daemon', () => {
  let env: Record<string, string>;
  let dataDir: string;
  let url: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'berth-cli-down-'));
    writeFileSync(path.join(dataDir, 'admin.token'), 'berth_from-the-file\n', { mode: 0o600 });
    // A port nothing listens on: connection refused, as when berth is not running.
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', BERTH_DATA_DIR: dataDir, BERTH_URL: url, BERTH_PORT: String(port) };
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('every API command fails fast with the friendly message and exit code 5', async () => {
    const commands = [
      ['ls'], ['ls', '--json'], ['show', 'acme'], ['create', 'acme', '--wait'], ['rm', 'acme', '--yes'],
      ['start', 'acme'], ['stop', 'acme', '--wait'], ['restart', 'acme', '--wait'],
      ['logs', 'acme'], ['logs', 'acme', '-f'], ['stats', 'acme'], ['stats', 'acme', '--watch'],
      ['events'], ['events', 'acme', '-f'],
      ['docker', 'ps'], ['docker', 'status', 'x'], ['docker', 'start', 'x'], ['docker', 'stop', 'x'], ['docker', 'restart', 'x'], ['docker', 'logs', 'x'],
      ['gc'], ['gc', '--dry-run'], ['token', 'create', 'ci'], ['token', 'ls'], ['token', 'revoke', 'ci'],
    ];
    const results = await inBatches(commands, 5, async (args) => ({ args, result: await runBerth(args, env, { timeoutMs: 20_000 }) }));
    for (const { args, result } of results) {
      const what = `berth ${args.join(' ')}: ${result.stderr}`;
      expect(result.code, what).toBe(5);
      expect(result.stderr, what).toBe(`error: berth is not running at ${url}; start it with \`berth server start\`\n`);
      expect(result.stdout, what).toBe('');
      // Fails fast: no retries, no waiting for a timeout (the bound is generous for a busy 2-core box).
      expect(result.ms, what).toBeLessThan(5000);
    }
  });

  it('server status and doctor say it is not running (exit 5); server stop has nothing to do (exit 0)', async () => {
    const status = await runBerth(['server', 'status'], env);
    expect(status.code).toBe(5);
    expect(status.stdout).toContain(`berth is not running at ${url}`);
    const doctor = await runBerth(['doctor'], env);
    expect(doctor.code).toBe(5);
    expect(doctor.stdout).toMatch(/✗ daemon\s+berth is not running at/);
    expect(doctor.stdout).toContain('fix: start it with `berth server start`');
    expect(doctor.stdout).toMatch(/✓ api port\s+127\.0\.0\.1:\d+ is free/);
    expect(doctor.stdout).toMatch(/disk\s+[\d.]+\w+ free/);
    const doctorJson = JSON.parse((await runBerth(['doctor', '--json'], env)).stdout) as { ok: boolean; checks: Array<{ name: string; status: string }> };
    expect(doctorJson.ok).toBe(false);
    expect(doctorJson.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['config', 'daemon', 'socket', 'data dir', 'api port', 'ports', 'disk']));
    const stop = await runBerth(['server', 'stop'], env);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain('berth is not running');
  });

  it('usage errors exit 2 with a hint, never a stack trace', async () => {
    for (const args of [['nope'], ['ls', '--bogus'], ['create'], ['logs', 'acme', '--tail', 'many'], ['completion', 'fish'], ['token', 'create', 'x', '--admin', '--tenant', 't'], []]) {
      const r = await runBerth(args, env);
      expect(r.code, `berth ${args.join(' ')}`).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const bad = await runBerth(['--url', 'not a url', 'ls'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is not a URL');
  });
});

function commandPaths(program: Command, prefix: string[] = []): string[][] {
  return program.commands.filter((c) => c.name() !== 'help').flatMap((c) => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])]);
}

describe('berth CLI help and completion', () => {
  it('berth --help and every subcommand\'s help exit 0 and show examples', async () => {
    const top = await runBerth(['--help'], {});
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('Examples:');
    expect(top.stdout).toContain('Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 conflict, 5 unavailable');
    const paths = commandPaths(buildCli());
    expect(paths.map((p) => p.join(' '))).toEqual(expect.arrayContaining([
      'serve', 'server start', 'server stop', 'server status', 'server logs', 'create', 'ls', 'show', 'rm', 'start', 'stop', 'restart',
      'logs', 'stats', 'events', 'docker ps', 'docker status', 'docker logs', 'gc', 'doctor', 'token create', 'token ls', 'token revoke', 'completion',
    ]));
    const results = await inBatches(paths, 6, async (p) => ({ p, r: await runBerth([...p, '--help'], {}) }));
    for (const { p, r } of results) {
      expect(r.code, `berth ${p.join(' ')} --help`).toBe(0);
      expect(r.stdout, `berth ${p.join(' ')} --help`).toMatch(/^Usage: berth /);
      expect(r.stdout, `berth ${p.join(' ')} --help`).toContain('Examples:');
    }
  });

  it('berth completion bash completes commands and options in a real bash', async () => {
    const script = await runBerth(['completion', 'bash'], {});
    expect(script.code).toBe(0);
    const probe = (words: string[]): string => {
      const shell = `${script.stdout}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _berth; echo "\${COMPREPLY[*]}"`;
      const r = spawnSync('bash', ['-c', shell], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      return r.stdout.trim();
    };
    expect(probe(['berth', 'ser']).split(' ').sort()).toEqual(['serve', 'server', 'service', 'services']);
    expect(probe(['berth', 'server', '']).split(' ').sort()).toEqual(['logs', 'start', 'status', 'stop']);
    expect(probe(['berth', 'docker', 'l'])).toBe('logs');
    expect(probe(['berth', 'create', 'acme', '--w']).split(' ')).toEqual(['--wait']);
    expect(probe(['berth', 'gc', '--'])).toContain('--dry-run');
    expect(probe(['berth', '--url', 'http://x', 'tok'])).toBe('token');
  });

  it('berth completion zsh defines a completion function with every command', async () => {
    const script = await runBerth(['completion', 'zsh'], {});
    expect(script.code).toBe(0);
    expect(script.stdout.startsWith('#compdef berth\n')).toBe(true);
    expect(script.stdout).toContain('compdef _berth berth');
    for (const name of ['serve', 'server', 'create', 'ls', 'logs', 'gc', 'doctor', 'token', 'docker', 'completion']) {
      expect(script.stdout).toMatch(new RegExp(`'${name}:[^']+'`));
    }
    const serverStart = script.stdout.split('\n').find((l) => l.includes("'server start')"));
    expect(serverStart).toContain("subs=(); opts=(");
    expect(serverStart).toContain("'--timeout:how long to wait for /ready'");
  });
});
