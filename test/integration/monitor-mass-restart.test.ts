import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { createInstance, until } from '../helpers/instances.js';
import { sample, scrape } from '../helpers/monitor.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import type { Instance } from '../../src/core/instances/instance-types.js';

const COUNT = 100;
const CAP = 5;

/** A light agent: busybox httpd serving /health. */
const SCRIPT = 'mkdir -p /tmp/www && echo ok > /tmp/www/health && exec httpd -f -p 8080 -h /tmp/www';

/** Follows the engine's die/start events of a scope, to measure restarts in flight independently of berth. */
async function engineRestarts(scope: string) {
  const stream = (await rawDocker().getEvents({ filters: { type: ['container'], event: ['die', 'start'], label: [`berth.scope=${scope}`] } })) as unknown as Readable;
  const down = new Set<string>();
  let maxDown = 0;
  let pending = '';
  stream.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines.filter(Boolean)) {
      const e = JSON.parse(line) as { Action: string; Actor: { ID: string } };
      if (e.Action === 'die') down.add(e.Actor.ID);
      else down.delete(e.Actor.ID);
      maxDown = Math.max(maxDown, down.size);
    }
  });
  return { max: () => maxDown, stop: () => stream.destroy() };
}

describe(`monitor: ${COUNT} instances unhealthy at once (${testEnv.store})`, () => {
  let td: TestDaemon;
  beforeAll(async () => {
    td = await startTestDaemon({
      flags: {
        'monitor.restartConcurrency': CAP, 'restart.baseDelaySeconds': 1, 'restart.jitter': 0,
        'runtime.stopTimeoutSeconds': 0, 'monitor.flushIntervalMs': 500,
      },
    });
  });
  afterAll(async () => {
    await td?.cleanup();
  });

  it(`never runs more than monitor.restartConcurrency (${CAP}) restarts at once`, async () => {
    const started = Date.now();
    const health = { intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 2, startPeriodSeconds: 2 };
    const names = Array.from({ length: COUNT }, (_, i) => `mass-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < names.length; i += 10) {
      const batch = await Promise.all(names.slice(i, i + 10).map((name) => createInstance(td, { tenant: name, command: ['/bin/sh', '-c', SCRIPT], health })));
      expect(batch.map((r) => r.status)).toEqual(batch.map(() => 202));
    }
    const listRunning = () => td.api<{ items: Instance[]; total: number }>('GET', '/v1/instances?status=running&limit=500');
    const allUp = await until(listRunning, (r) => r.body.total === COUNT, 120_000, 500);
    console.log(`[monitor] ${COUNT} instances running after ${Math.round((Date.now() - started) / 1000)}s`);
    expect(allUp.body.total).toBe(COUNT);

    const engine = await engineRestarts(td.scope);
    try {
      // Every agent hangs at once (frozen): its health checks time out.
      const docker = rawDocker();
      const hungAt = Date.now();
      await Promise.all(allUp.body.items.map((i) => docker.getContainer(i.containerId!).pause()));
      // A bound against a hang, not a speed target (bench/ measures that): 58–83 s alone, 151 s
      // for 97 of them once in CI beside an image build that compiles better-sqlite3.
      const restarted = await until(async () => sample(await scrape(td), 'berth_restarts_total', { reason: 'unhealthy' }), (n) => n >= COUNT, 300_000, 500);
      const back = await until(listRunning, (r) => r.body.total === COUNT, 60_000, 500);
      const metrics = await scrape(td);
      const peak = sample(metrics, 'berth_restarts_in_flight_max');
      console.log(`[monitor] ${restarted} restarts done ${Math.round((Date.now() - hungAt) / 1000)}s after all hung; most in flight: ${peak} by berth's limiter, ${engine.max()} containers down at once as the engine saw it (cap ${CAP})`);
      expect(restarted).toBe(COUNT);
      expect(back.body.total).toBe(COUNT);
      expect(peak).toBe(CAP);
      expect(engine.max()).toBeGreaterThanOrEqual(1);
      expect(engine.max()).toBeLessThanOrEqual(CAP);
      expect(back.body.items.every((i) => i.restarts === 1)).toBe(true);
    } finally {
      engine.stop();
    }
  }, 540_000);
});
