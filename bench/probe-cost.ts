/**
 * What it costs one berth (the leader) to probe every instance: N instances in the store, each
 * "running" in the fake runtime driver with its published port answered by a stub HTTP server
 * in a child process (its CPU is not counted), the real Monitor probing them on the configured
 * interval. Prints CPU (% of one core), probes per second and RSS of this process.
 *
 *   npm run build && node dist/bench/probe-cost.js --instances 1000 --interval 30 --seconds 60
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { systemClock } from '../src/common/clock.js';
import { EngineLimiter } from '../src/common/engine-limiter.js';
import { createLogger } from '../src/common/logger.js';
import { loadConfig } from '../src/config/loader.js';
import { Monitor } from '../src/monitor/monitor.js';
import { MonitorMetrics } from '../src/monitor/monitor-metrics.js';
import { LABELS } from '../src/runtime/labels.js';
import { RestartPath } from '../src/core/instances/restart-path.js';
import { unsafeDbForTests } from '../src/store/unsafe-db.js';
import { openStore } from '../src/store/store.js';
import { FakeRuntimeDriver } from '../test/helpers/fake-runtime-driver.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

/** Child mode: listen on `count` ports, answer 200 to every GET, report the ports, count requests. */
async function stubServers(count: number): Promise<void> {
  const http = await import('node:http');
  const ports: number[] = [];
  let requests = 0;
  for (let i = 0; i < count; i++) {
    const server = http.createServer((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ports.push((server.address() as { port: number }).port);
  }
  process.send?.({ ports });
  process.on('message', () => process.send?.({ requests }));
}

async function main(): Promise<void> {
  const instances = arg('instances', 1000);
  const intervalSeconds = arg('interval', 30);
  const seconds = arg('seconds', 60);
  const child = fork(fileURLToPath(import.meta.url), ['--child', String(instances)], { stdio: 'inherit' });
  const ports = await new Promise<number[]>((resolve) => child.once('message', (m) => resolve((m as { ports: number[] }).ports)));
  const requestsSoFar = (): Promise<number> => new Promise((resolve) => {
    child.once('message', (m) => resolve((m as { requests: number }).requests));
    child.send('count');
  });

  const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-probe-cost-'));
  const store = openStore({ url: process.env.BENCH_DATABASE_URL ?? '', dataDir });
  await store.migrate();
  const { config } = loadConfig({ env: {}, cwd: dataDir, flags: { 'health.intervalSeconds': intervalSeconds, 'health.startPeriodSeconds': 0 } });
  const runtime = new FakeRuntimeDriver();
  const at = new Date(Date.now() - 3_600_000).toISOString();
  const rows = ports.map((port, i) => ({
    id: `ins_bench${String(i).padStart(5, '0')}`, name: `bench-${i}`, tenant: `t${i % 50}`, plan: 'starter', image: 'berth/test-agent:local',
    command: null, env: '{}', secrets_sealed: null, secret_names: '[]', container_port: 8080, host_port: port, health: '{}', spec_hash: 'x',
    desired_state: 'running', status: 'running' as const, container_id: `c${i}`, network_name: null, workspace_volume: null,
    created_at: at, updated_at: at, started_at: at,
  }));
  for (let i = 0; i < rows.length; i += 200) await unsafeDbForTests(store).insertInto('instances').values(rows.slice(i, i + 200)).execute();
  for (const r of rows) {
    runtime.containers.set(r.container_id, {
      info: { id: r.container_id, name: `berth-bench-${r.name}`, state: 'running', labels: { [LABELS.instance]: r.id }, exitCode: null, oomKilled: false, startedAt: at, finishedAt: null, image: r.image } as never,
      spec: {} as never,
    });
  }
  const metrics = new MonitorMetrics(new Registry(), async () => []);
  const monitor = new Monitor({
    config, repo: store.repos.monitor, runtime,
    runtimeStatus: { state: 'up', report: () => undefined },
    events: { append: async () => undefined, record: () => undefined }, alerts: { notify: () => undefined },
    metrics, engine: new EngineLimiter(8), clock: systemClock, logger: createLogger('silent'),
    restartPath: new RestartPath({ clock: systemClock, events: { record: () => undefined } }),
  });
  await monitor.start();
  // One interval to spread the schedule (jittered start), then measure.
  await new Promise((r) => setTimeout(r, intervalSeconds * 1000));
  const cpu0 = process.cpuUsage();
  const req0 = await requestsSoFar();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = process.cpuUsage(cpu0);
  const probes = (await requestsSoFar()) - req0;
  const wall = (performance.now() - t0) / 1000;
  const result = {
    instances, intervalSeconds, store: store.dialect, seconds: Math.round(wall),
    cpuPercentOfOneCore: Math.round(((cpu.user + cpu.system) / 1e6 / wall) * 1000) / 10,
    probesPerSecond: Math.round((probes / wall) * 10) / 10, expectedPerSecond: Math.round((instances / intervalSeconds) * 10) / 10,
    rssMiB: Math.round(process.memoryUsage().rss / 1048576),
  };
  console.log(JSON.stringify(result));
  await monitor.stop();
  await store.close();
  child.kill();
  rmSync(dataDir, { recursive: true, force: true });
}

if (process.argv[2] === '--child') void stubServers(Number(process.argv[3]));
else await main();
