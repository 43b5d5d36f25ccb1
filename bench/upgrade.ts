/**
 * Upgrade downtime: berth's health-gated upgrade (PATCH → new revision) next to what an operator
 * does by hand (`docker stop` + `docker rm` + `docker run` of the new version on the same port
 * and volume), on the same engine in the same run. Downtime is measured from outside, the same
 * way for both: GET /health polled every 20 ms; the longest gap between two good answers (last
 * good answer on the old version → first good answer on the new).
 *
 *   npm run build && flock /tmp/berth-heavy.lock npm run bench:upgrade -- --count 5
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthDaemon } from './berth/berth-daemon.js';
import { engineClient } from './lib/engine.js';
import { execCommand } from './lib/exec-command.js';
import { freePort, PortPool } from './lib/port-pool.js';
import { median, percentile } from './lib/stats.js';
import { BENCH_LABEL, TENANT } from './lib/tenant-spec.js';
import { POLL_MS, probe, waitHealthy } from './lib/wait-healthy.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const count = Number(process.argv[process.argv.indexOf('--count') + 1]) || 5;
const runId = `upg-${randomBytes(3).toString('hex')}`;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** Polls /health every POLL_MS from now until stop(); reports the longest gap between good answers. */
function watch(port: number): { stop(): Promise<number> } {
  let running = true;
  let lastOk: number | undefined;
  let longest = 0;
  const loop = (async () => {
    while (running) {
      const answer = await probe(port, TENANT.healthPath, 1000);
      const now = performance.now();
      if (answer?.status === 200) {
        if (lastOk !== undefined) longest = Math.max(longest, now - lastOk);
        lastOk = now;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return Math.round(longest);
    },
  };
}

async function berthSide(): Promise<number[]> {
  const dir = mkdtempSync(path.join(tmpdir(), `${runId}-berth-`));
  const daemon = new BerthDaemon({
    root, dir, scope: runId, port: await freePort(), portRange: '47000-48999',
    network: { sharedName: `${runId}-shared`, sharedSubnet: `10.214.${Math.floor(Math.random() * 256)}.0/24`, subnetPool: '10.215.0.0/16' },
  });
  await daemon.start();
  const token = daemon.adminToken();
  const call = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${daemon.url}${url}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const gaps: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const name = `${runId}-b${i}`;
      const made = await call<{ hostPort: number }>('POST', '/v1/instances?wait=running&timeout=120', { tenant: name, image: TENANT.image });
      const w = watch(made.hostPort);
      await new Promise((r) => setTimeout(r, 200));
      const res = await call<{ upgrade: { status: string; downtimeMs: number | null } }>('PATCH', `/v1/instances/${name}?wait=true&timeout=300`, { env: { VERSION: '2' } });
      await waitHealthy(made.hostPort, 60_000);
      await new Promise((r) => setTimeout(r, 200));
      const gap = await w.stop();
      if (res.upgrade.status !== 'succeeded') throw new Error(`upgrade of ${name}: ${res.upgrade.status}`);
      log(`berth  ${name}: ${gap} ms without an answer (berth's own record: ${res.upgrade.downtimeMs} ms)`);
      gaps.push(gap);
      await call('DELETE', `/v1/instances/${name}`);
    }
  } finally {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return gaps;
}

function runArgs(name: string, port: number, version: string): string[] {
  return [
    'run', '-d', '--name', name, '--label', `${BENCH_LABEL}=${runId}`, '--user', TENANT.user,
    '--cpus', String(TENANT.cpus), '--memory', String(TENANT.memoryBytes), '--pids-limit', String(TENANT.pidsLimit),
    '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges:true', '-p', `${TENANT.bindAddress}:${port}:${TENANT.containerPort}`,
    '--mount', `type=volume,src=${name}-ws,dst=${TENANT.workspaceTarget},volume-label=${BENCH_LABEL}=${runId}`,
    '-e', `VERSION=${version}`, TENANT.image,
  ];
}

async function byHand(ports: PortPool): Promise<number[]> {
  const gaps: number[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${runId}-h${i}`;
    const port = await ports.take();
    await execCommand('docker', runArgs(name, port, '1'));
    await waitHealthy(port, 120_000);
    const w = watch(port);
    await new Promise((r) => setTimeout(r, 200));
    // berth stops with the same 10 s grace (runtime.stopTimeoutSeconds); the agent exits on SIGTERM.
    await execCommand('docker', ['stop', '-t', '10', name]);
    await execCommand('docker', ['rm', name]);
    await execCommand('docker', runArgs(name, port, '2'));
    await waitHealthy(port, 120_000);
    await new Promise((r) => setTimeout(r, 200));
    const gap = await w.stop();
    log(`by hand ${name}: ${gap} ms without an answer`);
    gaps.push(gap);
    await execCommand('docker', ['rm', '-f', name]);
    await execCommand('docker', ['volume', 'rm', `${name}-ws`]);
  }
  return gaps;
}

async function sweep(): Promise<void> {
  const docker = engineClient(false);
  for (const label of [`${BENCH_LABEL}=${runId}`, `berth.scope=${runId}`]) {
    for (const c of await docker.listContainers({ all: true, filters: { label: [label] } })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    for (const v of (await docker.listVolumes({ filters: { label: [label] } })).Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
    for (const n of await docker.listNetworks({ filters: { label: [label] } })) await docker.getNetwork(n.Id).remove().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  log(`upgrade downtime, ${count} upgrades per side (run ${runId})`);
  try {
    const hand = await byHand(new PortPool(32500, 32760));
    const berth = await berthSide();
    const row = (side: string, v: number[]): string => `| ${side} | ${v.length} | ${median(v)} | ${percentile(v, 95)} | ${Math.max(...v)} |`;
    process.stdout.write([
      '| side | upgrades | median ms | p95 ms | max ms |', '| --- | --- | --- | --- | --- |',
      row('berth PATCH (health-gated, create before stop)', berth), row('docker stop + rm + run by hand', hand),
      '', `berth / by hand (median): ${(median(berth) / Math.max(1, median(hand))).toFixed(2)}`, '',
    ].join('\n'));
  } finally {
    await sweep();
  }
}

void main().catch(async (error: unknown) => {
  log(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  await sweep();
  process.exitCode = 1;
});
