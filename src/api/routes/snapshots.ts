import { Type } from '@sinclair/typebox';
import type { SnapshotRestore } from '../../core/snapshots/snapshot-restore.js';
import type { SnapshotService } from '../../core/snapshots/snapshot-service.js';
import type { App } from '../app.js';
import { errorResponses, listOf, Security } from '../schemas.js';
import { addSharedSchemas, IdOrNameParams } from './instance-schemas.js';
import { viewerOf } from './viewer-of.js';

const Nullable = <T extends ReturnType<typeof Type.String | typeof Type.Integer>>(t: T) => Type.Union([t, Type.Null()]);

const SnapshotView = Type.Object({
  id: Type.String({ description: 'Pass as {"workspace": {"fromSnapshot": id}} to create an instance of the same tenant from it' }),
  instanceId: Type.String(),
  instance: Type.String({ description: 'The instance\'s name when the snapshot was taken' }),
  tenant: Type.String(),
  status: Type.Union([Type.Literal('creating'), Type.Literal('ready'), Type.Literal('failed')]),
  trigger: Type.Union([Type.Literal('manual'), Type.Literal('scheduled'), Type.Literal('before-upgrade')]),
  mode: Type.Union([Type.Literal('pause'), Type.Literal('stop')]),
  file: Type.String({ description: 'Relative to the snapshot dir (snapshots.dir): <tenant>/<id>.tar' }),
  sizeBytes: Nullable(Type.Integer()),
  sha256: Nullable(Type.String()),
  pauseMs: Nullable(Type.Integer({ description: 'How long the agent was paused (or down, mode stop) for the copy' })),
  actor: Type.String(),
  error: Nullable(Type.String()),
  createdAt: Type.String(),
  completedAt: Nullable(Type.String()),
}, { $id: 'Snapshot', title: 'Snapshot' });

const SnapshotParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const InstanceSnapshotParams = Type.Object({ idOrName: IdOrNameParams.properties.idOrName, snapshotId: Type.String({ minLength: 1, maxLength: 64 }) });

/**
 * Workspace snapshots: taken and listed per instance; listed, read and deleted by id under
 * /v1/snapshots (they outlive their instance). A tenant token sees its own tenant's only.
 */
export function snapshotRoutes(snapshots: SnapshotService, restores: SnapshotRestore) {
  return (app: App): void => {
    addSharedSchemas(app);
    app.addSchema(SnapshotView);
    const ref = Type.Ref('Snapshot');
    const RestoreResult = Type.Object({ instance: Type.Ref('Instance'), snapshot: ref });

    app.post('/v1/instances/:idOrName/snapshots', {
      schema: {
        summary: 'Snapshot the instance\'s /workspace now',
        description: 'mode pause (default) freezes the agent (engine pause) for the copy; mode stop stops it and starts it again. '
          + 'The answer comes when the file is complete: pauseMs says how long the agent was frozen or down. A stopped instance is copied as it is.',
        tags: ['snapshots'], security: Security, params: IdOrNameParams,
        body: Type.Optional(Type.Object({
          mode: Type.Optional(Type.Union([Type.Literal('pause'), Type.Literal('stop')], { default: 'pause' })),
        }, { additionalProperties: false })),
        response: { 201: ref, ...errorResponses(403, 404, 409, 503, 504) },
      },
      // No body at all (not even a content type) means the defaults.
      preValidation: async (request) => {
        request.body ??= {};
      },
    }, async (request, reply) => {
      const viewer = viewerOf(request);
      const made = await snapshots.create(request.params.idOrName, { mode: request.body?.mode ?? 'pause' }, viewer.actor, viewer);
      return reply.status(201).send(made);
    });

    app.get('/v1/instances/:idOrName/snapshots', {
      schema: {
        summary: 'Snapshots of this instance, newest first', tags: ['snapshots'], security: Security, params: IdOrNameParams,
        response: { 200: listOf(ref), ...errorResponses(404) },
      },
    }, async (request) => snapshots.listOf(request.params.idOrName, viewerOf(request)));

    app.post('/v1/instances/:idOrName/snapshots/:snapshotId/restore', {
      schema: {
        summary: 'Restore a snapshot of the same tenant into this instance',
        description: 'The file is checked against its sha256 and extracted into a new volume while the agent runs; then the agent is stopped, '
          + 'its container made again on the new volume and started. A restore that fails leaves the instance as it was (409 SNAPSHOT_CORRUPT when the file does not match).',
        tags: ['snapshots'], security: Security, params: InstanceSnapshotParams,
        response: { 200: RestoreResult, ...errorResponses(403, 404, 409, 503) },
      },
    }, async (request) => {
      const viewer = viewerOf(request);
      return restores.restore(request.params.snapshotId, request.params.idOrName, viewer.actor, viewer);
    });

    app.get('/v1/snapshots', {
      schema: {
        summary: 'Snapshots, newest first (a tenant token sees its own tenant only)', tags: ['snapshots'], security: Security,
        querystring: Type.Object({
          tenant: Type.Optional(Type.String({ maxLength: 63 })),
          instance: Type.Optional(Type.String({ maxLength: 80, description: 'An instance\'s id or name' })),
        }),
        response: { 200: listOf(ref), ...errorResponses(403, 404) },
      },
    }, async (request) => snapshots.list(viewerOf(request), request.query));

    app.get('/v1/snapshots/:id', {
      schema: { summary: 'One snapshot', tags: ['snapshots'], security: Security, params: SnapshotParams, response: { 200: ref, ...errorResponses(404) } },
    }, async (request) => snapshots.visible(request.params.id, viewerOf(request)));

    app.delete('/v1/snapshots/:id', {
      schema: {
        summary: 'Delete a snapshot and its file', tags: ['snapshots'], security: Security, params: SnapshotParams,
        response: { 200: ref, ...errorResponses(404, 409) },
      },
    }, async (request) => {
      const viewer = viewerOf(request);
      return snapshots.delete(request.params.id, viewer.actor, viewer);
    });
  };
}
