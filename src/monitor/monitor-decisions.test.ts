import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRuntimeDriver } from '../../test/helpers/fake-runtime-driver.js';
import { waitFor } from '../../test/helpers/wait.js';
import { ManualClock } from '../common/clock.js';
import { EngineLimiter } from '../common/engine-limiter.js';
import { createLogger } from '../common/logger.js';
import { loadConfig } from '../config/loader.js';
import { EventLog } from '../core/events/event-log.js';
import { createInstances, type Instances } from '../core/instances/create-instances.js';
import { SYSTEM_VIEWER } from '../core/instances/instance-types.js';
import { SecretBox } from '../core/secrets/secret-box.js';
import { openStore, type Store } from '../store/store.js';
import { Monitor } from './monitor.js';
import { MonitorMetrics } from './monitor-metrics.js';

describe('monitor decisions on exits (fake engine, manual clock)', { timeout: 60_000 }, () => {
  let dir: string;
  let store: Store;
  let clock: ManualClock;
  let fake: FakeRuntimeDriver;
  let instances: Instances;
  let monitor: Monitor;
  let events: EventLog;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'berth-monitor-decisions-'));
    clock = new ManualClock(Date.now());
    store = openStore({ url: '', dataDir: dir, repositories: { clock } });
    await store.migrate();
    const { config } = loadConfig({
      env: {}, cwd: '/nonexistent-dir',
      flags: {
        'runtime.scope': 'decide', 'monitor.flushIntervalMs': 20,
        'restart.baseDelaySeconds': 10, 'restart.maxDelaySeconds': 60, 'restart.jitter': 0, 'restart.windowSeconds': 600,
        'restart.crashloopRestarts': 2, 'restart.failAfterRestarts': 10, 'restart.resetAfterSeconds': 300,
      },
    });
    const logger = createLogger('silent');
    fake = new FakeRuntimeDriver(() => clock.now());
    events = new EventLog(store.repos.events, clock, logger);
    const metrics = new MonitorMetrics(new Registry(), () => store.repos.monitor.countByStatus());
    instances = createInstances({
      config, store, runtime: fake, gate: { require: () => undefined, report: () => undefined }, secrets: new SecretBox(randomBytes(32)),
      events, clock, logger,
    });
    monitor = new Monitor({
      config, repo: store.repos.monitor, runtime: fake, runtimeStatus: { state: 'up', report: () => undefined }, events, alerts: { notify: () => undefined },
      metrics, engine: new EngineLimiter(4), restartPath: instances.restarts, clock, logger,
    });
  });
  afterEach(async () => {
    await monitor?.stop();
    await instances?.service.shutdown();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Instances whose start period outlasts the test: only exits decide here. */
  async function started(...tenants: string[]): Promise<Array<{ id: string; containerId: string }>> {
    const ids: string[] = [];
    for (const tenant of tenants) ids.push((await instances.service.create({ tenant, health: { startPeriodSeconds: 600 } }, 'test', SYSTEM_VIEWER)).instance.id);
    await instances.service.shutdown();
    return Promise.all(ids.map(async (id) => ({ id, containerId: (await instances.repo.get(id))!.containerId! })));
  }
  const count = async (id: string, type: string): Promise<number> => (await events.list({ instanceId: id, type, limit: 100 })).length;
  const state = (containerId: string): string | undefined => fake.containers.get(containerId)?.info.state;

  it('restarts a crash at once, then after the backoff, then as a crash loop at the cap', async () => {
    const [a] = await started('acme') as [{ id: string; containerId: string }];
    await monitor.start();

    fake.crash(a.containerId, 1);
    await waitFor('first restart scheduled', () => count(a.id, 'restarting'), (n) => n === 1);
    expect(await instances.repo.get(a.id)).toMatchObject({ status: 'restarting', backoffMs: 0 });
    clock.advance(0); // the first restart of a streak is due at once
    await waitFor('first restart (immediate)', () => count(a.id, 'restarted'), (n) => n === 1);
    expect(state(a.containerId)).toBe('running');

    clock.advance(1_000); // a crash a second after the restart (one in the same instant would be the restart's own)
    fake.crash(a.containerId, 1);
    await waitFor('second restart scheduled', () => count(a.id, 'restarting'), (n) => n === 2);
    expect(await instances.repo.get(a.id)).toMatchObject({ status: 'restarting', backoffMs: 10_000 });
    clock.advance(9_999);
    expect(state(a.containerId)).toBe('exited');
    clock.advance(1);
    await waitFor('second restart after 10 s', () => count(a.id, 'restarted'), (n) => n === 2);
    expect(state(a.containerId)).toBe('running');

    // Third restart inside the window: more than crashloopRestarts (2) → crash loop, at the 60 s cap.
    clock.advance(1_000);
    fake.crash(a.containerId, 1);
    await waitFor('crash loop declared', () => count(a.id, 'crashloop'), (n) => n === 1);
    expect(await instances.repo.get(a.id)).toMatchObject({ status: 'crashloop', backoffMs: 60_000 });
    clock.advance(59_999);
    expect(state(a.containerId)).toBe('exited');
    clock.advance(1);
    await waitFor('crash-loop restart after the cap', () => count(a.id, 'restarted'), (n) => n === 3);
    expect((await instances.repo.get(a.id))?.restarts).toBe(3);
  });

  it('never restarts an instance someone stopped, even when its container is started and dies behind berth\'s back', async () => {
    const [stopped, control] = await started('acme', 'beta') as [{ id: string; containerId: string }, { id: string; containerId: string }];
    await instances.service.stop(stopped.id, 'test', SYSTEM_VIEWER);
    await monitor.start();
    await fake.startContainer(stopped.containerId);
    fake.crash(stopped.containerId, 9);
    // The control's exit comes after on the same stream and its decision after in the same queue.
    fake.crash(control.containerId, 1);
    await waitFor('the control\'s restart scheduled', () => count(control.id, 'restarting'), (n) => n === 1);
    clock.advance(0);
    await waitFor('the control restarted', () => count(control.id, 'restarted'), (n) => n === 1);
    expect(await count(stopped.id, 'restarting')).toBe(0);
    expect(await count(stopped.id, 'exited')).toBe(0);
    expect(state(stopped.containerId)).toBe('exited');
    expect((await instances.repo.get(stopped.id))?.status).toBe('stopped');
  });
});
