import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRuntimeDriver } from '../../test/helpers/fake-runtime-driver.js';
import { waitFor } from '../../test/helpers/wait.js';
import { systemClock } from '../common/clock.js';
import { EngineLimiter } from '../common/engine-limiter.js';
import { createLogger } from '../common/logger.js';
import { loadConfig } from '../config/loader.js';
import { EventLog } from '../core/events/event-log.js';
import { createInstances, type Instances } from '../core/instances/create-instances.js';
import { SYSTEM_VIEWER } from '../core/instances/instance-types.js';
import { SecretBox } from '../core/secrets/secret-box.js';
import type { RuntimeDriver } from '../runtime/runtime-driver.js';
import { openStore, type Store } from '../store/store.js';
import { Monitor } from './monitor.js';
import { MonitorMetrics } from './monitor-metrics.js';

describe('one restart path: API and monitor restarts (fake engine)', () => {
  let dir: string;
  let store: Store;
  let fake: FakeRuntimeDriver;
  let instances: Instances;
  let monitor: Monitor;
  let metrics: Registry;
  let events: EventLog;
  /** The monitor's engine look-ups at a container, and the runtime events it has finished handling. */
  let inspected: string[];
  let handled: Array<{ type: string; containerId: string }>;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'berth-restart-path-'));
    store = openStore({ url: '', dataDir: dir });
    await store.migrate();
    const { config } = loadConfig({
      env: {}, cwd: '/nonexistent-dir',
      flags: { 'restart.baseDelaySeconds': 0, 'restart.jitter': 0, 'monitor.flushIntervalMs': 20, 'runtime.scope': 'rpath' },
    });
    const logger = createLogger('silent');
    fake = new FakeRuntimeDriver();
    metrics = new Registry();
    const monitorMetrics = new MonitorMetrics(metrics, () => store.repos.monitor.countByStatus());
    events = new EventLog(store.repos.events, systemClock, logger);
    instances = createInstances({
      config, store, runtime: fake, gate: { require: () => undefined, report: () => undefined }, secrets: new SecretBox(randomBytes(32)),
      events, clock: systemClock, logger, countRestart: (cause) => monitorMetrics.restarts.inc({ reason: cause }),
    });
    inspected = [];
    handled = [];
    // The monitor sees the fake engine through this: it says what the monitor looked at, and
    // which events it has handled (a handler runs up to its first await before the next is pulled).
    const observed = new Proxy(fake, {
      get(target, key, receiver) {
        if (key === 'inspectContainer') {
          return (id: string) => {
            inspected.push(id);
            return target.inspectContainer(id);
          };
        }
        if (key === 'events') {
          return async function* (labels: Record<string, string>, signal: AbortSignal) {
            for await (const event of target.events(labels, signal)) {
              yield event;
              handled.push({ type: event.type, containerId: event.containerId });
            }
          };
        }
        const value: unknown = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as RuntimeDriver;
    monitor = new Monitor({
      config, repo: store.repos.monitor, runtime: observed, runtimeStatus: { state: 'up', report: () => undefined }, events, alerts: { notify: () => undefined },
      metrics: monitorMetrics, engine: new EngineLimiter(4), restartPath: instances.restarts, clock: systemClock, logger,
    });
  });
  afterEach(async () => {
    await monitor?.stop();
    await instances?.service.shutdown();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const restartsBy = async (reason: string): Promise<number> =>
    (await metrics.getSingleMetric('berth_restarts_total')!.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
  const typesOf = async (id: string): Promise<string[]> => (await events.list({ instanceId: id, limit: 100 })).map((e) => e.type).reverse();

  it('an API restart is berth\'s own stop: one `restarted` event and count, never an exit or a crash restart', async () => {
    const { instance } = await instances.service.create({ tenant: 'acme', health: { startPeriodSeconds: 600 } }, 'test', SYSTEM_VIEWER);
    await waitFor('starting', () => instances.repo.get(instance.id), (r) => r?.status === 'starting');
    await monitor.start();
    const containerId = (await instances.repo.get(instance.id))!.containerId!;

    await instances.service.restart(instance.id, 'operator', SYSTEM_VIEWER);
    await waitFor('the restart recorded', () => typesOf(instance.id), (t) => t.includes('restarted'));
    // Once the monitor has handled the stop's `die`: it knew the exit for berth's own and never
    // even looked whether it was a crash (that look is how a crash restart begins).
    await waitFor('the die handled', () => handled, (h) => h.some((e) => e.type === 'die' && e.containerId === containerId));
    expect(inspected.filter((id) => id === containerId)).toEqual([]);
    // The stop's `die` reached the monitor inside the restart's span; give it a crash to compare with.
    expect(instances.restarts.causedByUs(containerId, Date.now())).toBe(false);
    fake.crash(containerId, 3);
    await waitFor('the crash restarted', () => typesOf(instance.id), (t) => t.filter((x) => x === 'restarted').length === 2);

    const types = await typesOf(instance.id);
    // Exactly one exit seen (the crash), none for the API's own stop.
    expect(types.filter((t) => t === 'exited')).toHaveLength(1);
    expect(types.indexOf('exited')).toBeGreaterThan(types.indexOf('restarted'));
    const restarted = (await events.list({ instanceId: instance.id, type: 'restarted', limit: 10 })).reverse();
    expect(restarted.map((e) => [e.actor, e.data?.cause])).toEqual([['operator', 'requested'], ['berth', 'exit']]);
    expect(await restartsBy('requested')).toBe(1);
    expect(await restartsBy('exit')).toBe(1);
    // Only the crash counts against the instance's restart policy.
    expect((await instances.repo.get(instance.id))?.restarts).toBe(1);
  });

  it('a container that ended before its restart was committed (no exit reaches the monitor afterwards) is restarted again', async () => {
    const { instance } = await instances.service.create({ tenant: 'acme', health: { startPeriodSeconds: 600 } }, 'test', SYSTEM_VIEWER);
    await waitFor('starting', () => instances.repo.get(instance.id), (r) => r?.status === 'starting');
    await monitor.start();
    const containerId = (await instances.repo.get(instance.id))!.containerId!;
    // The next start succeeds, but the process is gone at once and no `die` tells of it: a Swarm
    // task that lived 200 ms between two polls, or an exit that arrived while the restart was pending.
    const start = fake.startContainer.bind(fake);
    let silentDeaths = 1;
    fake.startContainer = async (id: string): Promise<void> => {
      await start(id);
      const c = fake.containers.get(id);
      if (id !== containerId || !c || silentDeaths-- <= 0) return;
      c.info = { ...c.info, state: 'exited', exitCode: 3, finishedAt: new Date().toISOString() };
    };
    fake.crash(containerId, 3);
    await waitFor('the silent death restarted too', () => typesOf(instance.id), (t) => t.filter((x) => x === 'restarted').length === 2, 10_000);
    const types = await typesOf(instance.id);
    expect(types.filter((t) => t === 'exited')).toHaveLength(2);
    const row = await instances.repo.get(instance.id);
    expect(row).toMatchObject({ restarts: 2, lastExitCode: 3 });
    expect(fake.containers.get(containerId)?.info.state).toBe('running');
  }, 15_000);
});
