import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { isBerthError } from '../../common/errors.js';
import { loadConfig } from '../../config/loader.js';
import { normalizeSpec, type SpecDefaults } from '../instances/instance-spec.js';
import { resolvePlans } from '../plans/resolve-plans.js';
import { applyPatch, toRevisionSpec, type CurrentSpec } from './instance-patch.js';
import type { InstancePatchInput } from './upgrade-types.js';

const { config } = loadConfig({ env: {}, cwd: tmpdir() });
const defaults: SpecDefaults = { plans: resolvePlans(config), defaultPlan: 'starter', defaultImage: 'berth/test-agent:local', defaultPort: 8080, allowedImages: [] };
const created = normalizeSpec({ tenant: 'acme', env: { A: '1', B: '2' }, secrets: { KEY: 's3cret' }, health: { intervalSeconds: 5 } }, defaults);
const current: CurrentSpec = { tenant: 'acme', name: 'acme', spec: toRevisionSpec(created), secrets: created.secrets };

function fieldOf(patch: InstancePatchInput, d: SpecDefaults = defaults): string | undefined {
  try {
    applyPatch(current, patch, d);
  } catch (error) {
    if (isBerthError(error)) return error.field;
    throw error;
  }
  return undefined;
}

describe('applyPatch', () => {
  it('changes only the named fields; env and secrets merge key by key, null removes', () => {
    const { spec, changed } = applyPatch(current, { env: { B: null, C: '3' }, secrets: { KEY: null, OTHER: 'x' } }, defaults);
    expect(spec.env).toEqual({ A: '1', C: '3' });
    expect(spec.secrets).toEqual({ OTHER: 'x' });
    expect(spec.image).toBe(created.image);
    expect(changed).toEqual(['env', 'secrets']);
  });

  it('merges health field by field and keeps the rest', () => {
    const { spec, changed } = applyPatch(current, { health: { failureThreshold: 7 } }, defaults);
    expect(spec.health).toMatchObject({ intervalSeconds: 5, failureThreshold: 7, path: created.health.path });
    expect(changed).toEqual(['health']);
  });

  it('reports no change for a patch that sets what is already there', () => {
    expect(applyPatch(current, { env: { A: '1' }, plan: 'starter', secrets: { KEY: 's3cret' } }, defaults).changed).toEqual([]);
    expect(applyPatch(current, {}, defaults).changed).toEqual([]);
  });

  it('detects a changed secret value without showing it', () => {
    expect(applyPatch(current, { secrets: { KEY: 'rotated' } }, defaults).changed).toEqual(['secrets']);
  });

  it('command: null goes back to the image command', () => {
    const withCommand: CurrentSpec = { ...current, spec: { ...current.spec, command: ['node', 'x.js'] } };
    const { spec, changed } = applyPatch(withCommand, { command: null }, defaults);
    expect(spec.command).toBeNull();
    expect(changed).toEqual(['command']);
  });

  it('validates like a create, naming the field', () => {
    expect(fieldOf({ image: '/etc/passwd' })).toBe('image');
    expect(fieldOf({ plan: 'gold' })).toBe('plan');
    expect(fieldOf({ port: 0 })).toBe('port');
    expect(fieldOf({ env: { '1X': 'y' } })).toBe('env.1X');
    expect(fieldOf({ env: { BERTH_TENANT: 'evil' } })).toBe('env.BERTH_TENANT');
    expect(fieldOf({ env: { KEY: 'plain' } })).toBe('secrets.KEY');
    expect(fieldOf({ command: 'node x.js' as unknown as string[] })).toBe('command');
    expect(fieldOf({ health: { timeoutSeconds: 60 } })).toBe('health.timeoutSeconds');
    expect(fieldOf({ name: 'other' } as InstancePatchInput)).toBe('name');
    expect(fieldOf({ env: { A: 5 as unknown as string } })).toBe('env.A');
  });

  it('checks allowedImages only for a new image', () => {
    const strict = { ...defaults, allowedImages: ['berth/other:1'] };
    expect(fieldOf({ env: { A: '2' } }, strict)).toBeUndefined();
    expect(fieldOf({ image: 'berth/test-agent:v2' }, strict)).toBe('image');
    expect(fieldOf({ image: 'berth/other:1' }, strict)).toBeUndefined();
  });
});
