import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/loader.js';
import { resolveHealthSpec, resolveRestartPolicy } from './health-spec.js';

const { config } = loadConfig({ env: {}, flags: { 'health.intervalSeconds': 20, 'restart.baseDelaySeconds': 2 } });
config.plans.pro = { ...config.plans.pro!, health: { timeoutSeconds: 2 }, restart: { maxDelaySeconds: 60 } };

describe('effective health spec and restart policy', () => {
  it('layers the instance spec over the plan over the defaults', () => {
    expect(resolveHealthSpec(config, 'pro', JSON.stringify({ path: '/ready', startPeriodSeconds: 0 }))).toEqual({
      path: '/ready', intervalMs: 20_000, timeoutMs: 2000, failureThreshold: 3, successThreshold: 1, startPeriodMs: 0,
    });
    expect(resolveHealthSpec(config, 'starter', JSON.stringify({ retries: 5 })).failureThreshold).toBe(5);
    expect(resolveHealthSpec(config, 'starter', JSON.stringify({ retries: 5, failureThreshold: 2 })).failureThreshold).toBe(2);
  });

  it('falls back on malformed stored values', () => {
    expect(resolveHealthSpec(config, 'nope', '{not json')).toMatchObject({ path: '/health', intervalMs: 20_000 });
    expect(resolveHealthSpec(config, 'starter', JSON.stringify({ path: 'http://elsewhere/', intervalSeconds: -1 }))).toMatchObject({ path: '/health', intervalMs: 20_000 });
  });

  it('takes plan overrides of the restart policy', () => {
    expect(resolveRestartPolicy(config, 'pro')).toMatchObject({ baseMs: 2000, capMs: 60_000, failAfterRestarts: 10 });
    expect(resolveRestartPolicy(config, 'starter')).toMatchObject({ baseMs: 2000, capMs: 300_000 });
  });
});
