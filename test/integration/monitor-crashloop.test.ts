import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../helpers/env.js';
import { createInstance, getInstance, until, untilStatus } from '../helpers/instances.js';
import { eventsOf, types } from '../helpers/monitor.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

interface Received { event: string; instance: { name: string }; status: string; message: string }

/** A webhook receiver on 127.0.0.1 that refuses its very first request (503), to exercise retries. */
async function hookServer() {
  const received: Received[] = [];
  let requests = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
    req.on('end', () => {
      requests++;
      if (requests === 1) {
        res.writeHead(503).end();
        return;
      }
      received.push(JSON.parse(body) as Received);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, requests: () => requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe(`monitor: crash loops, the failed limit and alerts (${testEnv.store})`, () => {
  let td: TestDaemon;
  let hooks: Awaited<ReturnType<typeof hookServer>>;
  beforeAll(async () => {
    hooks = await hookServer();
    td = await startTestDaemon({
      yaml: `alerts:\n  webhooks:\n    - url: ${hooks.url}\n      events: [crashloop, failed, recovered]\n`,
      flags: {
        'restart.baseDelaySeconds': 1, 'restart.maxDelaySeconds': 4, 'restart.jitter': 0, 'restart.crashloopRestarts': 3,
        'restart.windowSeconds': 120, 'restart.failAfterRestarts': 5, 'restart.resetAfterSeconds': 60, 'monitor.flushIntervalMs': 200,
      },
    });
  });
  afterAll(async () => {
    await td?.cleanup();
    await hooks?.close();
  });

  it('backs off, goes to crashloop, then failed at the limit, while other tenants stay healthy', async () => {
    const bystander = await createInstance(td, { tenant: 'bystander', health: { intervalSeconds: 1, startPeriodSeconds: 0 } }, '?wait=running&timeout=60');
    expect(bystander.body.status).toBe('running');
    const before = (await getInstance(td, 'bystander')).body;
    // Exits 200 ms after every start, and never answers /health healthy in between (a lucky probe
    // inside those 200 ms would count as a recovery and change the story below).
    const crasher = await createInstance(td, { tenant: 'crasher', env: { EXIT_AFTER_MS: '200', EXIT_CODE: '3', HEALTH_FAIL: '1' }, health: { intervalSeconds: 1, startPeriodSeconds: 30 } });
    expect(crasher.status).toBe(202);
    // Crashes on its first four starts, then stays up: a crash loop that recovers.
    const script = 'n=$(cat /workspace/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /workspace/n; if [ $n -le 4 ]; then exit 1; fi; exec node /app/server.js';
    const phoenix = await createInstance(td, { tenant: 'phoenix', command: ['/bin/sh', '-c', script], health: { intervalSeconds: 1, startPeriodSeconds: 5 } });
    expect(phoenix.status).toBe(202);

    const failed = await untilStatus(td, 'crasher', 'failed', 90_000);
    // Events are written behind the status change: wait for the `failed` event itself.
    const events = await until(() => eventsOf(td, 'crasher'), (ev) => types(ev).includes('failed'), 15_000);
    const delays = events.filter((e) => e.type === 'restarting').map((e) => e.data?.delayMs);
    console.log(`[monitor] crash loop restart delays (ms): ${delays.join(', ')}; then ${failed.status} after ${failed.restarts} restarts`);
    expect(delays).toEqual([0, 1000, 2000, 4000, 4000]);
    expect(events.filter((e) => e.type === 'restarting').map((e) => e.data?.restartsInWindow)).toEqual([0, 1, 2, 3, 4]);
    // More than crashloopRestarts (3) in the window: the fourth decision is the crash loop.
    const restartingAt = events.flatMap((e, i) => (e.type === 'restarting' ? [i] : []));
    const crashloopAt = events.flatMap((e, i) => (e.type === 'crashloop' ? [i] : []));
    expect(crashloopAt).toHaveLength(1);
    expect(crashloopAt[0]).toBeGreaterThan(restartingAt[3]!);
    expect(crashloopAt[0]).toBeLessThan(restartingAt[4]!);
    expect(types(events).at(-1)).toBe('failed');
    expect(failed).toMatchObject({ restarts: 5, lastExitCode: 3, nextRestartAt: null });
    expect(failed.lastError).toContain('gave up after 5 restarts');
    // Failed means no more restarts: the bystander's probes (1 s apart) measure out more than the longest backoff (4 s).
    const probedAtFailure = (await getInstance(td, 'bystander')).body.checksPassed;
    await until(() => getInstance(td, 'bystander'), (r) => r.body.checksPassed >= probedAtFailure + 6, 30_000);
    expect((await getInstance(td, 'crasher')).body).toMatchObject({ status: 'failed', restarts: 5 });
    expect(types(await eventsOf(td, 'crasher')).at(-1)).toBe('failed');

    const recovered = await untilStatus(td, 'phoenix', 'running', 60_000);
    expect(recovered.restarts).toBe(4);
    expect(types(await eventsOf(td, 'phoenix'))).toEqual(expect.arrayContaining(['crashloop', 'recovered']));

    // The bystander was probed all along and never disturbed.
    const after = (await getInstance(td, 'bystander')).body;
    expect(after).toMatchObject({ status: 'running', restarts: 0, consecutiveFailures: 0, lastCheckOk: true });
    expect(after.checksPassed - before.checksPassed).toBeGreaterThanOrEqual(10);
    expect(types(await eventsOf(td, 'bystander'))).not.toContain('probe-failed');

    // Alerts: crashloop and failed for the crasher, crashloop and recovered for phoenix; the refused first POST was retried.
    const got = await until(async () => hooks.received.map((a) => `${a.instance.name}:${a.event}`), (l) => l.length >= 4, 15_000);
    expect(got.sort()).toEqual(['crasher:crashloop', 'crasher:failed', 'phoenix:crashloop', 'phoenix:recovered']);
    expect(hooks.requests()).toBe(5);
  });
});
