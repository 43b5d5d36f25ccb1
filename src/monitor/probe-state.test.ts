import { describe, expect, it } from 'vitest';
import { ManualClock } from '../common/clock.js';
import type { HealthSpec } from './health-spec.js';
import { ProbeState } from './probe-state.js';

const spec: HealthSpec = { path: '/health', intervalMs: 30_000, timeoutMs: 5000, failureThreshold: 3, successThreshold: 1, startPeriodMs: 10_000 };

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
