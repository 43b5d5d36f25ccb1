import { BerthError } from '../../common/errors.js';
import { canonicalJson, normalizeSpec, type SpecDefaults } from '../instances/instance-spec.js';
import type { InstanceSpec } from '../instances/instance-types.js';
import { PATCHABLE_FIELDS, type InstancePatchInput, type PatchableField, type RevisionSpec } from './upgrade-types.js';

export interface CurrentSpec {
  tenant: string;
  name: string;
  spec: RevisionSpec;
  secrets: Record<string, string>;
}

export interface PatchResult {
  /** The whole next spec, validated exactly as a create would be. */
  spec: InstanceSpec;
  changed: PatchableField[];
}

/**
 * Applies a PATCH to the current spec. Fields not named stay; `env` and `secrets` merge key by
 * key (a null value removes the key); `health` merges field by field; `command: null` goes back
 * to the image's command. The result is validated like a create, every failure naming its field.
 */
export function applyPatch(current: CurrentSpec, patch: InstancePatchInput, defaults: SpecDefaults): PatchResult {
  const unknown = Object.keys(patch).filter((k) => !(PATCHABLE_FIELDS as readonly string[]).includes(k));
  if (unknown.length) throw BerthError.invalid(unknown[0]!, `cannot be changed by PATCH (changeable: ${PATCHABLE_FIELDS.join(', ')})`);
  const env = mergeMap('env', current.spec.env, patch.env);
  const secrets = mergeMap('secrets', current.secrets, patch.secrets);
  const spec = normalizeSpec({
    tenant: current.tenant,
    name: current.name,
    plan: patch.plan ?? current.spec.plan,
    image: patch.image ?? current.spec.image,
    command: patch.command === undefined ? current.spec.command : patch.command,
    env,
    secrets,
    port: patch.port ?? current.spec.port,
    health: { ...current.spec.health, ...(patch.health ?? {}) },
  }, { ...defaults, allowedImages: patch.image === undefined ? [] : defaults.allowedImages });
  const before = { ...specFields(current.spec), secrets: canonicalJson(current.secrets) };
  const after = { ...specFields(toRevisionSpec(spec)), secrets: canonicalJson(spec.secrets) };
  const changed = PATCHABLE_FIELDS.filter((f) => before[f] !== after[f]);
  return { spec, changed };
}

export function toRevisionSpec(spec: InstanceSpec): RevisionSpec {
  return {
    image: spec.image, command: spec.command, env: spec.env, secretNames: Object.keys(spec.secrets).sort(),
    plan: spec.plan, port: spec.port, health: spec.health,
  };
}

function specFields(s: RevisionSpec): Record<Exclude<PatchableField, 'secrets'>, string> {
  return {
    image: s.image, command: canonicalJson(s.command), env: canonicalJson(s.env), plan: s.plan, port: String(s.port), health: canonicalJson(s.health),
  };
}

function mergeMap(field: string, base: Record<string, string>, patch: Record<string, string | null> | undefined): Record<string, string> {
  if (patch === undefined) return { ...base };
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw BerthError.invalid(field, 'must be an object of names to strings (null removes a name)');
  const out = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = value;
  }
  return out;
}
