import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { startDaemon, type Daemon } from '../../src/main.js';
import { storeUrlFor } from './databases.js';
import { removeScope } from './docker.js';
import { testEnv } from './env.js';

export interface TestDaemonOptions {
  store?: 'sqlite' | 'postgres';
  /** Extra config as dotted keys, e.g. { 'ports.start': 31000 }. */
  flags?: Record<string, string | number | boolean>;
  /** A YAML config file body. */
  yaml?: string;
  env?: Record<string, string>;
  /** Reuse a data dir / database (to restart a daemon on the same state). */
  dataDir?: string;
  databaseUrl?: string;
  scope?: string;
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TestDaemon {
  daemon: Daemon;
  url: string;
  token: string;
  scope: string;
  dataDir: string;
  databaseUrl: string;
  logs: string[];
  api<T = Record<string, unknown>>(method: string, path: string, body?: unknown, token?: string | null): Promise<ApiResponse<T>>;
  /** Stops the daemon (containers keep running). */
  stop(): Promise<void>;
  /** Stops the daemon and removes everything it made in the engine and on disk. */
  cleanup(): Promise<void>;
}

export function uniqueScope(prefix = 't'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Starts a real berth daemon in this process, on a free port, with its own scope and store. */
export async function startTestDaemon(options: TestDaemonOptions = {}): Promise<TestDaemon> {
  const scope = options.scope ?? uniqueScope();
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'berth-test-'));
  const db = options.databaseUrl !== undefined ? { url: options.databaseUrl, drop: async () => undefined } : await storeUrlFor(options.store ?? testEnv.store);
  let configPath: string | undefined;
  if (options.yaml) {
    configPath = path.join(dataDir, 'berth.yml');
    (await import('node:fs')).writeFileSync(configPath, options.yaml);
  }
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  const daemon = await startDaemon({
    env: { DOCKER_HOST: testEnv.dockerHost, ...(options.env ?? {}) },
    ...(configPath ? { configPath } : {}),
    flags: {
      dataDir,
      'database.url': db.url,
      'server.port': 0,
      'runtime.scope': scope,
      'log.level': 'debug',
      'server.shutdownGraceSeconds': 5,
      // Tests poll the API fast for minutes; the rate-limit tests turn limits back on.
      'rateLimit.enabled': false,
      ...(testEnv.sharedSubnet ? { 'network.sharedSubnet': testEnv.sharedSubnet } : {}),
      ...(testEnv.subnetPool ? { 'network.subnetPool': testEnv.subnetPool } : {}),
      ...(options.flags ?? {}),
    },
    logDestination: sink,
  });
  const token = readFileSync(path.join(dataDir, 'admin.token'), 'utf8').trim();
  let stopped = false;
  const td: TestDaemon = {
    daemon,
    url: daemon.url,
    token,
    scope,
    dataDir,
    databaseUrl: db.url,
    logs,
    async api<T>(method: string, p: string, body?: unknown, tok: string | null = token) {
      const headers: Record<string, string> = {};
      if (tok) headers.authorization = `Bearer ${tok}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${daemon.url}${p}`, { method, headers, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed as T, headers: res.headers };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await daemon.stop('test done');
    },
    async cleanup() {
      await td.stop();
      await removeScope(scope);
      await db.drop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return td;
}
