import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { BerthError } from '../../common/errors.js';
import type { Instance } from '../../core/instances/instance-types.js';
import type { App } from '../app.js';
import { errorResponses, listOf, Security } from '../schemas.js';
import { instanceLogRoutes } from './instance-logs.js';
import type { InstanceRouteDeps } from './instance-route-deps.js';
import { addSharedSchemas, CreateInstanceBody, EventQuery, IdOrNameParams } from './instance-schemas.js';
import { decodeCursor, encodeCursor, FullListSchema, InstanceSummarySchema, LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT, ListQuery, SummaryListSchema } from './instance-list.js';
import { viewerOf } from './viewer-of.js';

export type { InstanceRouteDeps };

const WaitQuery = Type.Object({
  wait: Type.Optional(Type.Literal('running', { description: 'Block until the instance is running (healthy), has failed, or the timeout passes' })),
  timeout: Type.Optional(Type.Number({ minimum: 0, maximum: 600, default: 60, description: 'Seconds to wait with wait=running' })),
});

/**
 * /v1/instances: lifecycle of tenant instances. Reads come from the store (they work while
 * the engine is away); everything that touches the engine answers 503 then.
 */
export function instanceRoutes(deps: InstanceRouteDeps) {
  const { instances } = deps;
  async function waited(instance: Instance, query: { wait?: 'running'; timeout?: number }, reply: FastifyReply): Promise<Instance> {
    if (query.wait !== 'running') return instance;
    // The response's close (not the request's, which fires once the body is read) means the client left.
    const abort = new AbortController();
    reply.raw.once('close', () => abort.abort());
    return instances.waitFor(instance.id, (query.timeout ?? 60) * 1000, abort.signal);
  }

  return (app: App): void => {
    addSharedSchemas(app);
    if (!app.getSchema('InstanceSummary')) app.addSchema(InstanceSummarySchema);
    const ref = Type.Ref('Instance');

    app.post('/v1/instances', {
      schema: {
        summary: 'Create an instance (idempotent by name)',
        description: '202 when accepted (status `creating`); 200 when an instance of that name already exists with the same spec; '
          + '409 when it exists with a different spec. With `wait=running`: 201 once a new instance answers its health check, '
          + '200 for an existing running one, 202 if it is not running when the wait ends (timeout or failure: see status and lastError).',
        tags: ['instances'], security: Security,
        querystring: WaitQuery,
        body: CreateInstanceBody,
        response: { 200: ref, 201: ref, 202: ref, ...errorResponses(403, 409, 413, 422, 503) },
      },
      preValidation: async (request) => {
        // Fastify coerces a scalar into a one-element array; a command string must not slip through as argv.
        const body = request.body as { command?: unknown } | undefined;
        if (body && typeof body.command === 'string') throw BerthError.invalid('command', 'must be an argv array of strings (it is never run through a shell)');
      },
    }, async (request, reply) => {
      const viewer = viewerOf(request);
      deps.status.require();
      const { instance, created } = await instances.create(request.body, viewer.actor, viewer);
      const now = await waited(instance, request.query, reply);
      if (request.query.wait !== 'running') return reply.status(created ? 202 : 200).send(now);
      if (now.status !== 'running') return reply.status(202).send(now);
      return reply.status(created ? 201 : 200).send(now);
    });

    app.get('/v1/instances', {
      schema: {
        summary: 'List instances, a page at a time (tenant tokens see their own tenant only)', tags: ['instances'], security: Security,
        description: `In creation order, ${LIST_DEFAULT_LIMIT} per page unless \`limit\` says otherwise (at most ${LIST_MAX_LIMIT}). `
          + 'Follow `next` (pass it as `cursor`) until it is null. `view=summary` gives compact items (InstanceSummary). '
          + 'Answers carry an ETag: send it back in If-None-Match to get 304 when nothing changed.',
        querystring: ListQuery,
        response: { 200: Type.Union([FullListSchema, SummaryListSchema]), ...errorResponses(403) },
      },
    }, async (request, reply) => {
      const { tenant, status, plan, limit, offset, cursor, view } = request.query;
      if (cursor !== undefined && offset) throw BerthError.invalid('offset', 'cannot be combined with cursor');
      const filter = {
        ...(tenant ? { tenant } : {}), ...(status ? { status } : {}), ...(plan ? { plan } : {}),
        ...(cursor !== undefined ? { after: decodeCursor(cursor) } : {}),
        limit: limit ?? LIST_DEFAULT_LIMIT, offset: offset ?? 0,
      };
      const nextOf = (page: { items: Array<{ createdAt: string; id: string }>; more: boolean }): string | null => {
        const last = page.items.at(-1);
        return page.more && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null;
      };
      // Each view has its own compiled serializer (the union above documents both; it is never compiled).
      if (view === 'summary') {
        const page = await instances.listBrief(filter, viewerOf(request));
        return reply.serializer(reply.compileSerializationSchema(SummaryListSchema, '200')).send({ items: page.items, total: page.total, next: nextOf(page) });
      }
      const page = await instances.list(filter, viewerOf(request));
      return reply.serializer(reply.compileSerializationSchema(FullListSchema, '200')).send({ items: page.items, total: page.total, next: nextOf(page) });
    });

    app.get('/v1/instances/:idOrName', {
      schema: {
        summary: 'Get an instance by id or name', tags: ['instances'], security: Security,
        params: IdOrNameParams, response: { 200: ref, ...errorResponses(404) },
      },
    }, async (request) => instances.get(request.params.idOrName, viewerOf(request)));

    app.delete('/v1/instances/:idOrName', {
      schema: {
        summary: 'Delete an instance: container, workspace (unless keepData=true), network if dedicated, and its port',
        description: '200 when everything is gone; 202 when the engine failed midway (status `deleting`; the reconciler finishes it).',
        tags: ['instances'], security: Security,
        params: IdOrNameParams,
        querystring: Type.Object({ keepData: Type.Optional(Type.Boolean({ default: false, description: 'Keep the workspace volume' })) }),
        response: { 200: ref, 202: ref, ...errorResponses(404, 409, 503) },
      },
    }, async (request, reply) => {
      const viewer = viewerOf(request);
      const { instance, done } = await instances.delete(request.params.idOrName, { keepData: request.query.keepData ?? false }, viewer.actor, viewer);
      return reply.status(done ? 200 : 202).send(instance);
    });

    app.post('/v1/instances/:idOrName/actions', {
      schema: {
        summary: 'Start, stop or restart an instance', tags: ['instances'], security: Security,
        params: IdOrNameParams,
        querystring: WaitQuery,
        body: Type.Object({
          action: Type.Union([Type.Literal('start'), Type.Literal('stop'), Type.Literal('restart')]),
          reason: Type.Optional(Type.String({ maxLength: 500, description: 'Recorded in the event history' })),
        }, { additionalProperties: false }),
        response: { 200: ref, ...errorResponses(404, 409, 503) },
      },
    }, async (request, reply) => {
      const viewer = viewerOf(request);
      const instance = await instances.act(request.params.idOrName, request.body.action, viewer.actor, viewer, request.body.reason);
      return waited(instance, request.query, reply);
    });

    app.get('/v1/instances/:idOrName/events', {
      schema: {
        summary: 'The instance\'s event history, newest first (oldest first with after=)', tags: ['instances'], security: Security,
        params: IdOrNameParams, querystring: EventQuery,
        response: { 200: listOf(Type.Ref('Event')), ...errorResponses(404) },
      },
    }, async (request) => {
      const row = await instances.find(request.params.idOrName, viewerOf(request));
      const { type, limit, after } = request.query;
      const items = await deps.events.list({ instanceId: row.id, ...(type ? { type } : {}), ...(after !== undefined ? { afterId: after } : {}), limit: limit ?? 100 });
      return { items, total: items.length };
    });

    instanceLogRoutes(app, deps);
  };
}
