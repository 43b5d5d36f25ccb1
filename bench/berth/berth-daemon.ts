import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { dockerHost } from '../lib/engine.js';

export interface BerthDaemonOptions {
  root: string;
  dir: string;
  scope: string;
  port: number;
  portRange: string;
  /** A unique shared network name and subnets, so a bench daemon collides with nothing. */
  network: { sharedName: string; sharedSubnet: string; subnetPool: string };
  /** Extra plans for the bench (the shipped ones stay as they are). */
  plans?: Record<string, unknown>;
  /** More config sections (runtime, swarm) for the daemon's YAML. */
  extra?: Record<string, unknown>;
}

/**
 * The built berth binary (`dist/src/bundle/berth.js serve`) as its own process, with its own data
 * dir, scope and SQLite store — exactly what an operator runs. Logs go to a file, at the
 * default level.
 */
export class BerthDaemon {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  readonly url: string;
  readonly dataDir: string;
  readonly logFile: string;
  private readonly configFile: string;

  constructor(private readonly options: BerthDaemonOptions) {
    this.url = `http://127.0.0.1:${options.port}`;
    this.dataDir = path.join(options.dir, 'data');
    this.logFile = path.join(options.dir, 'berth.log');
    this.configFile = path.join(options.dir, 'berth.yml');
    mkdirSync(options.dir, { recursive: true });
    // Per-token rate limits off: the reads scenario measures serving, not 429s.
    writeFileSync(this.configFile, stringify({ network: options.network, rateLimit: { enabled: false }, ...(options.plans ? { plans: options.plans } : {}), ...(options.extra ?? {}) }));
  }

  get pid(): number {
    if (!this.child?.pid || this.child.exitCode !== null) throw new Error('berth is not running');
    return this.child.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns the daemon; resolves with ms from spawn to GET /ready → 200. */
  async start(timeoutMs = 120_000): Promise<number> {
    const bin = path.join(this.options.root, 'dist/src/bundle/berth.js');
    if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` first`);
    const fd = openSync(this.logFile, 'a');
    const started = performance.now();
    // BERTH_BENCH_DAEMON_NODE_ARGS: extra node flags for the daemon only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p".
    const nodeArgs = (process.env.BERTH_BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, bin, 'serve'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        BERTH_CONFIG: this.configFile,
        BERTH_DATA_DIR: this.dataDir,
        BERTH_HOST: '127.0.0.1',
        BERTH_PORT: String(this.options.port),
        BERTH_SCOPE: this.options.scope,
        BERTH_PORT_RANGE: this.options.portRange,
        DOCKER_HOST: dockerHost(),
      },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (!this.running) throw new Error(`berth exited during boot (code ${child.exitCode}); log: ${this.logTail()}`);
      try {
        const res = await fetch(`${this.url}/ready`);
        if (res.status === 200) return performance.now() - started;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`berth was not ready within ${timeoutMs} ms; log: ${this.logTail()}`);
  }

  /** SIGTERM and wait for a graceful exit (SIGKILL after the timeout). */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (!this.running || !this.child) return;
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(killer);
  }

  adminToken(): string {
    return readFileSync(path.join(this.dataDir, 'admin.token'), 'utf8').trim();
  }

  logTail(lines = 15): string {
    try {
      return readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}
