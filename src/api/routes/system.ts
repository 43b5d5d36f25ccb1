import { Type } from '@sinclair/typebox';
import type { Registry } from 'prom-client';
import type { HealthRegistry } from '../../common/health.js';
import type { LeadershipStatus } from '../../coordination/leadership.js';
import type { Store } from '../../store/store.js';
import type { App } from '../app.js';

export interface SystemDeps {
  version: string;
  startedAt: number;
  now: () => number;
  health: HealthRegistry;
  store: Store;
  metrics: Registry;
  isReady: () => boolean;
  /** This process's place among the berths on the store (leader or follower). */
  cluster?: () => LeadershipStatus;
}

const Component = Type.Object({ status: Type.String(), detail: Type.Optional(Type.String()) });
const Cluster = Type.Object({
  role: Type.Union([Type.Literal('leader'), Type.Literal('follower')], { description: 'leader: this process runs the reconciler, monitor and restarts; every process serves the API' }),
  processId: Type.String({ description: 'This process (cluster.processId)' }),
  leader: Type.Union([Type.String(), Type.Null()], { description: 'The process holding the leader lease, as last seen' }),
  leaseAgeSeconds: Type.Union([Type.Number(), Type.Null()], { description: 'Seconds since the current leader took the lease' }),
  term: Type.Union([Type.Number(), Type.Null()], { description: 'The lease fencing token (bumped on each takeover); null with SQLite' }),
  mode: Type.Union([Type.Literal('lease'), Type.Literal('single')], { description: 'lease: several berths on Postgres; single: SQLite, one process' }),
});

/** Unauthenticated probes for operators and load balancers: /health, /ready, /metrics, /openapi.json. */
export function systemRoutes(deps: SystemDeps) {
  return (app: App): void => {
    app.get('/health', {
      schema: {
        summary: 'Liveness and the status of each component',
        tags: ['system'],
        response: {
          200: Type.Object({
            status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
            version: Type.String(),
            uptimeSeconds: Type.Number(),
            ready: Type.Boolean(),
            components: Type.Record(Type.String(), Component),
            cluster: Type.Optional(Cluster),
          }),
        },
      },
    }, async () => {
      const components = deps.health.snapshot();
      const degraded = Object.values(components).some((c) => c.status === 'down' || c.status === 'degraded');
      return {
        status: degraded ? 'degraded' as const : 'ok' as const,
        version: deps.version,
        uptimeSeconds: Math.round((deps.now() - deps.startedAt) / 100) / 10,
        ready: deps.isReady(),
        components,
        ...(deps.cluster ? { cluster: deps.cluster() } : {}),
      };
    });

    app.get('/ready', {
      schema: {
        summary: 'Ready to serve: boot complete and the store answers',
        tags: ['system'],
        response: { 200: Type.Object({ ready: Type.Literal(true) }), 503: Type.Object({ ready: Type.Literal(false), reason: Type.String() }) },
      },
    }, async (_req, reply) => {
      if (!deps.isReady()) return reply.status(503).send({ ready: false, reason: 'booting' });
      try {
        await deps.store.ping();
      } catch {
        // Open endpoint: say what is wrong, never the database's host, name or the driver's words (those go to the log).
        return reply.status(503).send({ ready: false, reason: 'store does not answer' });
      }
      return { ready: true as const };
    });

    app.get('/metrics', {
      schema: { summary: 'Prometheus metrics', tags: ['system'], produces: ['text/plain'], response: { 200: Type.String() } },
    }, async (_req, reply) => {
      void reply.type(deps.metrics.contentType);
      return deps.metrics.metrics();
    });

    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  };
}
