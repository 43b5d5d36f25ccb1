import { Type } from '@sinclair/typebox';
import type { WorkspaceService } from '../../core/workspaces/workspace-service.js';
import type { App } from '../app.js';
import { errorResponses, listOf, Security } from '../schemas.js';
import { viewerOf } from './viewer-of.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const WorkspaceView = Type.Object({
  id: Type.String({ description: 'Pass as {"workspace": {"from": id}} when creating an instance of the same tenant' }),
  tenant: Nullable(Type.String({ description: 'Null only for workspaces kept before berth recorded tenants (admin only)' })),
  volume: Type.String({ description: 'The volume on the container engine' }),
  instanceId: Nullable(Type.String()),
  instanceName: Nullable(Type.String()),
  keptAt: Type.String(),
  sizeBytes: Type.Union([Type.Integer(), Type.Null()], { description: 'Bytes in the volume, from the engine\'s disk-usage walk (cached up to a minute); null when not measured' }),
  sizeMeasuredAt: Nullable(Type.String({ description: 'When sizeBytes was measured' })),
}, { $id: 'Workspace', title: 'Workspace' });

const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** /v1/workspaces: workspaces kept by DELETE …?keepData=true (a tenant token sees its own only). */
export function workspaceRoutes(workspaces: WorkspaceService) {
  return (app: App): void => {
    app.addSchema(WorkspaceView);
    const ref = Type.Ref('Workspace');

    app.get('/v1/workspaces', {
      schema: {
        summary: 'Kept workspaces, newest first (a tenant token sees its own tenant only)', tags: ['workspaces'], security: Security,
        querystring: Type.Object({ tenant: Type.Optional(Type.String({ maxLength: 63 })) }),
        response: { 200: listOf(ref), ...errorResponses(403) },
      },
    }, async (request) => workspaces.list(viewerOf(request), request.query.tenant));

    app.get('/v1/workspaces/:id', {
      schema: { summary: 'One kept workspace', tags: ['workspaces'], security: Security, params: Params, response: { 200: ref, ...errorResponses(404) } },
    }, async (request) => workspaces.get(request.params.id, viewerOf(request)));

    app.delete('/v1/workspaces/:id', {
      schema: {
        summary: 'Delete a kept workspace and its data', tags: ['workspaces'], security: Security, params: Params,
        response: { 200: ref, ...errorResponses(404, 409, 503) },
      },
    }, async (request) => {
      const viewer = viewerOf(request);
      return workspaces.delete(request.params.id, viewer, viewer.actor);
    });
  };
}
