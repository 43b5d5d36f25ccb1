import { Type } from '@sinclair/typebox';
import { BerthError } from '../../common/errors.js';
import type { EventLog } from '../../core/events/event-log.js';
import type { InstanceService } from '../../core/instances/instance-service.js';
import type { App } from '../app.js';
import { errorResponses, listOf, Security } from '../schemas.js';
import { addSharedSchemas, EventQuery } from './instance-schemas.js';
import { viewerOf } from './viewer-of.js';

/** GET /v1/events: the event history across instances (a tenant token sees its tenant only). */
export function eventRoutes(events: EventLog, instances: InstanceService) {
  return (app: App): void => {
    addSharedSchemas(app);
    app.get('/v1/events', {
      schema: {
        summary: 'Events, newest first (oldest first with after=); filter by tenant, instance (id or name, also deleted ones) and type',
        tags: ['events'], security: Security,
        querystring: Type.Composite([EventQuery, Type.Object({
          tenant: Type.Optional(Type.String({ maxLength: 63 })),
          instance: Type.Optional(Type.String({ maxLength: 80 })),
        })]),
        response: { 200: listOf(Type.Ref('Event')), ...errorResponses(403) },
      },
    }, async (request) => {
      const viewer = viewerOf(request);
      const { tenant, instance, type, limit, after } = request.query;
      if (viewer.tenant && tenant && tenant !== viewer.tenant) throw new BerthError('FORBIDDEN', `this token may not read events of tenant ${tenant}`);
      const scopeTenant = viewer.tenant ?? tenant;
      let instanceFilter: { instanceId: string } | { instanceName: string } | undefined;
      if (instance) {
        // A live instance by id or name; otherwise a name (or id) from the history of deleted ones.
        const row = await instances.find(instance, viewer).catch(() => undefined);
        instanceFilter = row ? { instanceId: row.id } : instance.startsWith('ins_') ? { instanceId: instance } : { instanceName: instance };
      }
      const items = await events.list({
        ...(scopeTenant ? { tenant: scopeTenant } : {}),
        ...(instanceFilter ?? {}),
        ...(type ? { type } : {}),
        ...(after !== undefined ? { afterId: after } : {}),
        limit: limit ?? 100,
      });
      return { items, total: items.length };
    });
  };
}
