import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/loader.js';
import { isBerthError } from '../../common/errors.js';
import { requirePlan, resolvePlans } from './resolve-plans.js';

describe('resolvePlans', () => {
  it('resolves the shipped plans to bytes and nano-CPU-ready numbers', () => {
    const { config } = loadConfig({ env: {}, cwd: tmpdir() });
    const plans = resolvePlans(config);
    expect([...plans.keys()]).toEqual(['business', 'pro', 'starter']);
    expect(plans.get('starter')).toMatchObject({ cpus: 0.5, memoryBytes: 536870912, pidsLimit: 256, readOnlyRootfs: false });
    expect(plans.get('pro')?.memoryBytes).toBe(1024 ** 3);
    expect(plans.get('business')?.memoryBytes).toBe(2 * 1024 ** 3);
  });

  it('merges plan health and restart overrides over the top-level defaults', () => {
    const { config } = loadConfig({
      env: {},
      cwd: tmpdir(),
      flags: { 'health.intervalSeconds': 7, 'plans.pro.health.path': '/ready', 'plans.pro.restart.baseDelaySeconds': 1, 'plans.gpu.cpus': 4, 'plans.gpu.memory': 2048, 'plans.gpu.internalNetwork': true },
    });
    const plans = resolvePlans(config);
    expect(plans.get('pro')?.health).toMatchObject({ path: '/ready', intervalSeconds: 7, timeoutSeconds: 5 });
    expect(plans.get('pro')?.restart.baseDelaySeconds).toBe(1);
    expect(plans.get('starter')?.health.path).toBe('/health');
    expect(plans.get('gpu')).toMatchObject({ memoryBytes: 2048 * 1024 ** 2, memory: '2048MiB' });
    // internal only means something with a dedicated network.
    expect(plans.get('gpu')?.internalNetwork).toBe(false);
  });

  it('names the field and the known plans for an unknown plan', () => {
    const { config } = loadConfig({ env: {}, cwd: tmpdir() });
    try {
      requirePlan(resolvePlans(config), 'platinum');
      expect.unreachable();
    } catch (error) {
      expect(isBerthError(error) && error.code).toBe('PLAN_NOT_FOUND');
      expect(isBerthError(error) && error.field).toBe('plan');
      expect((error as Error).message).toContain('business, pro, starter');
    }
  });
});
