import { afterAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instances/instance-types.js';
import { rawDocker } from '../helpers/docker.js';
import { EngineProxy } from '../helpers/engine-proxy.js';
import { testEnv } from '../helpers/env.js';
import { createInstance, until, type ErrorBody } from '../helpers/instances.js';
import { sample, scrape } from '../helpers/monitor.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

type Health = { components: Record<string, { status: string }> };

/**
 * The engine goes away under a running berth (a socket proxy in front of the shared dockerd is
 * closed, so other tests' containers are never affected) and comes back.
 */
describe(`engine outage while berth runs (${testEnv.store})`, () => {
  const proxy = new EngineProxy();
  let td: TestDaemon;
  afterAll(async () => {
    await proxy.open().catch(() => undefined);
    await td?.cleanup();
    await proxy.close();
  });

  it('answers 503 on engine routes, serves reads from the store, marks nothing failed or deleted, and resumes', async () => {
    await proxy.open();
    td = await startTestDaemon({ env: { DOCKER_HOST: proxy.dockerHost }, flags: { 'docker.retrySeconds': 0.2, 'monitor.reconcileIntervalSeconds': 1 } });
    const steady = await createInstance(td, { tenant: 'steady', image: testEnv.image, health: { intervalSeconds: 1, startPeriodSeconds: 1 } }, '?wait=running&timeout=60');
    expect(steady.status).toBe(201);

    await proxy.close();
    const down = await until(() => td.api<Health>('GET', '/health', undefined, null), (r) => r.body.components.runtime?.status === 'down', 30_000, 100);
    expect(down.body.components.runtime?.status).toBe('down');

    const attempts: Array<[string, string, unknown?]> = [
      ['POST', '/v1/instances', { tenant: 'during', image: testEnv.image }],
      ['POST', '/v1/instances/steady/actions', { action: 'restart' }],
      ['DELETE', '/v1/instances/steady'],
      ['GET', '/v1/instances/steady/logs?tail=5'],
      ['GET', '/v1/instances/steady/stats'],
    ];
    for (const [method, path, body] of attempts) {
      const res = await td.api<ErrorBody>(method, path, body);
      expect.soft(res.status, `${method} ${path}`).toBe(503);
      expect.soft(res.body.error?.code, `${method} ${path}`).toBe('RUNTIME_UNAVAILABLE');
    }
    // Reads come from the store.
    expect((await td.api<{ total: number }>('GET', '/v1/instances')).body.total).toBe(1);
    expect((await td.api('GET', '/v1/instances/steady/events')).status).toBe(200);
    expect((await td.api('GET', '/v1/plans')).status).toBe(200);

    // Several reconcile passes (1 s apart) and health checks go by without an engine.
    const skipped = async (): Promise<number> => sample(await scrape(td), 'berth_reconcile_passes_total', { outcome: 'skipped' });
    const skippedBefore = await skipped();
    const probedBefore = (await td.api<Instance>('GET', '/v1/instances/steady')).body.checksPassed;
    expect(await until(skipped, (n) => n >= skippedBefore + 3, 30_000, 200)).toBeGreaterThanOrEqual(skippedBefore + 3);
    const during = await until(() => td.api<Instance>('GET', '/v1/instances/steady'), (r) => r.body.checksPassed > probedBefore, 30_000, 200);
    expect(during.status).toBe(200);
    // Probes go straight to the published port: the instance stays running, judged healthy all along.
    expect(during.body).toMatchObject({ status: 'running', consecutiveFailures: 0 });
    expect(during.body.desiredState).toBe('running');
    const types = (await td.api<{ items: Array<{ type: string }> }>('GET', '/v1/events?instance=steady&limit=200')).body.items.map((e) => e.type);
    for (const bad of ['deleted', 'deleting', 'failed', 'crashloop', 'recreated', 'orphan-removed']) expect(types).not.toContain(bad);
    // The tenant container itself never noticed.
    expect((await rawDocker().getContainer(steady.body.containerId!).inspect()).State.Running).toBe(true);
    expect((await fetch(`${steady.body.url}/health`)).status).toBe(200);

    await proxy.open();
    const up = await until(() => td.api<Health>('GET', '/health', undefined, null), (r) => r.body.components.runtime?.status === 'up', 30_000, 100);
    expect(up.body.components.runtime?.status).toBe('up');
    const after = await createInstance(td, { tenant: 'after', image: testEnv.image }, '?wait=running&timeout=60');
    expect(after.status).toBe(201);
    const again = await until(() => td.api<Instance>('GET', '/v1/instances/steady'), (r) => r.body.status === 'running', 30_000);
    expect(again.body).toMatchObject({ status: 'running', containerId: steady.body.containerId });
    expect((await td.api('POST', '/v1/instances/steady/actions?wait=running', { action: 'restart' })).status).toBe(200);
    expect((await td.api('DELETE', '/v1/instances/after')).status).toBe(200);
  });
});
