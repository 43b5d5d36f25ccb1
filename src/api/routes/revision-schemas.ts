import { Type, type TSchema } from '@sinclair/typebox';
import { ENV_KEY } from '../../core/instances/instance-spec.js';
import type { App } from '../app.js';
import { addSharedSchemas, HealthPatchSchema } from './instance-schemas.js';

/** Shapes of revisions, upgrades and rollouts. Field names are the public contract. */

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
// Values are checked by the domain: a schema union with null would be coerced ("" for null) by the API's type coercion.
const MergeMap = (description: string) => Type.Record(Type.String({ pattern: ENV_KEY.source }), Type.Unknown({ description: 'A string sets the name; null removes it' }), { description });

export const RolloutOptionsSchema = Type.Object({
  healthTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, description: 'How long the new revision has to pass its health check (default config rollout.healthTimeoutSeconds)' })),
  failureAction: Type.Optional(Type.Union([Type.Literal('rollback'), Type.Literal('pause')], { description: 'rollback: the previous revision comes back; pause: the new one stays, left to the monitor (a fleet rollout pauses)' })),
}, { additionalProperties: false });

const patchFields = {
  image: Type.Optional(Type.String({ maxLength: 255, description: 'A local image; berth never pulls or builds' })),
  command: Type.Optional(Type.Unknown({ description: 'argv array (never run through a shell), or null for the image\'s own command' })),
  env: Type.Optional(MergeMap('Plain environment, merged key by key')),
  secrets: Type.Optional(MergeMap('Secrets, merged key by key; stored encrypted and never returned')),
  plan: Type.Optional(Type.String({ maxLength: 32 })),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'Container port the agent listens on' })),
  health: Type.Optional(HealthPatchSchema()),
};

export const PatchSpecSchema = Type.Object(patchFields, { additionalProperties: false, description: 'Any subset of the spec; unnamed fields stay' });

export const PatchInstanceBody = Type.Object({
  ...patchFields,
  rollout: Type.Optional(RolloutOptionsSchema),
  reason: Type.Optional(Type.String({ maxLength: 500, description: 'Recorded with the revision' })),
}, { additionalProperties: false });

export const RollbackBody = Type.Object({
  revision: Type.Optional(Type.Integer({ minimum: 1, description: 'The revision to go back to; default the previous one' })),
  rollout: Type.Optional(RolloutOptionsSchema),
  reason: Type.Optional(Type.String({ maxLength: 500 })),
}, { additionalProperties: false });

export const WaitUpgradeQuery = Type.Object({
  wait: Type.Optional(Type.Boolean({ default: false, description: 'Answer once the rollout has ended (or the timeout passed)' })),
  timeout: Type.Optional(Type.Number({ minimum: 0, maximum: 3600, default: 300, description: 'Seconds to wait with wait=true' })),
});

const RevisionSpecSchema = Type.Object({
  image: Type.String(),
  command: Nullable(Type.Array(Type.String())),
  env: Type.Record(Type.String(), Type.String()),
  secretNames: Type.Array(Type.String(), { description: 'Names only; values are never returned' }),
  plan: Type.String(),
  port: Type.Integer(),
  health: Type.Ref('HealthSpec'),
});

export const RevisionSchema = Type.Object({
  instanceId: Type.String(),
  revision: Type.Integer(),
  tenant: Type.String(),
  spec: RevisionSpecSchema,
  changed: Type.Array(Type.String(), { description: 'Fields changed against the revision it was made from' }),
  actor: Type.String({ description: 'Who made it (token name; berth for revision 1 of instances older than revisions)' }),
  reason: Nullable(Type.String()),
  createdAt: Type.String(),
  current: Type.Boolean(),
}, { $id: 'Revision', title: 'Revision' });

export const UpgradeSchema = Type.Object({
  id: Type.String(),
  instanceId: Type.String(),
  tenant: Type.String(),
  rolloutId: Nullable(Type.String()),
  kind: Type.Union([Type.Literal('upgrade'), Type.Literal('rollback')]),
  fromRevision: Type.Integer(),
  toRevision: Type.Integer(),
  status: Type.Union(['pending', 'running', 'succeeded', 'rolled-back', 'failed', 'paused', 'cancelled'].map((s) => Type.Literal(s))),
  phase: Type.Union(['pending', 'created', 'switched', 'committed'].map((s) => Type.Literal(s))),
  oldContainerId: Nullable(Type.String()),
  newContainerId: Nullable(Type.String()),
  healthTimeoutSeconds: Type.Integer(),
  failureAction: Type.String(),
  actor: Type.String(),
  message: Nullable(Type.String()),
  downtimeMs: Nullable(Type.Integer({ description: 'Old container stopped → new container first healthy' })),
  createdAt: Type.String(),
  startedAt: Nullable(Type.String()),
  endedAt: Nullable(Type.String()),
}, { $id: 'Upgrade', title: 'Upgrade' });

export const ChangeResponse = Type.Object({
  instance: Type.Ref('Instance'),
  revision: Nullable(Type.Ref('Revision')),
  upgrade: Nullable(Type.Ref('Upgrade')),
  changed: Type.Boolean({ description: 'false: the patch changed nothing (no revision, no rollout)' }),
});

const ItemStatus = Type.Union(['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'].map((s) => Type.Literal(s)));
export const RolloutSchema = Type.Object({
  id: Type.String(),
  tenant: Nullable(Type.String({ description: 'The tenant whose token made it; null: an admin' })),
  selector: Type.Object({ tenant: Type.Optional(Type.String()), plan: Type.Optional(Type.String()), instances: Type.Optional(Type.Array(Type.String())) }),
  patch: Type.Object({
    ...Object.fromEntries(Object.entries(patchFields).filter(([k]) => k !== 'secrets')),
    secretNames: Type.Optional(Type.Array(Type.String())),
    secretsRemoved: Type.Optional(Type.Array(Type.String())),
  }),
  maxParallel: Type.Integer(),
  maxFailures: Type.Integer(),
  healthTimeoutSeconds: Type.Integer(),
  failureAction: Type.String(),
  status: Type.Union(['running', 'paused', 'cancelled', 'succeeded', 'failed'].map((s) => Type.Literal(s))),
  message: Nullable(Type.String()),
  actor: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  counts: Type.Record(Type.String(), Type.Integer()),
  items: Type.Array(Type.Object({
    instanceId: Type.String(), instance: Type.String(), tenant: Type.String(), position: Type.Integer(), status: ItemStatus,
    upgradeId: Nullable(Type.String()), revision: Nullable(Type.Integer()), message: Nullable(Type.String()),
    startedAt: Nullable(Type.String()), endedAt: Nullable(Type.String()),
  }), { description: 'Per-instance outcome (GET /v1/rollouts/{id}; empty in the list)' }),
}, { $id: 'Rollout', title: 'Rollout' });

export const CreateRolloutBody = Type.Object({
  selector: Type.Object({
    tenant: Type.Optional(Type.String({ maxLength: 63 })),
    plan: Type.Optional(Type.String({ maxLength: 32 })),
    instances: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 80 }), { minItems: 1, maxItems: 5000 })),
  }, { additionalProperties: false, description: 'Exactly one of tenant, plan, instances (fixed when the rollout is made)' }),
  patch: PatchSpecSchema,
  maxParallel: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 1, description: 'Instances moved at once' })),
  maxFailures: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'The rollout stops when more than this many fail' })),
  rollout: Type.Optional(RolloutOptionsSchema),
}, { additionalProperties: false });

/** Adds these schemas once, whichever module registers first. */
export function addRevisionSchemas(app: App): void {
  addSharedSchemas(app);
  for (const schema of [RevisionSchema, UpgradeSchema, RolloutSchema]) {
    if (!app.getSchema(schema.$id!)) app.addSchema(schema);
  }
}
