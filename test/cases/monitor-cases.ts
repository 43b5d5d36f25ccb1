import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../helpers/env.js';
import { agent, createInstance, getInstance, until, untilStatus } from '../helpers/instances.js';
import { eventsOf, types } from '../helpers/monitor.js';
import type { TestDaemon } from '../helpers/test-daemon.js';
import type { DriverTarget } from './driver-target.js';

const post = { method: 'POST' };

/**
 * The driver-independent part of the monitor suites (test/integration/monitor-restart and
 * monitor-crashloop): an exit acted on from the runtime's event stream, the failure
 * threshold, no restart on a single blip, the start period, and crash-loop backoff up to
 * `failed`. Run on every runtime configuration berth supports.
 */
export function monitorCases(target: DriverTarget): void {
  describe(`shared monitor cases on ${target.name} (${testEnv.store})`, () => {
    let td: TestDaemon;
    beforeAll(async () => {
      td = await target.start({
        flags: {
          'restart.baseDelaySeconds': 1, 'restart.maxDelaySeconds': 4, 'restart.jitter': 0, 'restart.crashloopRestarts': 3,
          'restart.windowSeconds': 300, 'restart.failAfterRestarts': 5, 'restart.resetAfterSeconds': 120,
          'monitor.flushIntervalMs': 200, 'runtime.stopTimeoutSeconds': 2,
        },
      });
    });
    afterAll(async () => {
      await td?.cleanup();
    });

    it('restarts a killed instance from the event stream, without waiting for the next probe', async () => {
      // A 30 s probe interval: if the restart waited for a probe, it would take far longer.
      const created = await createInstance(td, { tenant: 'killed', image: testEnv.image, health: { intervalSeconds: 30, startPeriodSeconds: 5 } }, '?wait=running&timeout=120');
      expect(created.body.status, JSON.stringify(created.body)).toBe('running');
      const { docker, id } = await target.container(td, created.body.id);
      const killedAt = Date.now();
      await docker.getContainer(id).kill();
      const back = await until(() => getInstance(td, 'killed'), (r) => r.body.status === 'running' && r.body.restarts === 1, target.restartBoundMs, 100);
      const ms = Date.now() - killedAt;
      console.log(`[${target.name}] kill → running again: ${ms} ms (restart base delay 1 s, probe interval 30 s)`);
      expect(back.body).toMatchObject({ status: 'running', restarts: 1, lastExitCode: null });
      expect(ms).toBeLessThan(target.restartBoundMs);
      const events = types(await until(() => eventsOf(td, 'killed'), (e) => types(e).includes('running') && types(e).lastIndexOf('running') > types(e).indexOf('exited'), 15_000));
      const exited = events.indexOf('exited');
      expect(exited).toBeGreaterThan(-1);
      expect(events.slice(exited)).toEqual(expect.arrayContaining(['exited', 'restarting', 'restarted', 'running']));
      // The exit was acted on from the event stream: no probe had failed before the restart.
      expect(events.slice(0, events.indexOf('restarted'))).not.toContain('probe-failed');
    });

    it('restarts after failureThreshold consecutive failed checks', async () => {
      const created = await createInstance(td, { tenant: 'sick', image: testEnv.image, health: { intervalSeconds: 1, failureThreshold: 3, startPeriodSeconds: 0 } }, '?wait=running&timeout=120');
      expect(created.body.status).toBe('running');
      await agent(created.body, '/fail', post);
      const back = await until(() => getInstance(td, 'sick'), (r) => r.body.restarts === 1 && r.body.status === 'running', 90_000);
      expect(back.body.status).toBe('running');
      const events = await eventsOf(td, 'sick');
      const restarting = events.findIndex((e) => e.type === 'restarting');
      expect(events.slice(0, restarting).filter((e) => e.type === 'probe-failed').map((e) => e.data?.consecutiveFailures)).toEqual([1]);
      expect(events[restarting]!.message).toContain('3 consecutive failures');
    });

    it('does not restart after a single failure followed by success', async () => {
      const created = await createInstance(td, { tenant: 'blip', image: testEnv.image, health: { intervalSeconds: 1, failureThreshold: 2, startPeriodSeconds: 0 } }, '?wait=running&timeout=120');
      expect(created.body.status).toBe('running');
      await agent(created.body, '/fail', post);
      await until(() => eventsOf(td, 'blip'), (e) => types(e).includes('probe-failed'), 15_000, 50);
      await agent(created.body, '/recover', post);
      await until(() => eventsOf(td, 'blip'), (e) => types(e).includes('healthy'), 15_000, 100);
      const later = await until(() => getInstance(td, 'blip'), (r) => r.body.checksPassed >= created.body.checksPassed + 4, 20_000);
      expect(later.body).toMatchObject({ status: 'running', restarts: 0, consecutiveFailures: 0, lastCheckOk: true });
      expect(types(await eventsOf(td, 'blip'))).not.toContain('restarting');
    });

    it('does not restart an agent that boots slower than its interval during its start period', async () => {
      const patient = await createInstance(td, { tenant: 'slowboot', image: testEnv.image, env: { BOOT_DELAY_MS: '4000' }, health: { intervalSeconds: 1, failureThreshold: 2, startPeriodSeconds: 15 } });
      expect(patient.status).toBe(202);
      const ready = await untilStatus(td, 'slowboot', 'running', 120_000);
      expect(ready.restarts).toBe(0);
      const events = types(await eventsOf(td, 'slowboot'));
      expect(events).not.toContain('restarting');
      expect(events).not.toContain('probe-failed');
    });

    it('backs off a crashing instance, goes to crashloop, then failed at the limit', async () => {
      const crasher = await createInstance(td, { tenant: 'crasher', image: testEnv.image, env: { EXIT_AFTER_MS: '200', EXIT_CODE: '3' }, health: { intervalSeconds: 1, startPeriodSeconds: 30 } });
      expect(crasher.status).toBe(202);
      const failed = await untilStatus(td, 'crasher', 'failed', 200_000);
      const events = await until(() => eventsOf(td, 'crasher'), (ev) => types(ev).includes('failed'), 15_000);
      const delays = events.filter((e) => e.type === 'restarting').map((e) => e.data?.delayMs);
      console.log(`[${target.name}] crash loop restart delays (ms): ${delays.join(', ')}; then ${failed.status} after ${failed.restarts} restarts`);
      expect(delays).toEqual([0, 1000, 2000, 4000, 4000]);
      expect(types(events)).toContain('crashloop');
      expect(failed).toMatchObject({ restarts: 5, lastExitCode: 3, nextRestartAt: null });
      // Failed means no more restarts: the next reconcile passes leave it alone.
      await td.daemon.reconciler.reconcileNow();
      expect((await getInstance(td, 'crasher')).body).toMatchObject({ status: 'failed', restarts: 5 });
    });
  });
}
