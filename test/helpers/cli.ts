import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { storeUrlFor } from './databases.js';
import { BERTH_BIN } from './daemon-process.js';
import { removeScope } from './docker.js';
import { testEnv } from './env.js';
import { uniqueScope } from './test-daemon.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free TCP port on 127.0.0.1, below the kernel's ephemeral range (so no outgoing connection
 * takes it before the daemon binds it) and outside berth's instance range (20000-29999).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 10000 + Math.floor(Math.random() * 10000);
    if (await bindable(port)) return port;
  }
  throw new Error('no free port found in 10000-19999');
}

/** Runs the built `berth` binary once and collects its output and exit code. */
export function runBerth(args: string[], env: Record<string, string>, options: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BERTH_BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`berth ${args.join(' ')} did not finish in ${options.timeoutMs ?? 60_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A long-running `berth` process (logs -f, events -f) whose output grows as it runs. */
export interface CliProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  waitFor(predicate: (stdout: string) => boolean, timeoutMs?: number): Promise<void>;
}

export function spawnCli(args: string[], env: Record<string, string>): CliProcess {
  const child = spawn(process.execPath, [BERTH_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(predicate, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      while (!predicate(out)) {
        if (child.exitCode !== null) throw new Error(`berth ${args.join(' ')} exited with ${child.exitCode}\nstdout: ${out}\nstderr: ${err}`);
        if (Date.now() > until) throw new Error(`berth ${args.join(' ')}: expected output did not appear in ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/**
 * One test's world for the CLI: its own data dir, port, berth scope and store, and the
 * environment the binary runs with. `cleanup` stops a daemon left running (by its pid file),
 * removes everything labelled with the scope, drops the database and deletes the data dir.
 */
export interface CliSandbox {
  env: Record<string, string>;
  url: string;
  port: number;
  scope: string;
  dataDir: string;
  berth(args: string[], options?: { input?: string; timeoutMs?: number; env?: Record<string, string> }): Promise<CliResult>;
  cleanup(): Promise<void>;
}

export async function cliSandbox(options: { env?: Record<string, string>; store?: 'sqlite' | 'postgres' } = {}): Promise<CliSandbox> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-cli-'));
  const port = await freePort();
  const scope = uniqueScope('cli');
  const db = await storeUrlFor(options.store ?? testEnv.store);
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    BERTH_DATA_DIR: dataDir,
    BERTH_PORT: String(port),
    BERTH_URL: url,
    BERTH_SCOPE: scope,
    BERTH_LOG_LEVEL: 'info',
    BERTH_SHUTDOWN_GRACE_SECONDS: '5',
    DATABASE_URL: db.url,
    DOCKER_HOST: testEnv.dockerHost,
    ...options.env,
  };
  return {
    env,
    url,
    port,
    scope,
    dataDir,
    berth: (args, opts = {}) => runBerth(args, { ...env, ...(opts.env ?? {}) }, opts),
    async cleanup() {
      try {
        const pid = Number(readFileSync(path.join(dataDir, 'berth.pid'), 'utf8').trim());
        if (pid > 1) process.kill(pid, 'SIGKILL');
      } catch {
        // not running (the usual case: the test stopped it)
      }
      await removeScope(scope);
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
