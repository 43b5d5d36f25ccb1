import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBerth } from '../helpers/cli.js';
import { testEnv } from '../helpers/env.js';
import { createInstance, getInstance, until, type ErrorBody } from '../helpers/instances.js';
import { act, execIn, type Service } from '../helpers/supervision.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

type ServiceList = { container: string; supervisor: string; scanDir: string; items: Service[] };
type Events = { items: Array<{ type: string; actor: string; data: { service?: string; exitCode?: number | null; critical?: boolean } | null }> };

/** What the test and berth each saw, for a watch that did not report: read before judging. */
async function watchDiagnosis(td: TestDaemon, containerId: string, events: Events['items']): Promise<string> {
  const instance = (await getInstance(td, 'watched')).body;
  const services = await td.api<ServiceList>('GET', '/v1/instances/watched/services');
  const flag = await execIn(containerId, ['test', '-e', '/tmp/crash-worker']);
  return [
    `instance: ${JSON.stringify({ status: instance.status, restarts: instance.restarts, containerId: instance.containerId, startedAt: instance.startedAt, lastError: instance.lastError })}`,
    `test's container: ${containerId}; /tmp/crash-worker ${flag === 0 ? 'exists' : 'is gone'}`,
    `services (${services.status}): ${JSON.stringify(services.body.items?.map((x) => ({ name: x.name, state: x.state, raw: x.raw })))}`,
    `events: ${events.map((e) => e.type).join(', ')}`,
    'daemon log (service, warn, error):',
    ...td.logs.filter((l) => /service|"level":(40|50)/.test(l)).slice(-40),
  ].join('\n');
}

/** s6 in a scan directory no default names: the instance's own scanDir, or its plan's. */
const CUSTOM = ['/bin/sh', '-c', 'mkdir -p /run/custom && cp -R /etc/s6/services/. /run/custom/ && exec s6-svscan /run/custom'];

/** Per-plan and per-instance scan directories, and the background watch of non-critical services. */
describe(`s6 scan directories and the service watch (${testEnv.store})`, () => {
  let td: TestDaemon;
  let watchedContainer: string;

  beforeAll(async () => {
    td = await startTestDaemon({
      flags: { 'supervision.watchIntervalSeconds': 1, 'monitor.reconcileIntervalSeconds': 3600 },
      yaml: 'plans:\n  s6custom:\n    cpus: 0.5\n    memory: 256MiB\n    scanDir: /run/custom\n',
    });
    const made = await Promise.all([
      createInstance(td, { tenant: 'watch', name: 'watched', image: testEnv.s6Image }, '?wait=running&timeout=90'),
      createInstance(td, { tenant: 'watch', name: 'own-dir', image: testEnv.s6Image, command: CUSTOM, scanDir: '/run/custom' }, '?wait=running&timeout=90'),
      createInstance(td, { tenant: 'watch', name: 'plan-dir', plan: 's6custom', image: testEnv.s6Image, command: CUSTOM }, '?wait=running&timeout=90'),
      createInstance(td, { tenant: 'watch', name: 'no-dir', image: testEnv.s6Image, command: CUSTOM }, '?wait=running&timeout=90'),
    ]);
    expect(made.map((m) => m.status), JSON.stringify(made.map((m) => m.body))).toEqual([201, 201, 201, 201]);
    watchedContainer = made[0]!.body.containerId!;
  }, 180_000);
  afterAll(async () => {
    await td?.cleanup();
  });

  it('an instance\'s own scanDir and its plan\'s are used for listing and actions; without one the directory is not found', async () => {
    const own = await td.api<ServiceList>('GET', '/v1/instances/own-dir/services');
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    expect(own.body.scanDir).toBe('/run/custom');
    expect(own.body.items.map((s) => s.name)).toEqual(['ticker', 'web', 'worker']);
    expect((await getInstance(td, 'own-dir')).body.scanDir).toBe('/run/custom');
    const down = await act(td, '/v1/instances/own-dir', 'worker', 'down');
    expect(down.body).toMatchObject({ state: 'down', settled: true });

    const plan = await td.api<ServiceList>('GET', '/v1/instances/plan-dir/services');
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    expect(plan.body.scanDir).toBe('/run/custom');
    expect((await getInstance(td, 'plan-dir')).body.scanDir).toBeNull();

    const none = await td.api<ErrorBody>('GET', '/v1/instances/no-dir/services');
    expect(none.status).toBe(409);
    expect(none.body.error.code).toBe('NO_SUPERVISOR');
  });

  it('refuses a scanDir that is relative or climbs, naming the field, and creates nothing', async () => {
    for (const scanDir of ['run/service', '/run/../etc', '/run/service/', '/run/./x', '..', '/run/service;rm']) {
      const res = await createInstance(td, { tenant: 'watch', name: 'bad-dir', image: testEnv.s6Image, scanDir });
      expect(res.status, `${scanDir}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.error.message).toContain('scanDir');
    }
    expect((await getInstance(td, 'bad-dir')).status).toBe(404);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', BERTH_URL: td.url, BERTH_TOKEN: td.token };
    const cli = await runBerth(['create', 'watch', '--name', 'bad-dir', '--image', testEnv.s6Image, '--scan-dir', '/run/../etc', '--json'], env);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain('scanDir');
    expect((await getInstance(td, 'bad-dir')).status).toBe(404);
  });

  it('a non-critical service that crashes is a service-down event (exit code), then service-up; nothing is restarted', async () => {
    const before = (await getInstance(td, 'watched')).body;
    expect(await execIn(watchedContainer, ['touch', '/tmp/crash-worker'])).toBe(0);
    const events = () => td.api<Events>('GET', '/v1/instances/watched/events?limit=200');
    // 60 s: one engine call may take up to the client's 30 s idle timeout before berth gives it up.
    const workerEvent = async (type: string): Promise<Events['items'][number]> => {
      const got = await until(events, (r) => r.body.items.some((e) => e.type === type && e.data?.service === 'worker'), 60_000, 250);
      const found = got.body.items.find((e) => e.type === type && e.data?.service === 'worker');
      if (!found) throw new Error(`no ${type} event for worker within 60 s\n${await watchDiagnosis(td, watchedContainer, got.body.items)}`);
      return found;
    };
    const down = await workerEvent('service-down');
    expect(down.actor).toBe('berth');
    expect(down.data).toMatchObject({ service: 'worker', critical: false });
    expect(await execIn(watchedContainer, ['rm', '-f', '/tmp/crash-worker'])).toBe(0);
    await workerEvent('service-up');
    const after = (await getInstance(td, 'watched')).body;
    expect(after.containerId).toBe(before.containerId);
    expect(after.restarts).toBe(before.restarts);
    const all = (await events()).body.items;
    expect(all.filter((e) => e.type === 'service-restarted')).toEqual([]);
    // The crash itself was seen with its exit code at least once (s6 restarts the worker every second).
    expect(all.some((e) => e.type === 'service-down' && e.data?.service === 'worker' && e.data.exitCode === 3)).toBe(true);
  }, 150_000);

  it('an action through the API is one event, not reported again by the watch', async () => {
    const down = await act(td, '/v1/instances/watched', 'ticker', 'down');
    expect(down.body).toMatchObject({ state: 'down', settled: true });
    // Two watch rounds pass (the round counter is not exposed; the list shows the state the watch read too).
    await until(() => td.api<ServiceList>('GET', '/v1/instances/watched/services'), (r) => r.body.items.find((s) => s.name === 'ticker')?.state === 'down', 10_000);
    await new Promise((r) => setTimeout(r, 2500));
    const events = (await td.api<Events>('GET', '/v1/instances/watched/events?limit=200')).body.items;
    const tickerDowns = events.filter((e) => e.type === 'service-down' && e.data?.service === 'ticker');
    expect(tickerDowns).toHaveLength(1);
    expect(tickerDowns[0]!.actor).not.toBe('berth');
    expect((await act(td, '/v1/instances/watched', 'ticker', 'up')).body.state).toBe('up');
  }, 60_000);
});
