import { PassThrough, type Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FleetFeed, FleetMessage } from '../../core/instances/fleet-feed.js';
import type { Instance } from '../../core/instances/instance-types.js';
import { principalOf } from '../auth.js';
import type { App } from '../app.js';
import { errorResponses, Security } from '../schemas.js';
import type { StreamSlots } from '../stream-slots.js';
import { addSharedSchemas } from './instance-schemas.js';
import { viewerOf } from './viewer-of.js';

export interface FleetStreamDeps {
  feed: FleetFeed;
  /** The same caps as followed log streams (per token, in total, duration). */
  streams?: StreamSlots;
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs?: number;
  /** A client that does not read: past this many unsent bytes its stream is ended (it reconnects for a fresh snapshot). */
  maxBufferedBytes?: number;
}

// Module-level schema objects: Fastify caches the compiled serializer per object.
const SnapshotData = Type.Object({ items: Type.Array(Type.Ref('Instance')) });
const ChangesData = Type.Object({ upserts: Type.Array(Type.Ref('Instance')), removed: Type.Array(Type.String()) });

const DESCRIPTION = [
  'Server-Sent Events (`text/event-stream`) with the live fleet, what the dashboard\'s fleet view uses.',
  'First `event: snapshot` with `{"items": [Instance…]}` (every instance the token may see), then',
  '`event: changes` with `{"upserts": [Instance…], "removed": [id…]}` whenever instances change, are',
  'created or go away; nothing is sent while nothing changes (a `:` comment line keeps the',
  'connection alive). berth reads the store once per second (less often when a read is slow) for all open streams together, so',
  'changes made by any berth process on the same database appear. A stream counts against the',
  'followed-stream caps and ends after `streams.maxSeconds`; reconnect to get a fresh snapshot.',
  'With `once=true` the stream ends after the snapshot.',
].join(' ');

/** GET /v1/events/stream: the fleet as a snapshot and then changes, scoped to the token's tenant. */
export function fleetStreamRoutes(deps: FleetStreamDeps) {
  return (app: App): void => {
    addSharedSchemas(app);
    const open = new Set<() => void>();
    // Open streams would hold a graceful close until its grace ends: end them first.
    app.addHook('preClose', async () => {
      for (const end of [...open]) end();
      deps.feed.close();
    });

    app.get('/v1/events/stream', {
      schema: {
        summary: 'The live fleet as Server-Sent Events: a snapshot, then changes', description: DESCRIPTION,
        tags: ['events'], security: Security,
        querystring: Type.Object({ once: Type.Optional(Type.Boolean({ default: false, description: 'End the stream after the snapshot' })) }),
        response: { 200: Type.Unsafe<Readable>({ type: 'string', description: 'text/event-stream' }), ...errorResponses(503) },
      },
    }, async (request, reply) => {
      const viewer = viewerOf(request);
      const once = request.query.once ?? false;
      const slot = once ? undefined : deps.streams?.acquire(principalOf(request).tokenId);
      const snapshot = reply.compileSerializationSchema(SnapshotData);
      const changes = reply.compileSerializationSchema(ChangesData);
      const visible = (i: Pick<Instance, 'tenant'>): boolean => viewer.tenant === null || i.tenant === viewer.tenant;
      const out = new PassThrough();
      let ended = false;
      let unsubscribe: (() => void) | undefined;
      // The snapshot may be large and is sent at once: the allowance is on top of it.
      let allowance = deps.maxBufferedBytes ?? 8 * 1024 * 1024;
      const write = (chunk: string, snapshotChunk = false): void => {
        if (ended) return;
        if (snapshotChunk) allowance += Buffer.byteLength(chunk);
        out.write(chunk);
        if (out.writableLength + reply.raw.writableLength > allowance) end();
      };
      const heartbeat = setInterval(() => write(': keep-alive\n\n'), deps.heartbeatMs ?? 15_000);
      heartbeat.unref();
      const end = (): void => {
        if (ended) return;
        ended = true;
        unsubscribe?.();
        clearInterval(heartbeat);
        slot?.release();
        open.delete(end);
        out.end();
      };
      open.add(end);
      reply.raw.once('close', end);
      slot?.expired.addEventListener('abort', end, { once: true });

      // The comment sends the headers at once; `retry` tells EventSource clients how long to wait before reconnecting.
      write(': berth fleet stream\nretry: 2000\n\n');
      const listener = (m: FleetMessage): void => {
        if (ended) return;
        if (m.type === 'snapshot') {
          write(`event: snapshot\ndata: ${snapshot({ items: m.items.filter(visible) })}\n\n`, true);
          if (once) end();
          return;
        }
        const upserts = m.upserts.filter(visible);
        const removed = m.removed.filter(visible).map((r) => r.id);
        if (upserts.length > 0 || removed.length > 0) write(`event: changes\ndata: ${changes({ upserts, removed })}\n\n`);
      };
      // The snapshot may arrive inside subscribe (and, with once, end the stream there).
      let off: () => void;
      try {
        off = deps.feed.subscribe(listener);
      } catch (error) {
        end();
        throw error;
      }
      if (ended) off();
      else unsubscribe = off;

      void reply.header('content-type', 'text/event-stream; charset=utf-8').header('cache-control', 'no-store').header('x-accel-buffering', 'no');
      return reply.send(out);
    });
  };
}
