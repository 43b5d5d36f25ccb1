#!/usr/bin/env node
/**
 * `npm run bench:services`: listing the s6 services of 20 supervised instances through
 * berth's API, side by side with the baseline of one `docker exec … s6-svstat` (an Engine API
 * exec, what `docker exec` does) and with exec'ing s6-svstat for every service of the 20.
 * Needs berth/s6-agent:local (images/build-s6-agent.sh). Never part of `npm test`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import { startDaemon } from '../src/main.js';
import { engineClient } from './lib/engine.js';

const IMAGE = 'berth/s6-agent:local';
const COUNT = Number(process.env.BENCH_SERVICES_INSTANCES ?? 20);
const ROUNDS = Number(process.env.BENCH_SERVICES_ROUNDS ?? 15);
const log = (line: string): void => void process.stderr.write(`${line}\n`);

function stats(samples: number[]): { median: number; p90: number; min: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { median: at(0.5), p90: at(0.9), min: s[0]! };
}

async function timed(rounds: number, fn: () => Promise<unknown>): Promise<number[]> {
  await fn(); // warm-up: connections, detection cache
  const out: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

async function execSvstat(docker: Docker, id: string, service: string): Promise<void> {
  const exec = await docker.getContainer(id).exec({ Cmd: ['s6-svstat', `/run/service/${service}`], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  await new Promise<void>((resolve) => { stream.on('end', resolve); stream.on('close', resolve); stream.resume(); });
  const info = await exec.inspect();
  if (info.ExitCode !== 0) throw new Error(`s6-svstat exited ${info.ExitCode}`);
}

async function main(): Promise<void> {
  const docker = engineClient();
  await docker.getImage(IMAGE).inspect().catch(() => {
    throw new Error(`image ${IMAGE} is missing: build it with \`bash images/build-s6-agent.sh\``);
  });
  const scope = `bench-svc-${Math.random().toString(36).slice(2, 8)}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-bench-svc-'));
  const daemon = await startDaemon({
    env: { DOCKER_HOST: process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock' },
    flags: { dataDir, 'server.port': 0, 'runtime.scope': scope, 'ports.start': 46000, 'ports.end': 46999, 'log.level': 'warn' },
    logDestination: new Writable({ write: (_c, _e, cb) => cb() }),
  });
  const token = readFileSync(path.join(dataDir, 'admin.token'), 'utf8').trim();
  const api = async (method: string, p: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${daemon.url}${p}`, {
      method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  try {
    log(`creating ${COUNT} s6 instances (scope ${scope})…`);
    const names = Array.from({ length: COUNT }, (_, i) => `svc${i}`);
    for (const name of names) await api('POST', '/v1/instances', { tenant: 'bench', name, image: IMAGE });
    const deadline = Date.now() + 300_000;
    let rows: Array<Record<string, unknown>> = [];
    for (;;) {
      rows = (await api('GET', '/v1/instances?tenant=bench&limit=500')).items as Array<Record<string, unknown>>;
      if (rows.filter((r) => r.status === 'running').length === COUNT) break;
      if (Date.now() > deadline) throw new Error(`instances not running: ${rows.map((r) => `${String(r.name)}=${String(r.status)}`).join(' ')}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const ids = names.map((n) => String(rows.find((r) => r.name === n)?.containerId));

    const listAll = await timed(ROUNDS, () => Promise.all(names.map((n) => api('GET', `/v1/instances/${n}/services`))));
    const containers = await timed(ROUNDS, () => api('GET', '/v1/containers'));
    const listOne = await timed(ROUNDS, () => api('GET', `/v1/instances/${names[0]}/services`));
    const execOne = await timed(ROUNDS, () => execSvstat(docker, ids[0]!, 'worker'));
    const execAll = await timed(2, () => Promise.all(ids.flatMap((id) => ['web', 'worker', 'ticker'].map((s) => execSvstat(docker, id, s)))));

    const table: Array<[string, number[]]> = [
      [`berth: GET …/services of ${COUNT} instances (parallel, ${COUNT * 3} services)`, listAll],
      [`berth: GET /v1/containers (${COUNT} containers with counts)`, containers],
      ['berth: GET …/services of 1 instance (3 services)', listOne],
      ['baseline: one Engine API exec of s6-svstat (1 service)', execOne],
      [`baseline: exec s6-svstat for all ${COUNT * 3} services (parallel)`, execAll],
    ];
    const baseline = stats(execOne).median;
    process.stdout.write('| measurement | median ms | p90 ms | min ms | median ÷ one exec |\n|---|---:|---:|---:|---:|\n');
    for (const [label, samples] of table) {
      const s = stats(samples);
      process.stdout.write(`| ${label} | ${s.median.toFixed(1)} | ${s.p90.toFixed(1)} | ${s.min.toFixed(1)} | ${(s.median / baseline).toFixed(2)} |\n`);
    }
  } finally {
    await daemon.stop('bench done');
    const left = await docker.listContainers({ all: true, filters: { label: [`berth.scope=${scope}`] } });
    await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
    const volumes = (await docker.listVolumes({ filters: { label: [`berth.scope=${scope}`] } })).Volumes ?? [];
    await Promise.all(volumes.map((v) => docker.getVolume(v.Name).remove().catch(() => undefined)));
    const networks = await docker.listNetworks({ filters: { label: [`berth.scope=${scope}`] } });
    await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  log(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
