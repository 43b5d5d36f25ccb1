import { Type } from '@sinclair/typebox';
import type { EventLog } from '../../core/events/event-log.js';
import { findOrphans, removeOrphans, type OrphanDeps } from '../../reconciler/find-orphans.js';
import type { RuntimeStatus } from '../../runtime/runtime-status.js';
import type { App } from '../app.js';
import { requireAdmin } from '../auth.js';
import { errorResponses, Security } from '../schemas.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const OrphanContainer = Type.Object({
  id: Type.String(), name: Type.String(), state: Type.String(),
  instance: Nullable(Type.String()), tenant: Nullable(Type.String()),
  duplicateOf: Nullable(Type.String({ description: 'Set for a second container of a live instance' })), reason: Type.String(),
});
const OrphanVolume = Type.Object({
  name: Type.String(), instance: Nullable(Type.String()), instanceName: Type.String(), tenant: Nullable(Type.String()), reason: Type.String(),
});
const OrphanNetwork = Type.Object({ id: Type.String(), name: Type.String(), tenant: Nullable(Type.String()), reason: Type.String() });
export const Orphans = Type.Object({
  containers: Type.Array(OrphanContainer),
  volumes: Type.Array(OrphanVolume, { description: 'Workspaces of deleted instances that nobody asked to keep' }),
  keptVolumes: Type.Array(OrphanVolume, { description: 'Workspaces kept with keepData=true; gc removes them only with keptVolumes=true' }),
  networks: Type.Array(OrphanNetwork),
}, { $id: 'Orphans', title: 'Orphans' });

export interface GcRouteDeps extends OrphanDeps {
  status: RuntimeStatus;
  events: EventLog;
}

/**
 * /v1/system/orphans and /v1/system/gc: what berth made in its scope that no instance row
 * accounts for, and removing it (`berth gc`). Admin only; never touches unlabelled or
 * other-scope objects.
 */
export function gcRoutes(deps: GcRouteDeps) {
  return (app: App): void => {
    app.addSchema(Orphans);
    const ref = Type.Ref('Orphans');

    app.get('/v1/system/orphans', {
      schema: {
        summary: 'List orphaned berth containers, workspace volumes and networks (a dry run of gc)', tags: ['system'], security: Security,
        response: { 200: ref, ...errorResponses(403, 503) },
      },
    }, async (request) => {
      requireAdmin(request);
      deps.status.require();
      return findOrphans(deps, { sharedNetwork: true });
    });

    app.post('/v1/system/gc', {
      schema: {
        summary: 'Remove orphans (kept workspaces only with keptVolumes=true)', tags: ['system'], security: Security,
        body: Type.Optional(Type.Object({ keptVolumes: Type.Optional(Type.Boolean({ default: false })) }, { additionalProperties: false })),
        response: {
          200: Type.Object({
            removed: Type.Object({ containers: Type.Array(OrphanContainer), volumes: Type.Array(OrphanVolume), networks: Type.Array(OrphanNetwork) }),
            kept: Type.Array(OrphanVolume),
            failed: Type.Array(Type.Object({ kind: Type.String(), name: Type.String(), error: Type.String() })),
          }),
          ...errorResponses(403, 503),
        },
      },
    }, async (request) => {
      const principal = requireAdmin(request);
      deps.status.require();
      const result = await removeOrphans(deps, await findOrphans(deps, { sharedNetwork: true }), { keptVolumes: request.body?.keptVolumes ?? false });
      const { containers, volumes, networks } = result.removed;
      const removed = [
        ...containers.map((c) => ({ kind: 'container', name: c.name, instanceId: c.instance, tenant: c.tenant })),
        ...volumes.map((v) => ({ kind: 'volume', name: v.name, instanceId: v.instance, tenant: v.tenant })),
        ...networks.map((n) => ({ kind: 'network', name: n.name, instanceId: null, tenant: n.tenant })),
      ];
      if (removed.length > 0) {
        await deps.events.record(...removed.map((r) => ({
          instanceId: r.instanceId, tenant: r.tenant, type: 'orphan-removed', actor: principal.name,
          message: `gc removed orphaned ${r.kind} ${r.name}`, data: { kind: r.kind, name: r.name },
        })));
      }
      return result;
    });
  };
}
