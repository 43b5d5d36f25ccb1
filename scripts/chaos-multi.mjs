#!/usr/bin/env node
/* global process, console, fetch, AbortSignal, URL, setTimeout */
/* eslint-disable no-restricted-properties -- a standalone script: its settings come from the environment */
// Chaos for several berths on one store: three `berth serve` processes (the built dist/) on a
// fresh Postgres database and the real engine. For --seconds it SIGKILLs a random berth every
// few seconds (and starts it again), while creates, deletes and container crashes (docker kill)
// go on through whichever berths answer. Then it lets the fleet settle and checks:
//   - labelled containers equal rows (one container per instance, none without a row),
//   - host ports are distinct,
//   - no instance ended in `failed` or `crashloop` (every agent here is healthy, and the restart
//     policy's limits are set out of reach: the same instance may be picked for many crashes, and
//     those limits are tested on their own elsewhere),
//   - restarts counted equal crashes caused, per surviving instance.
// Exits 1 when a check fails. Bounded: chaos time + at most 150 s to settle.
// Usage: node scripts/chaos-multi.mjs [--seconds 75] [--seed 42]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import pg from 'pg';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const chaosSeconds = arg('seconds', 75);
let seed = arg('seed', Date.now() % 100000);
const random = () => {
  // mulberry32: a seeded run can be repeated.
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (items) => items[Math.floor(random() * items.length)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...parts) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}]`, ...parts);

const adminUrl = process.env.BERTH_TEST_PG_URL ?? 'postgres://berth:berth@127.0.0.1:5432/postgres';
const dockerHost = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
const docker = new Docker({ socketPath: dockerHost.replace(/^unix:\/\//, '') });
const bin = path.join(root, 'dist/src/bundle/berth.js');
const scope = `chaos-${randomBytes(3).toString('hex')}`;
const dbName = `berth_chaos_${randomBytes(4).toString('hex')}`;
const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-chaos-'));
const configPath = path.join(dataDir, 'berth.yml');
writeFileSync(configPath, `
restart: { baseDelaySeconds: 1, maxDelaySeconds: 4, jitter: 0, crashloopRestarts: 1000, failAfterRestarts: 1000 }
monitor: { flushIntervalMs: 250, reconcileIntervalSeconds: 5 }
runtime: { stopTimeoutSeconds: 2 }
rateLimit: { enabled: false }
server: { shutdownGraceSeconds: 5 }
cluster: { leaseSeconds: 5, pollSeconds: 1, lockWaitSeconds: 5 }
`);
const dbUrl = (() => {
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
})();

const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

/** name → { child, url, out } */
const berths = new Map();
let token = '';

async function startBerth(name) {
  const port = await freePort();
  const child = spawn(process.execPath, [bin, 'serve'], {
    env: {
      PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', BERTH_DATA_DIR: dataDir, BERTH_PORT: String(port), DOCKER_HOST: dockerHost,
      DATABASE_URL: dbUrl, BERTH_SCOPE: scope, BERTH_PROCESS_ID: name, BERTH_CONFIG: configPath, BERTH_LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const b = { name, child, url: `http://127.0.0.1:${port}`, out: '', ready: false };
  child.stdout.on('data', (d) => { b.out = (b.out + d).slice(-200_000); });
  child.stderr.on('data', (d) => { b.out = (b.out + d).slice(-200_000); });
  berths.set(name, b);
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}):\n${b.out.slice(-3000)}`);
    const ok = await fetch(`${b.url}/ready`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status === 200, () => false);
    if (ok) {
      b.ready = true;
      token = readFileSync(path.join(dataDir, 'admin.token'), 'utf8').trim();
      return b;
    }
    await sleep(200);
  }
  throw new Error(`${name} not ready within 60 s:\n${b.out.slice(-3000)}`);
}

const alive = () => [...berths.values()].filter((b) => b.child.exitCode === null && b.child.signalCode === null);
/** Up and serving (a berth still booting is not killed again; that would test nothing new). */
const ready = () => alive().filter((b) => b.ready);

/** One API call on a random live berth; tries the others when one does not answer. */
async function api(method, p, body) {
  for (const b of [...alive()].sort(() => random() - 0.5)) {
    try {
      const res = await fetch(`${b.url}${p}`, {
        method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}), signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null, via: b.name };
    } catch {
      // killed mid-request, or not listening yet: the next berth
    }
  }
  return { status: 0, body: null, via: null };
}

const stats = { berthKills: 0, creates: 0, deletes: 0, crashes: 0, apiErrors: 0 };
/** instance id → crashes this script caused */
const crashes = new Map();
let serial = 0;

async function listInstances() {
  const res = await api('GET', '/v1/instances?limit=500');
  return res.status === 200 ? res.body.items : undefined;
}

async function operate() {
  const items = await listInstances();
  if (!items) return;
  const roll = random();
  if ((roll < 0.35 && items.length < 8) || items.length < 3) {
    const name = `chaos-${serial++}`;
    const res = await api('POST', '/v1/instances', { tenant: `t${serial % 3}`, name, health: { intervalSeconds: 2, timeoutSeconds: 2, startPeriodSeconds: 5 } });
    if (res.status === 202 || res.status === 200) stats.creates++;
    else stats.apiErrors++;
  } else if (roll < 0.5 && items.length > 3) {
    const victim = pick(items);
    const res = await api('DELETE', `/v1/instances/${victim.id}`);
    if (res.status === 200 || res.status === 202) {
      stats.deletes++;
      crashes.delete(victim.id);
    } else stats.apiErrors++;
  } else {
    // A crash berth did not cause: only of a healthy instance whose container runs now.
    const healthy = items.filter((i) => i.status === 'running' && i.containerId);
    if (!healthy.length) return;
    const victim = pick(healthy);
    const info = await docker.getContainer(victim.containerId).inspect().catch(() => undefined);
    if (info?.State?.Running !== true) return;
    try {
      await docker.getContainer(victim.containerId).kill();
      crashes.set(victim.id, (crashes.get(victim.id) ?? 0) + 1);
      stats.crashes++;
    } catch {
      // it stopped meanwhile: not a crash we caused
    }
  }
}

async function cleanup() {
  for (const b of alive()) b.child.kill('SIGTERM');
  await sleep(500);
  const deadline = Date.now() + 15_000;
  while (alive().length && Date.now() < deadline) await sleep(200);
  for (const b of alive()) b.child.kill('SIGKILL');
  const filters = { label: [`berth.scope=${scope}`] };
  for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  for (const v of (await docker.listVolumes({ filters })).Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
  for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove().catch(() => undefined);
  const { EgressFirewall } = await import(path.join(root, 'dist/src/runtime/docker/egress-rules.js'));
  await new EgressFirewall().remove(scope).catch(() => undefined);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
  await admin.end();
  rmSync(dataDir, { recursive: true, force: true });
}

async function main() {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  log(`scope ${scope}, ${chaosSeconds} s of chaos, seed ${seed}`);
  await startBerth('berth-a');
  await Promise.all([startBerth('berth-b'), startBerth('berth-c')]);

  const end = Date.now() + chaosSeconds * 1000;
  let nextKill = Date.now() + 5000 + random() * 4000;
  const restarting = new Set();
  while (Date.now() < end) {
    if (Date.now() >= nextKill && ready().length === 3) {
      const victim = pick(ready());
      victim.child.kill('SIGKILL');
      stats.berthKills++;
      log(`SIGKILL ${victim.name}`);
      restarting.add(victim.name);
      // Back after a few seconds (a crashed process restarted by its supervisor).
      void sleep(2000 + random() * 3000).then(() => startBerth(victim.name)).then(() => restarting.delete(victim.name), (e) => log(`restart of ${victim.name} failed: ${e.message}`));
      nextKill = Date.now() + 6000 + random() * 6000;
    }
    await operate().catch((e) => { stats.apiErrors++; log(`operation failed: ${e.message}`); });
    await sleep(700 + random() * 600);
  }
  while (restarting.size) await sleep(200);
  log('chaos over; letting the fleet settle', JSON.stringify(stats));

  // Settle: every instance running (a create or delete cut short by a kill is finished by the leader).
  let items;
  const settleBy = Date.now() + 150_000;
  for (;;) {
    items = (await listInstances()) ?? [];
    const unsettled = items.filter((i) => i.status !== 'running' && i.status !== 'failed' && i.status !== 'crashloop');
    const containers = await docker.listContainers({ all: true, filters: { label: [`berth.scope=${scope}`] } });
    if (!unsettled.length && containers.length === items.length) break;
    if (Date.now() > settleBy) break;
    await sleep(1000);
  }
  // Restart counters settle a moment after the status: one more look after the probes.
  await sleep(4000);
  items = (await listInstances()) ?? [];

  const failures = [];
  const containers = await docker.listContainers({ all: true, filters: { label: [`berth.scope=${scope}`] } });
  const rowIds = new Set(items.map((i) => i.id));
  const containerIds = containers.map((c) => c.Labels['berth.instance']);
  if (containers.length !== items.length || new Set(containerIds).size !== containerIds.length || !containerIds.every((id) => rowIds.has(id))) {
    failures.push(`containers (${containers.length}: ${containerIds.join(',')}) do not equal rows (${items.length}: ${[...rowIds].join(',')})`);
  }
  const ports = items.map((i) => i.hostPort);
  if (new Set(ports).size !== ports.length) failures.push(`duplicate host ports: ${ports.join(',')}`);
  for (const i of items) {
    if (i.status !== 'running') failures.push(`${i.name} is ${i.status} (${i.lastError ?? ''})`);
    const caused = crashes.get(i.id) ?? 0;
    if (i.restarts !== caused) failures.push(`${i.name}: ${i.restarts} restarts counted, ${caused} crashes caused`);
  }
  const takeovers = await api('GET', '/v1/events?type=leader-takeover&limit=200');
  const summary = {
    ...stats, seconds: chaosSeconds, instances: items.length, crashesOnSurvivors: items.reduce((n, i) => n + (crashes.get(i.id) ?? 0), 0),
    restartsOnSurvivors: items.reduce((n, i) => n + i.restarts, 0), takeovers: takeovers.body?.items?.length ?? null, failures,
  };
  log(JSON.stringify(summary, null, 2));
  if (failures.length) {
    for (const b of berths.values()) log(`--- ${b.name} (last lines)\n${b.out.split('\n').slice(-40).join('\n')}`);
  }
  return failures.length ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  log(`chaos run failed: ${error.stack ?? error}`);
} finally {
  await cleanup().catch((e) => log(`cleanup failed: ${e.message}`));
}
log(code === 0 ? 'chaos: all checks passed' : 'chaos: FAILED');
process.exit(code);
