#!/usr/bin/env node
/**
 * `npm run bench:simulate [-- --counts 500,2000,5000 --window 30]`: the monitor and the
 * reconciler at fleet sizes past one machine's worth of containers. berth's real core
 * (instances service, provisioner, monitor with its HTTP prober, reconciler, SQLite store) runs
 * in this process on the in-memory runtime driver of the tests; each instance's health
 * endpoint is a real listening socket in a child process (bench/lib/health-farm.ts), so probes
 * are real HTTP on loopback. Measured: this process's CPU per second while only the monitor
 * works (10 s probe interval), CPU per probe, RSS, and one reconcile pass over every row.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { systemClock } from '../src/common/clock.js';
import { EngineLimiter } from '../src/common/engine-limiter.js';
import { createLogger } from '../src/common/logger.js';
import { loadConfig } from '../src/config/loader.js';
import { EventLog } from '../src/core/events/event-log.js';
import { createInstances } from '../src/core/instances/create-instances.js';
import { SYSTEM_VIEWER } from '../src/core/instances/instance-types.js';
import { SecretBox } from '../src/core/secrets/secret-box.js';
import { Monitor } from '../src/monitor/monitor.js';
import { MonitorMetrics } from '../src/monitor/monitor-metrics.js';
import { Reconciler } from '../src/reconciler/reconciler.js';
import { openStore } from '../src/store/store.js';
import { FakeRuntimeDriver } from '../test/helpers/fake-runtime-driver.js';
import { appendHistory, loadAvg } from './lib/history.js';
import { mapLimit } from './lib/map-limit.js';
import { markdownTable } from './lib/table.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const log = (line: string) => process.stderr.write(`${line}\n`);
const argv = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Row {
  instances: number;
  createMs: number;
  toAllRunningMs: number;
  probesPerSecond: number;
  cpuPctOfCore: number;
  cpuUsPerProbe: number;
  /** Of which in the kernel (loopback TCP is charged to whoever runs when it is processed: noisy under load). */
  sysUsPerProbe: number;
  rssMiB: number;
  heapMiB: number;
  reconcilePassMs: number;
}

async function probesCounted(metrics: MonitorMetrics): Promise<number> {
  const h = await metrics.probeDuration.get();
  return h.values.filter((v) => v.metricName?.endsWith('_count')).reduce((sum, v) => sum + v.value, 0);
}

async function simulate(n: number, windowSeconds: number): Promise<Row> {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-sim-'));
  const quiet = new Writable({ write(_c, _e, cb) { cb(); } });
  const logger = createLogger('warn', quiet);
  const { config } = loadConfig({
    env: {},
    flags: { dataDir: dir, 'ports.start': 20000, 'ports.end': 29999, 'health.intervalSeconds': 10, 'runtime.scope': `sim${n}`, 'log.level': 'warn', ...(process.env.SIM_FLUSH ? { 'monitor.flushIntervalMs': Number(process.env.SIM_FLUSH) } : {}) },
  });
  const store = openStore({ url: '', dataDir: dir });
  await store.migrate();
  const clock = systemClock;
  const runtime = new FakeRuntimeDriver();
  const gate = { state: 'up', require: () => undefined, report: () => undefined, onUp: () => undefined };
  const events = new EventLog(store.repos.events, clock, logger);
  const instances = createInstances({ config, store, runtime, gate, secrets: new SecretBox(Buffer.alloc(32, 7)), events, clock, logger });
  const metrics = new MonitorMetrics(new Registry(), async () => []);
  const monitorRepo = store.repos.monitor;
  const monitor = new Monitor({
    config, repo: monitorRepo, runtime, runtimeStatus: gate, events, alerts: { notify: () => undefined }, metrics,
    engine: new EngineLimiter(4), restartPath: instances.restarts, clock, logger,
  });
  const reconciler = new Reconciler({
    repo: instances.repo, networksRepo: instances.networksRepo, workspaces: instances.workspaces, provisioner: instances.provisioner,
    networks: instances.networks, watcher: instances.watcher, runtime, status: gate, lock: instances.locks, events, clock, logger,
    scope: config.runtime.scope, bindAddress: config.runtime.bindAddress, intervalMs: 3_600_000, exitHandler: monitor.exitHandler,
    concurrency: config.monitor.restartConcurrency,
  });
  let farm: ReturnType<typeof spawn> | undefined;
  try {
    log(`  ${n}: creating instances`);
    const t0 = performance.now();
    await mapLimit(Array.from({ length: n }, (_, i) => i), 16, async (i) => {
      await instances.service.create({ tenant: `t${i}`, name: `sim-${i}`, plan: 'starter', image: 'berth/test-agent:local' } as never, 'bench', SYSTEM_VIEWER);
    });
    for (;;) {
      const rows = await instances.repo.listAll();
      if (rows.filter((r) => r.containerId && r.hostPort && r.status === 'starting').length === n) break;
      if (performance.now() - t0 > 600_000) throw new Error('instances not created within 10 minutes');
      await sleep(200);
    }
    const createMs = performance.now() - t0;
    const ports = (await instances.repo.listAll()).map((r) => r.hostPort!);
    log(`  ${n}: created in ${Math.round(createMs)} ms; starting the health farm`);
    farm = spawn(process.execPath, [path.join(ROOT, 'dist/bench/lib/health-farm.js')], { stdio: ['pipe', 'pipe', 'inherit'] });
    const ready = new Promise<number[]>((resolve, reject) => {
      farm!.stdout!.on('data', (d: Buffer) => {
        const m = /ready (\[.*\])/.exec(d.toString());
        if (m) resolve(JSON.parse(m[1]!) as number[]);
      });
      farm!.once('exit', (code) => reject(new Error(`health farm exited (${code})`)));
    });
    farm.stdin!.end(JSON.stringify(ports));
    const busy = (await ready).length;
    if (busy) log(`  ${n}: ${busy} ports were taken by other processes: those instances stay unhealthy`);

    instances.watcher.attach(monitor);
    const t1 = performance.now();
    await monitor.start();
    for (;;) {
      const counts = await monitorRepo.countByStatus();
      if ((counts.find((c) => c.status === 'running')?.count ?? 0) >= n - busy) break;
      if (performance.now() - t1 > 180_000) throw new Error(`not all running after 180 s: ${JSON.stringify(counts)}`);
      await sleep(500);
    }
    const toAllRunningMs = performance.now() - t1;
    log(`  ${n}: all running after ${Math.round(toAllRunningMs)} ms; measuring ${windowSeconds} s`);
    await sleep(2000);
    // --profile <dir>: a CPU profile of the measured window only (not of the setup).
    const profileDir = argv.includes('--profile') ? opt('--profile', '.') : undefined;
    const session = profileDir ? new Session() : undefined;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const p0 = await probesCounted(metrics);
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    await sleep(windowSeconds * 1000);
    const cpu = process.cpuUsage(c0);
    const wall = performance.now() - w0;
    if (session && profileDir) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(path.join(profileDir, `simulate-${n}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    }
    const probes = (await probesCounted(metrics)) - p0;
    const cpuUs = cpu.user + cpu.system;
    const mem = process.memoryUsage();

    const passes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r0 = performance.now();
      await reconciler.reconcileNow();
      passes.push(performance.now() - r0);
    }
    passes.sort((a, b) => a - b);
    return {
      instances: n, createMs: Math.round(createMs), toAllRunningMs: Math.round(toAllRunningMs),
      probesPerSecond: Math.round((probes / wall) * 10000) / 10,
      cpuPctOfCore: Math.round((cpuUs / 1000 / wall) * 1000) / 10,
      cpuUsPerProbe: probes ? Math.round(cpuUs / probes) : 0,
      sysUsPerProbe: probes ? Math.round(cpu.system / probes) : 0,
      rssMiB: Math.round(mem.rss / 1048576), heapMiB: Math.round(mem.heapUsed / 1048576),
      reconcilePassMs: Math.round(passes[1]!),
    };
  } finally {
    await monitor.stop().catch(() => undefined);
    await instances.service.shutdown().catch(() => undefined);
    farm?.kill();
    await store.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const counts = opt('--counts', '500,2000,5000').split(',').map(Number);
  const windowSeconds = Number(opt('--window', '30'));
  const startedAt = new Date().toISOString();
  const rows: Row[] = [];
  for (const n of counts) {
    const row = await simulate(n, windowSeconds);
    rows.push(row);
    log(`  ${JSON.stringify(row)}`);
  }
  const out = markdownTable(
    ['instances', 'create (in-memory engine)', 'monitor start → all running', 'probes/s', 'CPU, % of a core', 'CPU per probe (kernel)', 'RSS', 'heap', 'reconcile pass'],
    rows.map((r) => [String(r.instances), `${r.createMs} ms`, `${r.toAllRunningMs} ms`, String(r.probesPerSecond), `${r.cpuPctOfCore} %`, `${r.cpuUsPerProbe} µs (${r.sysUsPerProbe})`, `${r.rssMiB} MiB`, `${r.heapMiB} MiB`, `${r.reconcilePassMs} ms`]),
  );
  process.stdout.write(`## bench:simulate — monitor and reconciler on the in-memory runtime (load average ${loadAvg()} at the end)\n\n${out}\n`);
  if (!argv.includes('--no-history')) {
    const metrics: Record<string, number> = {};
    for (const r of rows) for (const [k, v] of Object.entries(r)) if (k !== 'instances') metrics[`simulate.${r.instances}.${k}`] = v;
    appendHistory(path.join(ROOT, 'bench/history.jsonl'), { runId: `sim-${Date.now().toString(36)}`, mode: 'simulate', startedAt, loadAvg: loadAvg(), metrics });
  }
}

main().then(() => process.exit(0), (error: unknown) => {
  log(`simulate failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
