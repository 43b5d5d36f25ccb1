import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPgDatabase } from './databases.js';
import { spawnBerth, type DaemonProcess } from './daemon-process.js';
import { removeScope } from './docker.js';
import { uniqueScope } from './test-daemon.js';

export interface ClusterHealth {
  status: string;
  cluster: { role: 'leader' | 'follower'; processId: string; leader: string | null; leaseAgeSeconds: number | null; term: number | null; mode: string };
}

export interface ClusterMember {
  name: string;
  proc: DaemonProcess;
  url: string;
}

/** Several real `berth serve` processes on one Postgres database, one scope and one data dir. */
export interface BerthCluster {
  scope: string;
  dataDir: string;
  databaseUrl: string;
  members: Map<string, ClusterMember>;
  token: string;
  /** Starts (or starts again) the member `name` and waits until it is ready. */
  start(name: string): Promise<ClusterMember>;
  alive(): ClusterMember[];
  health(m: ClusterMember): Promise<ClusterHealth | undefined>;
  api<T = Record<string, unknown>>(m: ClusterMember, method: string, p: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Polls every live member until exactly one says it leads and the others agree; returns it. */
  leader(timeoutMs: number, among?: ClusterMember[]): Promise<ClusterMember>;
  cleanup(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startCluster(options: { yaml: string; names: string[] }): Promise<BerthCluster> {
  const db = await createPgDatabase();
  const scope = uniqueScope('m');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-multi-'));
  const configPath = path.join(dataDir, 'berth.yml');
  writeFileSync(configPath, options.yaml);
  const members = new Map<string, ClusterMember>();
  let token = '';

  const cluster: BerthCluster = {
    scope, dataDir, databaseUrl: db.url, members,
    get token() {
      return token;
    },
    async start(name) {
      const port = await freePort();
      const proc = spawnBerth(['serve'], {
        DATABASE_URL: db.url, BERTH_SCOPE: scope, BERTH_PROCESS_ID: name, BERTH_CONFIG: configPath, BERTH_LOG_LEVEL: 'debug', BERTH_LOG_FORMAT: 'json',
      }, { dataDir, port });
      await proc.waitReady(90_000);
      token = readFileSync(path.join(dataDir, 'admin.token'), 'utf8').trim();
      const member = { name, proc, url: proc.url };
      members.set(name, member);
      return member;
    },
    alive() {
      return [...members.values()].filter((m) => m.proc.child.exitCode === null && m.proc.child.signalCode === null);
    },
    async health(m) {
      try {
        const res = await fetch(`${m.url}/health`, { signal: AbortSignal.timeout(3000) });
        return (await res.json()) as ClusterHealth;
      } catch {
        return undefined;
      }
    },
    async api(m, method, p, body) {
      const res = await fetch(`${m.url}${p}`, {
        method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(90_000),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as never };
    },
    async leader(timeoutMs, among) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const live = among ?? cluster.alive();
        const healths = await Promise.all(live.map(async (m) => ({ m, h: await cluster.health(m) })));
        const leaders = healths.filter((x) => x.h?.cluster.role === 'leader');
        if (leaders.length === 1 && healths.every((x) => x.h?.cluster.leader === leaders[0]!.m.name)) return leaders[0]!.m;
        if (Date.now() > end) throw new Error(`no single agreed leader within ${timeoutMs} ms: ${JSON.stringify(healths.map((x) => [x.m.name, x.h?.cluster]))}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async cleanup() {
      for (const m of members.values()) {
        if (m.proc.child.exitCode === null && m.proc.child.signalCode === null) {
          m.proc.child.kill('SIGCONT');
          m.proc.child.kill('SIGTERM');
          const stopped = await Promise.race([m.proc.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))]);
          if (!stopped) m.proc.child.kill('SIGKILL');
        }
      }
      await removeScope(scope);
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return cluster;
}
