import { describe, expect, it } from 'vitest';
import { ManualClock } from '../common/clock.js';
import type { HealthSpecMs } from './health-spec.js';
import { ProbeState } from './probe-state.js';

const spec: HealthSpecMs = { path: '/health', intervalMs: 30_000, timeoutMs: 5000, failureThreshold: 3, successThreshold: 1, startPeriodMs: 10_000 };

describe('probe state', () => {
  it('restarts after exactly failureThreshold consecutive failures, not before', () => {
    const clock = new ManualClock();
    const state = new ProbeState(spec, clock.now() - 60_000);
    expect(state.observe(false, clock.now(), 'running')).toBe('unhealthy');
    expect(state.observe(false, clock.now(), 'unhealthy')).toBe('none');
    expect(state.observe(false, clock.now(), 'unhealthy')).toBe('restart');
    expect(state.consecutiveFailures).toBe(3);
  });

  it('a single failure followed by success does not restart', () => {
    const clock = new ManualClock();
    const state = new ProbeState(spec, clock.now() - 60_000);
    const verdicts = [
      state.observe(false, clock.now(), 'running'),
      state.observe(true, clock.now(), 'unhealthy'),
      state.observe(false, clock.now(), 'running'),
      state.observe(false, clock.now(), 'unhealthy'),
      state.observe(true, clock.now(), 'unhealthy'),
      state.observe(false, clock.now(), 'running'),
    ];
    expect(verdicts).toEqual(['unhealthy', 'healthy', 'unhealthy', 'none', 'healthy', 'unhealthy']);
    expect(verdicts).not.toContain('restart');
  });

  it('does not count failures during the start period, and a pass ends it early', () => {
    const clock = new ManualClock();
    const state = new ProbeState(spec, clock.now());
    for (let i = 0; i < 5; i++) {
      expect(state.observe(false, clock.now(), 'starting')).toBe('ignored');
      clock.advance(1000);
    }
    expect(state.consecutiveFailures).toBe(0);
    expect(state.nextDelay(clock.now(), 1000)).toBe(1000);
    expect(state.observe(true, clock.now(), 'starting')).toBe('healthy');
    expect(state.inStartPeriod(clock.now())).toBe(false);
    expect(state.nextDelay(clock.now(), 1000)).toBe(30_000);
    expect(state.observe(false, clock.now(), 'running')).toBe('unhealthy');
  });

  it('counts failures once the start period is over, for an agent that never becomes healthy', () => {
    const clock = new ManualClock();
    const state = new ProbeState(spec, clock.now());
    clock.advance(9_999);
    expect(state.observe(false, clock.now(), 'starting')).toBe('ignored');
    clock.advance(1);
    expect(state.observe(false, clock.now(), 'starting')).toBe('none');
    expect(state.observe(false, clock.now(), 'starting')).toBe('none');
    expect(state.observe(false, clock.now(), 'starting')).toBe('restart');
  });

  it('needs successThreshold consecutive passes to call an instance healthy', () => {
    const state = new ProbeState({ ...spec, successThreshold: 2 }, 0);
    expect(state.observe(true, 100_000, 'restarting')).toBe('none');
    expect(state.observe(false, 100_000, 'restarting')).toBe('none');
    expect(state.observe(true, 100_000, 'restarting')).toBe('none');
    expect(state.observe(true, 100_000, 'restarting')).toBe('healthy');
    expect(state.observe(true, 100_000, 'running')).toBe('none');
  });
});

describe('probe state of a watched start', () => {
  it('probes from 10 ms, doubling up to the start cadence, until the first pass', () => {
    const clock = new ManualClock();
    const state = new ProbeState(spec, clock.now(), true);
    const delays: number[] = [state.nextDelay(clock.now(), 1000)];
    for (let i = 0; i < 8; i++) {
      expect(state.observe(false, clock.now(), 'starting')).toBe('ignored');
      delays.push(state.nextDelay(clock.now(), 1000));
      clock.advance(delays.at(-1)!);
    }
    expect(delays).toEqual([10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    expect(state.observe(true, clock.now(), 'starting')).toBe('healthy');
    // After the first pass: the configured interval, as for any run.
    clock.advance(60_000);
    expect(state.nextDelay(clock.now(), 1000)).toBe(30_000);
  });

  it('past the start period counts at most one failure per interval while no answer came', () => {
    const clock = new ManualClock();
    const state = new ProbeState({ ...spec, startPeriodMs: 0 }, clock.now(), true);
    const verdicts: string[] = [];
    // Fast probes for 95 s: failures count at 30 s, 60 s and 90 s only.
    for (let t = 0; t <= 95_000; t += 1000) {
      verdicts.push(state.observe(false, clock.now(), 'starting'));
      clock.advance(1000);
    }
    expect(verdicts.filter((v) => v !== 'ignored')).toEqual(['none', 'none', 'restart']);
    expect(verdicts.indexOf('restart')).toBe(90);
  });
});
