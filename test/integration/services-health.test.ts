import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instances/instance-types.js';
import { testEnv } from '../helpers/env.js';
import { createInstance, getInstance, until } from '../helpers/instances.js';
import { act, execIn, serviceOf } from '../helpers/supervision.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

type Event = { type: string; actor: string; message: string; data: Record<string, unknown> | null };

/** health.services: critical s6 services feed the monitor's verdict and its restart policy. */
describe(`critical s6 services (${testEnv.store})`, () => {
  let td: TestDaemon;
  let instance: Instance;
  const base = '/v1/instances/crit';
  const events = async (): Promise<Event[]> => (await td.api<{ items: Event[] }>('GET', `${base}/events?limit=200`)).body.items;

  beforeAll(async () => {
    td = await startTestDaemon();
    const res = await createInstance(td, {
      tenant: 'crit', name: 'crit', image: testEnv.s6Image,
      health: { intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 3, startPeriodSeconds: 0, services: ['worker'] },
    }, '?wait=running&timeout=90');
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.health.services).toEqual(['worker']);
    instance = res.body;
  });
  afterAll(async () => {
    await td?.cleanup();
  });

  it('rejects a bad critical service name', async () => {
    const res = await createInstance(td, { tenant: 'crit', name: 'bad', image: testEnv.s6Image, health: { services: ['../x'] } });
    expect(res.status).toBe(400);
  });

  it('a critical service taken down is brought back by berth first, without restarting the container', async () => {
    const down = await act(td, base, 'worker', 'down');
    expect(down.body.state).toBe('down');
    const back = await until(() => serviceOf(td, base, 'worker'), (r) => r.body.state === 'up', 30_000, 200);
    expect(back.body.state).toBe('up');
    const history = await until(events, (e) => e.some((x) => x.type === 'service-restarted' && x.actor === 'berth'), 15_000, 200);
    expect(history.find((x) => x.type === 'service-restarted' && x.actor === 'berth')?.message).toContain('worker');
    const now = await until(() => getInstance(td, 'crit'), (r) => r.body.status === 'running', 30_000, 200);
    expect(now.body.status).toBe('running');
    expect(now.body.containerId).toBe(instance.containerId);
    expect(now.body.restarts).toBe(0);
  });

  it('a critical service that stays down makes the instance unhealthy, and the container is restarted', async () => {
    expect(await execIn(instance.containerId!, ['touch', '/tmp/crash-worker'])).toBe(0);
    // The worker now exits 3 at every start: restarting the service cannot help, so the probes fail.
    const restarted = await until(() => getInstance(td, 'crit'), (r) => r.body.restarts >= 1, 90_000, 250);
    expect(restarted.body.restarts).toBeGreaterThanOrEqual(1);
    const running = await until(() => getInstance(td, 'crit'), (r) => r.body.status === 'running', 90_000, 250);
    expect(running.body.status).toBe('running');
    const worker = await until(() => serviceOf(td, base, 'worker'), (r) => r.body.state === 'up' && r.body.uptimeSeconds >= 2, 30_000, 250);
    expect(worker.body.state).toBe('up');
    const types = (await events()).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['service-down', 'unhealthy', 'restarted']));
    const failed = (await events()).find((e) => e.type === 'probe-failed' && e.message.includes('critical service worker'));
    expect(failed, 'a probe failed naming the critical service').toBeDefined();
  });
});
