import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { isBerthError } from '../../common/errors.js';
import { loadConfig } from '../../config/loader.js';
import { resolvePlans } from '../plans/resolve-plans.js';
import { canonicalJson, normalizeSpec, specHash, type SpecDefaults } from './instance-spec.js';
import type { CreateInstanceInput } from './instance-types.js';

const { config } = loadConfig({ env: {}, cwd: tmpdir() });
const defaults: SpecDefaults = {
  plans: resolvePlans(config),
  defaultPlan: 'starter',
  defaultImage: 'berth/test-agent:local',
  defaultPort: 8080,
  allowedImages: [],
};

function fieldOf(input: CreateInstanceInput, d: SpecDefaults = defaults): string | undefined {
  try {
    normalizeSpec(input, d);
  } catch (error) {
    if (isBerthError(error)) return error.field;
    throw error;
  }
  return undefined;
}

describe('normalizeSpec', () => {
  it('fills defaults from config and the plan', () => {
    const spec = normalizeSpec({ tenant: 'acme' }, defaults);
    expect(spec).toMatchObject({ tenant: 'acme', name: 'acme', plan: 'starter', image: 'berth/test-agent:local', port: 8080, command: null, env: {}, secrets: {} });
    expect(spec.health).toEqual({ path: '/health', intervalSeconds: 30, timeoutSeconds: 5, failureThreshold: 3, successThreshold: 1, startPeriodSeconds: 10 });
    expect(normalizeSpec({ tenant: 'acme', health: { path: '/ready', intervalSeconds: 2 } }, defaults).health).toMatchObject({ path: '/ready', intervalSeconds: 2, timeoutSeconds: 2 });
  });

  it('names the field of every bad input', () => {
    expect(fieldOf({ tenant: 'Acme' })).toBe('tenant');
    for (const name of ['a;b', '..', 'UPPER', 'x'.repeat(80), '-lead', 'trail-', 'a/b', '']) expect(fieldOf({ tenant: 'acme', name })).toBe('name');
    expect(fieldOf({ tenant: 'acme', plan: 'platinum' })).toBe('plan');
    expect(fieldOf({ tenant: 'acme', env: { 'A=B': 'x' } })).toBe('env.A=B');
    expect(fieldOf({ tenant: 'acme', env: { BERTH_TENANT: 'x' } })).toBe('env.BERTH_TENANT');
    expect(fieldOf({ tenant: 'acme', env: { OK: 'x' }, secrets: { OK: 'y' } })).toBe('secrets.OK');
    expect(fieldOf({ tenant: 'acme', port: -1 })).toBe('port');
    expect(fieldOf({ tenant: 'acme', port: 70000 })).toBe('port');
    expect(fieldOf({ tenant: 'acme', image: '/var/run/docker.sock' })).toBe('image');
    expect(fieldOf({ tenant: 'acme', image: '../../etc' })).toBe('image');
    expect(fieldOf({ tenant: 'acme', command: [] })).toBe('command');
    expect(fieldOf({ tenant: 'acme', health: { path: '/../../etc/passwd' } })).toBe('health.path');
    expect(fieldOf({ tenant: 'acme', health: { path: 'health' } })).toBe('health.path');
    expect(fieldOf({ tenant: 'acme', health: { timeoutSeconds: 0 } })).toBe('health.timeoutSeconds');
    expect(fieldOf({ tenant: 'acme', image: 'other/image:1' }, { ...defaults, allowedImages: ['berth/test-agent:local'] })).toBe('image');
    expect(fieldOf({ tenant: 'acme', image: 'registry.local:5000/team/agent:v1.2' })).toBeUndefined();
  });
});

describe('specHash', () => {
  it('is equal for equal specs whatever the key order, and differs on any change', () => {
    const a = normalizeSpec({ tenant: 'acme', env: { A: '1', B: '2' } }, defaults);
    const b = normalizeSpec({ tenant: 'acme', env: { B: '2', A: '1' }, plan: 'starter', port: 8080 }, defaults);
    expect(specHash(a, 'd')).toBe(specHash(b, 'd'));
    expect(specHash(a, 'd')).not.toBe(specHash(a, 'other-secrets'));
    expect(specHash(a, 'd')).not.toBe(specHash(normalizeSpec({ tenant: 'acme', env: { A: '1' } }, defaults), 'd'));
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[1,{"c":2,"d":1}]}');
  });
});

describe('health bounds', () => {
  const fieldOf = (health: Record<string, number>): string | undefined => {
    try {
      normalizeSpec({ tenant: 'acme', health }, defaults);
      return undefined;
    } catch (error) {
      return (error as { field?: string }).field;
    }
  };
  it('refuses an interval under 1 s, a timeout over min(interval, 30 s) and a start period over 10 min, naming the field', () => {
    expect(fieldOf({ intervalSeconds: 0.5 })).toBe('health.intervalSeconds');
    expect(fieldOf({ intervalSeconds: 10, timeoutSeconds: 11 })).toBe('health.timeoutSeconds');
    expect(fieldOf({ intervalSeconds: 120, timeoutSeconds: 31 })).toBe('health.timeoutSeconds');
    expect(fieldOf({ startPeriodSeconds: 601 })).toBe('health.startPeriodSeconds');
    expect(fieldOf({ intervalSeconds: 1, timeoutSeconds: 1, startPeriodSeconds: 600 })).toBeUndefined();
  });
  it('brings the default timeout down to a shorter interval the caller chose', () => {
    expect(normalizeSpec({ tenant: 'acme', health: { intervalSeconds: 2 } }, defaults).health.timeoutSeconds).toBe(2);
  });
});
