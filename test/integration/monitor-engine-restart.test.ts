import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawDocker } from '../helpers/docker.js';
import { EngineProxy } from '../helpers/engine-proxy.js';
import { testEnv } from '../helpers/env.js';
import { createInstance, getInstance, until } from '../helpers/instances.js';
import { eventsOf, sample, scrape, types } from '../helpers/monitor.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

type Health = { components: Record<string, { status: string; detail?: string }> };

describe(`monitor: survives the engine going away and coming back (${testEnv.store})`, () => {
  // The daemon reaches the engine only through this proxy: closing it is "the engine is gone".
  const proxy = new EngineProxy();
  let td: TestDaemon;
  beforeAll(async () => {
    await proxy.open();
    td = await startTestDaemon({
      env: { DOCKER_HOST: proxy.dockerHost },
      flags: { 'docker.retrySeconds': 0.2, 'restart.baseDelaySeconds': 1, 'restart.jitter': 0, 'monitor.flushIntervalMs': 200 },
    });
  });
  afterAll(async () => {
    await td?.cleanup();
    await proxy.close();
  });

  it('keeps probing, marks nothing failed while the engine is away, and catches up on what it missed', async () => {
    const health = { intervalSeconds: 1, failureThreshold: 2, startPeriodSeconds: 1 };
    const steady = await createInstance(td, { tenant: 'steady', health }, '?wait=running&timeout=60');
    const victim = await createInstance(td, { tenant: 'victim', health }, '?wait=running&timeout=60');
    expect([steady.body.status, victim.body.status]).toEqual(['running', 'running']);
    const monitorHealth = async () => (await td.api<Health>('GET', '/health', undefined, null)).body.components.monitor?.status;
    expect(await until(monitorHealth, (s) => s === 'up', 10_000)).toBe('up');

    await proxy.close();
    const awayAt = Date.now();
    expect(await until(monitorHealth, (s) => s === 'degraded', 15_000, 100)).toBe('degraded');
    // While berth cannot see the engine, the victim's container dies: no event reaches berth.
    await rawDocker().getContainer(victim.body.containerId!).kill();
    const steadyBefore = (await getInstance(td, 'steady')).body;
    // Probes go straight to the published ports: they go on without the engine.
    const steadyDuring = (await until(() => getInstance(td, 'steady'), (r) => r.body.checksPassed > steadyBefore.checksPassed + 2, 30_000, 200)).body;
    expect(steadyDuring.status).toBe('running');
    // The victim fails its checks past the threshold (2) and is marked unhealthy in the same write…
    const victimDuring = (await until(() => getInstance(td, 'victim'), (r) => r.body.consecutiveFailures >= 4, 30_000, 200)).body;
    expect(victimDuring.status).toBe('unhealthy');
    // …but its restart waits for the engine instead of burning attempts (two more failed checks past the threshold).
    expect(victimDuring.restarts).toBe(0);
    expect(types(await eventsOf(td, 'victim'))).not.toContain('restarting');

    await proxy.open();
    const backAt = Date.now();
    expect(await until(monitorHealth, (s) => s === 'up', 20_000, 100)).toBe('up');
    const restored = await until(() => getInstance(td, 'victim'), (r) => r.body.status === 'running' && r.body.restarts === 1, 30_000, 100);
    console.log(`[monitor] engine away ${Math.round((backAt - awayAt) / 1000)}s; victim running again ${Date.now() - backAt} ms after the engine came back`);
    expect(restored.body).toMatchObject({ status: 'running', restarts: 1 });
    const steadyAfter = await until(() => getInstance(td, 'steady'), (r) => r.body.checksPassed > steadyDuring.checksPassed + 2, 10_000);
    expect(steadyAfter.body).toMatchObject({ status: 'running', restarts: 0 });

    const all = await td.api<{ items: Array<{ name: string; status: string }> }>('GET', '/v1/instances');
    expect(all.body.items.filter((i) => i.status === 'failed' || i.status === 'crashloop')).toEqual([]);
    expect(types(await eventsOf(td, 'steady'))).not.toContain('restarting');
    const victimEvents = await eventsOf(td, 'victim');
    console.log(`[monitor] victim events: ${types(victimEvents).join(' → ')}`);
    expect(types(victimEvents)).not.toContain('restart-failed');
    expect(td.logs.some((l) => l.includes('runtime event stream back; asking the reconciler to catch up'))).toBe(true);
    const metrics = await scrape(td);
    expect(sample(metrics, 'berth_runtime_event_stream_up')).toBe(1);
    expect(sample(metrics, 'berth_runtime_api_errors_total', { operation: 'ping', code: 'RUNTIME_UNAVAILABLE' })).toBeGreaterThan(0);
  });
});
