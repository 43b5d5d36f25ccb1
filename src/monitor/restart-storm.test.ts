import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRuntimeDriver } from '../../test/helpers/fake-runtime-driver.js';
import { systemClock } from '../common/clock.js';
import { EngineLimiter } from '../common/engine-limiter.js';
import { createLogger } from '../common/logger.js';
import { loadConfig } from '../config/loader.js';
import { EventLog } from '../core/events/event-log.js';
import { createInstances, type Instances } from '../core/instances/create-instances.js';
import { SYSTEM_VIEWER } from '../core/instances/instance-types.js';
import { SecretBox } from '../core/secrets/secret-box.js';
import { LABELS } from '../runtime/labels.js';
import { limitEngineCalls } from '../runtime/limited-runtime.js';
import { openStore, type Store } from '../store/store.js';
import { Monitor } from './monitor.js';
import { MonitorMetrics } from './monitor-metrics.js';

const CAP = 3;
const COUNT = 12;

async function until<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('restart storm through the API and the monitor at once (fake engine)', () => {
  let dir: string;
  let store: Store;
  let fake: FakeRuntimeDriver;
  let instances: Instances;
  let monitor: Monitor;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'berth-storm-'));
    store = openStore({ url: '', dataDir: dir });
    await store.migrate();
  });
  afterEach(async () => {
    await monitor?.stop();
    await instances?.service.shutdown();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`never has more than runtime.engineConcurrency (${CAP}) engine-mutating calls in flight`, async () => {
    const { config } = loadConfig({
      env: {}, cwd: '/nonexistent-dir',
      flags: { 'runtime.engineConcurrency': CAP, 'monitor.restartConcurrency': 50, 'restart.baseDelaySeconds': 0, 'restart.jitter': 0, 'monitor.flushIntervalMs': 50, 'runtime.scope': 'storm' },
    });
    const logger = createLogger('silent');
    fake = new FakeRuntimeDriver();
    fake.mutationDelayMs = 5;
    const engine = new EngineLimiter(config.runtime.engineConcurrency ?? 1);
    const runtime = limitEngineCalls(fake, engine);
    const events = new EventLog(store.repos.events, systemClock, logger);
    instances = createInstances({
      config, store, runtime, gate: { require: () => undefined, report: () => undefined }, secrets: new SecretBox(randomBytes(32)),
      events, clock: systemClock, logger,
    });
    const repo = store.repos.monitor;
    monitor = new Monitor({
      config, repo, runtime, runtimeStatus: { state: 'up', report: () => undefined }, events, alerts: { notify: () => undefined },
      metrics: new MonitorMetrics(new Registry(), () => repo.countByStatus()), engine, restartPath: instances.restarts, clock: systemClock, logger,
    });

    const ids: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      const { instance } = await instances.service.create({ tenant: `storm-${i}`, health: { startPeriodSeconds: 600 } }, 'test', SYSTEM_VIEWER);
      ids.push(instance.id);
    }
    await until(() => instances.repo.listAll(), (rows) => rows.length === COUNT && rows.every((r) => r.status === 'starting'));
    await monitor.start();
    fake.mutationsPeak = 0;

    // Half the containers crash at once (the monitor restarts them from the event stream) while
    // an operator restarts the other half through the API.
    const running = [...fake.containers.values()].filter((c) => c.info.state === 'running' && c.info.labels[LABELS.scope] === 'storm');
    expect(running).toHaveLength(COUNT);
    const crashed = running.slice(0, COUNT / 2);
    const viaApi = running.slice(COUNT / 2).map((c) => c.info.labels[LABELS.instance]!);
    for (const c of crashed) fake.crash(c.info.id, 1);
    const api = await Promise.allSettled(viaApi.map((id) => instances.service.restart(id, 'operator', SYSTEM_VIEWER)));

    const back = await until(() => crashed.map((c) => fake.containers.get(c.info.id)?.info.state), (states) => states.every((s) => s === 'running'));
    expect(back.every((s) => s === 'running')).toBe(true);
    expect(api.filter((r) => r.status === 'fulfilled')).toHaveLength(COUNT / 2);
    expect(monitor.restartHighWater).toBeGreaterThan(0);
    expect(fake.mutationsPeak).toBeGreaterThan(1);
    expect(fake.mutationsPeak).toBeLessThanOrEqual(CAP);
    expect(engine.highWater).toBeLessThanOrEqual(CAP);
    console.log(`[storm] ${fake.calls.length} engine calls; most engine-mutating calls in flight: ${fake.mutationsPeak} (cap ${CAP}); monitor restarts at once: ${monitor.restartHighWater}`);
  }, 60_000);
});
