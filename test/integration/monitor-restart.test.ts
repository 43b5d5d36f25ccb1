import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';
import { agent, createInstance, getInstance, until, untilStatus } from '../helpers/instances.js';
import { eventsOf, sample, scrape, types } from '../helpers/monitor.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

const post = { method: 'POST' };

describe(`monitor: restarts on exit and on failed health checks (${testEnv.store})`, () => {
  let td: TestDaemon;
  beforeAll(async () => {
    td = await startTestDaemon({
      flags: { 'restart.baseDelaySeconds': 1, 'restart.jitter': 0, 'monitor.flushIntervalMs': 200, 'runtime.stopTimeoutSeconds': 2 },
    });
  });
  afterAll(async () => {
    await td?.cleanup();
  });

  it('restarts a killed container at once, without waiting for the next probe', async () => {
    // A 60 s probe interval: a restart that waited for probes (3 failures) would take minutes,
    // and no probe falls between the kill and the restart to muddle the event history. The 20 s
    // start period keeps probing each second after the restart, for an agent slow to boot.
    const created = await createInstance(td, { tenant: 'killed', health: { intervalSeconds: 60, startPeriodSeconds: 20 } }, '?wait=running&timeout=60');
    expect(created.body.status).toBe('running');
    const killedAt = Date.now();
    await rawDocker().getContainer(created.body.containerId!).kill();
    // On Podman beside CI's other lanes, berth's history had the instance running again 0.5 s
    // after the kill while this test saw it 20 s later: the kill call or the polling came back
    // late. The time is therefore read from berth's event history, not from this call.
    const killCallMs = Date.now() - killedAt;
    const back = await until(() => getInstance(td, 'killed'), (r) => r.body.status === 'running' && r.body.restarts === 1, 55_000, 50);
    const timeline = (await eventsOf(td, 'killed')).filter((e) => Date.parse(e.at) >= killedAt - 1000);
    console.log(`[monitor] after the kill (its call took ${killCallMs} ms): ${timeline.map((e) => `${e.type} +${Date.parse(e.at) - killedAt} ms`).join(', ')}`);
    const restarted = timeline.findIndex((e) => e.type === 'restarted');
    const runningAgain = timeline.slice(restarted).find((e) => e.type === 'running');
    expect(restarted).toBeGreaterThan(-1);
    expect(runningAgain).toBeDefined();
    const ms = Date.parse(runningAgain!.at) - killedAt;
    console.log(`[monitor] docker kill → running again: ${ms} ms (restart base delay 1 s, probe interval 60 s)`);
    // Healthy again, the exit code no longer applies (the `exited` event keeps it).
    expect(back.body).toMatchObject({ status: 'running', restarts: 1, lastExitCode: null, backoffMs: 0, nextRestartAt: null, containerId: created.body.containerId });
    // Quiet, it takes about 1 s on Docker and on Podman; 25 s leaves room for a loaded machine
    // and is far below a restart that waited for probes (failureThreshold 3 × 60 s).
    expect(ms).toBeLessThan(25_000);
    const events = types(await eventsOf(td, 'killed'));
    const exited = events.indexOf('exited');
    expect(exited).toBeGreaterThan(-1);
    expect(events.slice(exited)).toEqual(expect.arrayContaining(['exited', 'restarting', 'restarted', 'running']));
    expect(events.indexOf('restarting')).toBeGreaterThan(exited);
    expect(events.indexOf('restarted')).toBeGreaterThan(events.indexOf('restarting'));
    // The exit was acted on from the event stream: no probe had failed before the restart.
    expect(events.slice(0, events.indexOf('restarted'))).not.toContain('probe-failed');
  });

  it('restarts after exactly failureThreshold consecutive failed checks, not before', async () => {
    const created = await createInstance(td, { tenant: 'sick', health: { intervalSeconds: 1, failureThreshold: 3, startPeriodSeconds: 0 } }, '?wait=running&timeout=60');
    expect(created.body.status).toBe('running');
    await agent(created.body, '/fail', post);
    // A restarted agent is a fresh process: healthy again.
    const back = await until(() => getInstance(td, 'sick'), (r) => r.body.restarts === 1 && r.body.status === 'running', 30_000);
    expect(back.body.status).toBe('running');
    const events = await eventsOf(td, 'sick');
    const restarting = events.findIndex((e) => e.type === 'restarting');
    const failuresBefore = events.slice(0, restarting).filter((e) => e.type === 'probe-failed');
    // Failures are coalesced: one event when the streak starts; the count reaches the restart.
    expect(failuresBefore.map((e) => e.data?.consecutiveFailures)).toEqual([1]);
    expect(events[restarting]!.message).toContain('3 consecutive failures');
    expect(events[restarting]!.data).toMatchObject({ reason: 'unhealthy', delayMs: 0 });
    // The unhealthy event is written with the batched probe results, so with an immediate
    // first restart it may land just after `restarting`; it must be there either way.
    expect(types(events)).toContain('unhealthy');
    expect(types(events.slice(restarting))).toEqual(expect.arrayContaining(['restarted', 'running']));
  });

  it('does not restart after a single failure followed by success', async () => {
    const created = await createInstance(td, { tenant: 'blip', health: { intervalSeconds: 1, failureThreshold: 2, startPeriodSeconds: 0 } }, '?wait=running&timeout=60');
    expect(created.body.status).toBe('running');
    await agent(created.body, '/fail', post);
    await until(() => eventsOf(td, 'blip'), (e) => types(e).includes('probe-failed'), 10_000, 50);
    await agent(created.body, '/recover', post);
    await until(() => eventsOf(td, 'blip'), (e) => types(e).includes('healthy'), 10_000, 100);
    // Several more probes pass.
    const later = await until(() => getInstance(td, 'blip'), (r) => r.body.checksPassed >= created.body.checksPassed + 4, 15_000);
    expect(later.body).toMatchObject({ status: 'running', restarts: 0, consecutiveFailures: 0, lastCheckOk: true });
    const events = types(await eventsOf(td, 'blip'));
    expect(events.filter((t) => t === 'probe-failed')).toHaveLength(1);
    expect(events).not.toContain('restarting');
  });

  it('does not restart an agent that boots slower than its interval during its start period', async () => {
    const slow = { BOOT_DELAY_MS: '4000' };
    const health = { intervalSeconds: 1, failureThreshold: 2 };
    const patient = await createInstance(td, { tenant: 'slowboot', env: slow, health: { ...health, startPeriodSeconds: 10 } });
    // The control: the same agent without a start period is restarted while it boots.
    const hasty = await createInstance(td, { tenant: 'hasty', env: slow, health: { ...health, startPeriodSeconds: 0 } });
    expect([patient.status, hasty.status]).toEqual([202, 202]);
    const ready = await untilStatus(td, 'slowboot', 'running', 30_000);
    expect(ready.restarts).toBe(0);
    const control = await until(() => getInstance(td, 'hasty'), (r) => r.body.restarts >= 1, 30_000);
    expect(control.body.restarts).toBeGreaterThanOrEqual(1);
    const events = types(await eventsOf(td, 'slowboot'));
    expect(events).not.toContain('restarting');
    expect(events).not.toContain('probe-failed');
  });

  it('turns a refused restart (host port taken) into an event and keeps trying, without crashing', async () => {
    const created = await createInstance(td, { tenant: 'squatted', health: { intervalSeconds: 1, startPeriodSeconds: 2 } }, '?wait=running&timeout=60');
    expect(created.body.status).toBe('running');
    await rawDocker().getContainer(created.body.containerId!).kill();
    // Another process grabs the host port before berth's restart (1 s later) can.
    const squatter = net.createServer();
    await until(() => new Promise<boolean>((resolve) => {
      squatter.once('error', () => resolve(false));
      squatter.listen(created.body.hostPort!, '127.0.0.1', () => resolve(true));
    }), (ok) => ok, 5000, 20);
    try {
      const refused = await until(() => eventsOf(td, 'squatted'), (e) => types(e).includes('restart-failed'), 20_000, 100);
      const failure = refused.find((e) => e.type === 'restart-failed')!;
      console.log(`[monitor] refused restart recorded: ${failure.message}`);
      expect(failure.message).toMatch(/restart failed: .*(already|in use|allocated)/i);
      expect((await td.api('GET', '/health', undefined, null)).status).toBe(200);
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
    // Once the port is free again, the next attempt succeeds.
    const back = await until(() => getInstance(td, 'squatted'), (r) => r.body.status === 'running' && r.body.restarts >= 1, 30_000);
    expect(back.body.status).toBe('running');
  });

  it('serves the monitor metrics in Prometheus text format', async () => {
    const metrics = await scrape(td);
    expect(sample(metrics, 'berth_restarts_total', { reason: 'exit' })).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'berth_restarts_total', { reason: 'unhealthy' })).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'berth_instances', { status: 'running' })).toBeGreaterThanOrEqual(3);
    expect(sample(metrics, 'berth_probe_failures_total', { reason: 'status' })).toBeGreaterThanOrEqual(3);
    expect(metrics.get('berth_probe_duration_seconds')?.type).toBe('HISTOGRAM');
    // This parser folds a labelled histogram's series into one bucket map; its +Inf bucket is a count.
    expect(Number(metrics.get('berth_probe_duration_seconds')!.metrics[0]?.buckets?.['+Inf'])).toBeGreaterThan(0);
    expect(metrics.get('berth_reconcile_duration_seconds')?.type).toBe('HISTOGRAM');
    // The boot pass at least was timed.
    expect(Number(metrics.get('berth_reconcile_duration_seconds')!.metrics[0]?.buckets?.['+Inf'])).toBeGreaterThan(0);
    expect(metrics.get('berth_runtime_api_errors_total')?.type).toBe('COUNTER');
    expect(metrics.get('berth_http_request_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(sample(metrics, 'berth_runtime_event_stream_up')).toBe(1);
    expect(sample(metrics, 'berth_restarts_in_flight_max')).toBeGreaterThanOrEqual(1);
  });
});
