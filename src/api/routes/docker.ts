import { Type } from '@sinclair/typebox';
import { BerthError } from '../../common/errors.js';
import type { RuntimeDriver, ContainerInfo } from '../../runtime/runtime-driver.js';
import type { RuntimeStatus } from '../../runtime/runtime-status.js';
import type { App } from '../app.js';
import { requireAdmin } from '../auth.js';
import { errorResponses, listOf, Security } from '../schemas.js';

export const Container = Type.Object({
  id: Type.String(),
  name: Type.String(),
  image: Type.String(),
  state: Type.String(),
  labels: Type.Record(Type.String(), Type.String()),
  createdAt: Type.Union([Type.String(), Type.Null()]),
  startedAt: Type.Union([Type.String(), Type.Null()]),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  exitCode: Type.Union([Type.Integer(), Type.Null()]),
  oomKilled: Type.Boolean(),
  health: Type.Union([Type.String(), Type.Null()]),
  restartCount: Type.Integer(),
  ports: Type.Array(Type.Object({ containerPort: Type.Integer(), hostPort: Type.Integer(), hostIp: Type.String() })),
}, { $id: 'DockerContainer', title: 'DockerContainer' });

const NameParam = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128, pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$' }) });

/**
 * /v1/docker: a thin, admin-only passthrough to the engine for operators (any container, not
 * only berth's), in the shape of the system-manager tools they know. 503 without an engine.
 */
export function dockerRoutes(runtime: RuntimeDriver, status: RuntimeStatus) {
  async function call<T>(fn: () => Promise<T>): Promise<T> {
    status.require();
    try {
      return await fn();
    } catch (error) {
      status.report(error);
      throw error;
    }
  }
  async function find(name: string): Promise<ContainerInfo> {
    const info = await call(() => runtime.inspectContainer(name));
    if (!info) throw new BerthError('CONTAINER_NOT_FOUND', `no container named ${name}`);
    return info;
  }

  return (app: App): void => {
    app.addSchema(Container);
    const ref = Type.Ref('DockerContainer');

    app.get('/v1/docker/containers', {
      schema: {
        summary: 'List containers on the engine', tags: ['docker'], security: Security,
        querystring: Type.Object({ all: Type.Optional(Type.Boolean({ default: false })) }),
        response: { 200: listOf(ref), ...errorResponses(403, 503) },
      },
    }, async (request) => {
      requireAdmin(request);
      const items = await call(() => runtime.listContainers({ all: request.query.all ?? false }));
      return { items, total: items.length };
    });

    app.get('/v1/docker/containers/:name/status', {
      schema: {
        summary: 'A container\'s state, timestamps, exit code and health', tags: ['docker'], security: Security,
        params: NameParam, response: { 200: ref, ...errorResponses(403, 404, 503) },
      },
    }, async (request) => {
      requireAdmin(request);
      return find(request.params.name);
    });

    app.post('/v1/docker/containers/:name', {
      schema: {
        summary: 'Start, stop or restart a container', tags: ['docker'], security: Security,
        params: NameParam,
        body: Type.Object({
          action: Type.Union([Type.Literal('start'), Type.Literal('stop'), Type.Literal('restart')]),
          timeout: Type.Optional(Type.Integer({ minimum: 0, maximum: 600, default: 10 })),
        }, { additionalProperties: false }),
        response: { 200: ref, ...errorResponses(403, 404, 503) },
      },
    }, async (request) => {
      requireAdmin(request);
      const info = await find(request.params.name);
      const timeout = request.body.timeout ?? 10;
      if (request.body.action === 'start') await call(() => runtime.startContainer(info.id));
      else if (request.body.action === 'stop') await call(() => runtime.stopContainer(info.id, timeout));
      else await call(() => runtime.restartContainer(info.id, timeout));
      return find(info.id);
    });

    app.get('/v1/docker/containers/:name/logs', {
      schema: {
        summary: 'The last lines of a container\'s logs', tags: ['docker'], security: Security,
        params: NameParam,
        querystring: Type.Object({ tail: Type.Optional(Type.Integer({ minimum: 0, maximum: 10000, default: 100 })) }),
        response: {
          200: Type.Object({ container: Type.String(), lines: Type.Array(Type.Object({ stream: Type.String(), time: Type.String(), text: Type.String() })) }),
          ...errorResponses(403, 404, 503),
        },
      },
    }, async (request) => {
      requireAdmin(request);
      const info = await find(request.params.name);
      const lines = await call(async () => {
        const out = [];
        for await (const line of runtime.logs(info.id, { tail: request.query.tail ?? 100 })) out.push(line);
        return out;
      });
      return { container: info.name, lines };
    });
  };
}
