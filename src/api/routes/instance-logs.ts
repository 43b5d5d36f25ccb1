import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { BerthError } from '../../common/errors.js';
import type { LogLine } from '../../runtime/runtime-driver.js';
import type { App } from '../app.js';
import { errorResponses, Security } from '../schemas.js';
import { IdOrNameParams } from './instance-schemas.js';
import type { InstanceRouteDeps } from './instance-route-deps.js';
import { maskSecrets } from '../../core/secrets/mask-secrets.js';
import { principalOf } from '../auth.js';
import { viewerOf } from './viewer-of.js';

const StatsSchema = Type.Object({
  instance: Type.String(),
  at: Type.String(),
  cpuPercent: Type.Number(),
  onlineCpus: Type.Integer(),
  memoryBytes: Type.Number(),
  memoryLimitBytes: Type.Number(),
  networkRxBytes: Type.Number(),
  networkTxBytes: Type.Number(),
  pids: Type.Integer(),
  /** Disk as the engine measures it (null when it does not say; absent with disk=false). */
  writableLayerBytes: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  workspaceBytes: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
});

/** `since` as Unix seconds or an RFC 3339 time. */
function parseSince(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.floor(Number(value));
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw BerthError.invalid('since', 'must be Unix seconds or an RFC 3339 time');
  return Math.floor(ms / 1000);
}

function render(line: LogLine, format: 'text' | 'ndjson'): string {
  return format === 'ndjson' ? `${JSON.stringify(line)}\n` : `${line.time ? `${line.time} ` : ''}${line.text}\n`;
}

/** GET …/logs (streamed) and GET …/stats (one-shot) of an instance's container. */
export function instanceLogRoutes(app: App, deps: InstanceRouteDeps): void {
  app.get('/v1/instances/:idOrName/logs', {
    schema: {
      summary: 'Container logs, streamed: text/plain lines "<RFC 3339 time> <text>" by default, or NDJSON {stream,time,text} with format=ndjson',
      description: 'With follow=true the response stays open and streams new lines until the client disconnects or the container stops.',
      tags: ['instances'], security: Security,
      params: IdOrNameParams,
      querystring: Type.Object({
        tail: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000, default: 100, description: 'Lines from the end' })),
        follow: Type.Optional(Type.Boolean({ default: false })),
        since: Type.Optional(Type.String({ maxLength: 40, description: 'Unix seconds or RFC 3339 time' })),
        format: Type.Optional(Type.Union([Type.Literal('text'), Type.Literal('ndjson')], { default: 'text' })),
      }),
      response: {
        200: Type.Unsafe<Readable>({ type: 'string', description: 'text/plain or application/x-ndjson lines' }),
        ...errorResponses(404, 409, 503),
      },
    },
  }, async (request, reply) => {
    const { instance, containerId } = await deps.instances.containerOf(request.params.idOrName, viewerOf(request));
    const secrets = deps.secretsOf ? await deps.secretsOf(instance.id) : [];
    const format = request.query.format ?? 'text';
    const since = parseSince(request.query.since);
    const follow = request.query.follow ?? false;
    const abort = new AbortController();
    // A followed stream takes one of the token's (and the daemon's) stream slots, for a bounded time.
    const slot = follow && deps.streams ? deps.streams.acquire(principalOf(request).tokenId) : undefined;
    slot?.expired.addEventListener('abort', () => abort.abort(), { once: true });
    reply.raw.once('close', () => {
      slot?.release();
      abort.abort();
    });
    const lines = deps.runtime.logs(containerId, {
      tail: request.query.tail ?? 100, follow, signal: abort.signal, ...(since !== undefined ? { since } : {}),
    })[Symbol.asyncIterator]();
    // The first read makes the engine call: its failure still gets a JSON error (headers not yet sent).
    let first: IteratorResult<LogLine>;
    try {
      first = follow ? { done: false, value: { stream: 'stdout', time: '', text: '' } } : await lines.next();
    } catch (error) {
      slot?.release();
      deps.status.report(error);
      throw error;
    }
    const masked = (line: LogLine): LogLine => (secrets.length ? { ...line, text: maskSecrets(line.text, secrets) } : line);
    async function* body(): AsyncGenerator<string> {
      // Runs once the response is piped: send the headers now, a followed log may stay quiet a long time.
      if (follow) reply.raw.flushHeaders();
      try {
        if (!follow && !first.done) yield render(masked(first.value), format);
        for (let next = await lines.next(); !next.done; next = await lines.next()) yield render(masked(next.value), format);
      } catch (error) {
        deps.status.report(error);
        // Headers are sent: end the stream, the log says why.
        request.log.warn({ err: error }, 'log stream ended early');
      }
    }
    void reply.header('cache-control', 'no-store').type(format === 'ndjson' ? 'application/x-ndjson' : 'text/plain; charset=utf-8');
    return reply.send(Readable.from(body()));
  });

  app.get('/v1/instances/:idOrName/stats', {
    schema: {
      summary: 'One-shot CPU, memory, network and PID usage of the instance\'s container', tags: ['instances'], security: Security,
      params: IdOrNameParams,
      querystring: Type.Object({
        disk: Type.Optional(Type.Boolean({
          default: true,
          description: 'Measure the writable layer and the workspace. The engine walks every volume it has to do so (seconds on a busy host); repeated samplers (a watch, a chart) pass false.',
        })),
      }),
      response: { 200: StatsSchema, ...errorResponses(404, 409, 503) },
    },
  }, async (request) => {
    const { instance, containerId } = await deps.instances.containerOf(request.params.idOrName, viewerOf(request));
    try {
      return { instance: instance.name, ...(await deps.runtime.stats(containerId, { disk: request.query.disk !== false })) };
    } catch (error) {
      deps.status.report(error);
      throw error;
    }
  });
}
