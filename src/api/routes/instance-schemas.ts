import { Type, type TSchema } from '@sinclair/typebox';
import { ENV_KEY, HEALTH_PATH, SLUG } from '../../core/instances/instance-spec.js';
import { INSTANCE_STATUSES } from '../../core/instances/instance-types.js';
import { SCAN_DIR_PATTERN } from '../../core/supervision/scan-dir-path.js';
import type { App } from '../app.js';

/** Shapes of /v1/instances, /v1/plans and /v1/events. Field names are the public contract. */

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Slug = (description: string) => Type.String({ pattern: SLUG.source, maxLength: 63, description });

export const StatusSchema = Type.Union(INSTANCE_STATUSES.map((s) => Type.Literal(s)), { description: 'Lifecycle status' });

export const HealthPatchSchema = () => Type.Object({
  path: Type.Optional(Type.String({ pattern: HEALTH_PATH.source, maxLength: 512 })),
  intervalSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 86400 })),
  timeoutSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 3600 })),
  failureThreshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  successThreshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  startPeriodSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 86400 })),
  services: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$' }), {
    maxItems: 32, description: 'Critical s6 services: the instance is unhealthy while one is down or flapping',
  })),
}, { additionalProperties: false });

export const HealthSchema = Type.Object({
  path: Type.String(),
  intervalSeconds: Type.Number(),
  timeoutSeconds: Type.Number(),
  failureThreshold: Type.Integer(),
  successThreshold: Type.Integer(),
  startPeriodSeconds: Type.Number(),
  services: Type.Optional(Type.Array(Type.String(), { description: 'Critical s6 services' })),
}, { $id: 'HealthSpec', title: 'HealthSpec' });

export const InstanceSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  tenant: Type.String(),
  plan: Type.String(),
  image: Type.String(),
  command: Nullable(Type.Array(Type.String())),
  env: Type.Record(Type.String(), Type.String()),
  secretNames: Type.Array(Type.String(), { description: 'Names of the secrets injected as env; values are never returned' }),
  port: Type.Integer({ description: 'Container port' }),
  hostPort: Nullable(Type.Integer()),
  url: Nullable(Type.String({ description: 'http://<bind address>:<hostPort>' })),
  network: Nullable(Type.String()),
  health: Type.Ref('HealthSpec'),
  desiredState: Type.Union([Type.Literal('running'), Type.Literal('stopped')]),
  status: StatusSchema,
  containerId: Nullable(Type.String()),
  restarts: Type.Integer(),
  consecutiveFailures: Type.Integer(),
  checksPassed: Type.Integer(),
  lastCheckAt: Nullable(Type.String()),
  lastCheckOk: Nullable(Type.Boolean()),
  lastCheckLatencyMs: Nullable(Type.Number()),
  lastExitCode: Nullable(Type.Integer()),
  oomKilled: Type.Boolean(),
  backoffMs: Type.Number(),
  nextRestartAt: Nullable(Type.String()),
  lastError: Nullable(Type.String()),
  node: Type.Optional(Nullable(Type.String({ description: 'The cluster node running it (runtime.driver swarm)' }))),
  scanDir: Type.Optional(Nullable(Type.String({ description: 's6 scan directory asked for at create, tried first by supervision (null: the plan\'s, then supervision.scanDirs)' }))),
  startedAt: Nullable(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  revision: Type.Integer({ description: 'The revision of the spec it runs (GET /v1/instances/{idOrName}/revisions)' }),
  previousRevision: Nullable(Type.Integer({ description: 'The revision before it; null when never changed' })),
}, { $id: 'Instance', title: 'Instance' });

const StringMap = (description: string) => Type.Record(Type.String({ pattern: ENV_KEY.source }), Type.String({ maxLength: 32768 }), { additionalProperties: false, description });

export const CreateInstanceBody = Type.Object({
  tenant: Slug('Tenant slug (DNS label)'),
  name: Type.Optional(Slug('Instance name (DNS label, unique); defaults to the tenant')),
  plan: Type.Optional(Type.String({ maxLength: 32, description: 'Plan name; defaults to the configured defaultPlan' })),
  image: Type.Optional(Type.String({ maxLength: 255, description: 'A local image; berth never pulls or builds' })),
  command: Type.Optional(Type.Array(Type.String({ maxLength: 32768 }), { minItems: 1, maxItems: 256, description: 'argv; never run through a shell' })),
  env: Type.Optional(StringMap('Plain environment')),
  secrets: Type.Optional(StringMap('Injected as env; stored encrypted and never returned')),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'Container port the agent listens on' })),
  health: Type.Optional(HealthPatchSchema()),
  scanDir: Type.Optional(Type.String({ pattern: SCAN_DIR_PATTERN, maxLength: 255, description: 's6 scan directory to try first for this instance\'s services (absolute, no ".."), before the plan\'s and supervision.scanDirs' })),
  workspace: Type.Optional(Type.Object({
    from: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Id of a kept workspace (GET /v1/workspaces) of the same tenant to mount at /workspace' })),
    fromSnapshot: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Id of a snapshot (GET /v1/snapshots) of the same tenant: the new workspace starts as a copy of it' })),
  }, { additionalProperties: false, description: 'One of from or fromSnapshot. Without it a new instance always gets a fresh, empty workspace' })),
}, { additionalProperties: false });

export const EventSchema = Type.Object({
  id: Type.Integer(),
  instanceId: Nullable(Type.String()),
  instance: Nullable(Type.String()),
  tenant: Nullable(Type.String()),
  type: Type.String(),
  message: Type.String(),
  actor: Type.String({ description: 'Token name, or berth for the daemon\'s own decisions' }),
  data: Nullable(Type.Record(Type.String(), Type.Unknown())),
  at: Type.String(),
}, { $id: 'Event', title: 'Event' });

export const EventQuery = Type.Object({
  type: Type.Optional(Type.String({ maxLength: 64 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  after: Type.Optional(Type.Integer({ minimum: 0, description: 'Only events with a larger id, oldest first (for following)' })),
});

export const IdOrNameParams = Type.Object({ idOrName: Type.String({ minLength: 1, maxLength: 80 }) });

/** Adds shared schemas once, whichever route module registers first. */
export function addSharedSchemas(app: App): void {
  for (const schema of [HealthSchema, InstanceSchema, EventSchema]) {
    if (!app.getSchema(schema.$id!)) app.addSchema(schema);
  }
}
