import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../../common/clock.js';
import type { ServiceLogLine } from '../../core/supervision/s6-log-lines.js';
import { serviceLogs } from '../../core/supervision/service-logs.js';
import { find, type SupervisionService } from '../../core/supervision/supervision-service.js';
import type { SupervisionTarget } from '../../core/supervision/supervision-types.js';
import type { RuntimeDriver } from '../../runtime/runtime-driver.js';
import type { App } from '../app.js';
import { errorResponses, Security } from '../schemas.js';
import { ActionBody, ActionQuery, LogQuery, ServiceListSchema, ServiceParams, ServiceSchema, SupervisedContainerSchema } from './service-schemas.js';
import { viewerOf } from './viewer-of.js';

export interface ServiceRouteDeps {
  supervision: SupervisionService;
  runtime: RuntimeDriver;
  clock: Clock;
}

type Resolve = (request: FastifyRequest) => Promise<SupervisionTarget>;

function render(line: ServiceLogLine, format: 'text' | 'ndjson'): string {
  return format === 'ndjson' ? `${JSON.stringify(line)}\n` : `${line.time ? `${line.time} ` : ''}${line.text}\n`;
}

/**
 * s6 services inside containers: /v1/containers (instances with s6 and registered
 * containers) and /v1/instances/{idOrName}/services. Tenant tokens see their own instances
 * only; registered containers are admin-only.
 */
export function serviceRoutes(deps: ServiceRouteDeps) {
  const s = deps.supervision;

  function register(app: App, prefix: string, param: string, tag: string, resolve: Resolve): void {
    const params = Type.Object({ [param]: Type.String({ minLength: 1, maxLength: 128 }) });
    const withService = Type.Composite([params, ServiceParams]);

    app.get(`${prefix}/services`, {
      schema: {
        summary: `List the s6 services of ${tag === 'instances' ? 'an instance' : 'a supervised container'}`, tags: [tag], security: Security,
        params, response: { 200: Type.Ref('ServiceList'), ...errorResponses(403, 404, 409, 503) },
      },
    }, async (request) => s.list(await resolve(request)));

    app.get(`${prefix}/services/:service`, {
      schema: {
        summary: 'One s6 service: state, pid, uptime, exit code and the s6-svstat line', tags: [tag], security: Security,
        params: withService, response: { 200: Type.Ref('Service'), ...errorResponses(403, 404, 409, 503) },
      },
    }, async (request) => s.get(await resolve(request), (request.params as { service: string }).service));

    app.post(`${prefix}/services/:service/actions`, {
      schema: {
        summary: 'Bring a service up, down, restart it or run it once; waits (bounded) for s6 to report the change',
        description: 'Answers the new state with `settled: false` when s6 did not report the change within the timeout.',
        tags: [tag], security: Security, params: withService, body: ActionBody, querystring: ActionQuery,
        response: { 200: Type.Composite([ServiceSchema, Type.Object({ settled: Type.Boolean() })]), ...errorResponses(403, 404, 409, 503) },
      },
    }, async (request) => {
      const target = await resolve(request);
      const timeoutMs = (request.query.timeout ?? 10) * 1000;
      return s.act(target, (request.params as { service: string }).service, request.body.action, timeoutMs, viewerOf(request).actor);
    });

    app.get(`${prefix}/services/:service/logs`, {
      schema: {
        summary: 'A service\'s s6-log output (<logDir>/<service>/current): text lines "<time> <text>" or NDJSON {time,text}',
        description: 'With follow=true the response stays open and streams new lines until the client disconnects. 404 SERVICE_LOG_NOT_FOUND when the service does not log through s6-log there.',
        tags: [tag], security: Security, params: withService, querystring: LogQuery,
        response: { 200: Type.Unsafe<Readable>({ type: 'string' }), ...errorResponses(403, 404, 409, 503) },
      },
    }, async (request, reply) => {
      const target = await resolve(request);
      const service = (request.params as { service: string }).service;
      const at = await s.call(() => s.locator.locate(target));
      find(at, service, target);
      const format = request.query.format ?? 'text';
      const follow = request.query.follow ?? false;
      const abort = new AbortController();
      reply.raw.once('close', () => abort.abort());
      const lines = serviceLogs(deps.runtime, deps.clock, at.containerId, service, s.config.logDir, {
        tail: request.query.tail ?? 100, follow, signal: abort.signal,
      })[Symbol.asyncIterator]();
      // The first read happens before the headers: a missing log is still a JSON 404.
      const first = await s.call(() => lines.next());
      async function* body(): AsyncGenerator<string> {
        if (follow) reply.raw.flushHeaders();
        try {
          if (!first.done) yield render(first.value, format);
          for (let next = await lines.next(); !next.done; next = await lines.next()) yield render(next.value, format);
        } catch (error) {
          request.log.warn({ err: error }, 'service log stream ended early');
        }
      }
      void reply.header('cache-control', 'no-store').type(format === 'ndjson' ? 'application/x-ndjson' : 'text/plain; charset=utf-8');
      return reply.send(Readable.from(body()));
    });
  }

  return (app: App): void => {
    app.addSchema(ServiceSchema);
    app.addSchema(ServiceListSchema);
    app.addSchema(SupervisedContainerSchema);

    app.get('/v1/containers', {
      schema: {
        summary: 'Every supervised container: instances whose image runs s6, and containers registered in config',
        description: 'Tenant tokens see their own instances only.',
        tags: ['services'], security: Security,
        response: { 200: Type.Object({ items: Type.Array(Type.Ref('SupervisedContainer')), total: Type.Integer() }), ...errorResponses(503) },
      },
    }, async (request) => {
      const items = await s.listContainers(viewerOf(request));
      return { items, total: items.length };
    });

    register(app, '/v1/containers/:container', 'container', 'services',
      (request) => s.forContainer((request.params as { container: string }).container, viewerOf(request)));
    register(app, '/v1/instances/:idOrName', 'idOrName', 'instances',
      (request) => s.forInstance((request.params as { idOrName: string }).idOrName, viewerOf(request)));
  };
}
