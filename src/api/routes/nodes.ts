import { Type } from '@sinclair/typebox';
import { BerthError } from '../../common/errors.js';
import type { EventLog } from '../../core/events/event-log.js';
import type { ClusterNodes } from '../../runtime/cluster-nodes.js';
import { scopeFilter } from '../../runtime/labels.js';
import type { RuntimeStatus } from '../../runtime/runtime-status.js';
import type { App } from '../app.js';
import { requireAdmin } from '../auth.js';
import { errorResponses, Security } from '../schemas.js';

export const Node = Type.Object({
  id: Type.String(),
  hostname: Type.String(),
  role: Type.String({ description: 'manager or worker' }),
  availability: Type.String({ description: 'active, pause or drain' }),
  state: Type.String({ description: 'ready, down, unknown, disconnected' }),
  address: Type.Union([Type.String(), Type.Null()]),
  leader: Type.Boolean(),
  engineVersion: Type.Union([Type.String(), Type.Null()]),
  labels: Type.Record(Type.String(), Type.String()),
  cpus: Type.Number(),
  memoryBytes: Type.Number(),
  instances: Type.Integer({ description: "This berth's instances whose task runs on the node" }),
  engine: Type.Union([Type.Literal('reachable'), Type.Literal('unreachable'), Type.Literal('not configured')], { description: 'berth\'s own connection to the node\'s engine (swarm.nodeEngines), for exec jobs and stats' }),
  noNewPrivileges: Type.Optional(Type.Union([Type.Literal('enforced'), Type.Literal('off'), Type.Literal('unknown'), Type.Null()], {
    description: "whether tasks on the node run with no-new-privileges: the Swarm service API cannot set it, the node's dockerd must (--no-new-privileges); measured in a running instance there, unknown when none runs, null without a node engine",
  })),
}, { $id: 'Node', title: 'Node' });

export interface NodeRouteDeps {
  /** Undefined on a single-host driver. */
  nodes: ClusterNodes | undefined;
  scope: string;
  status: RuntimeStatus;
  events: EventLog;
}

/** /v1/nodes: the cluster's nodes (runtime.driver swarm), drain/activate, load an image. Admin only. */
export function nodeRoutes(deps: NodeRouteDeps) {
  const cluster = (): ClusterNodes => {
    if (!deps.nodes) throw new BerthError('INVALID_STATE', 'runtime.driver is docker: berth runs on one host and has no nodes (set runtime.driver: swarm)');
    deps.status.require();
    return deps.nodes;
  };
  return (app: App): void => {
    app.addSchema(Node);
    const ref = Type.Ref('Node');

    app.get('/v1/nodes', {
      schema: {
        summary: 'List the cluster nodes', tags: ['nodes'], security: Security,
        response: { 200: Type.Object({ items: Type.Array(ref) }), ...errorResponses(403, 409, 503) },
      },
    }, async (request) => {
      requireAdmin(request);
      return { items: await cluster().listNodes(scopeFilter(deps.scope)) };
    });

    app.post('/v1/nodes/:id/actions', {
      schema: {
        summary: 'Drain a node (Swarm moves its tasks away; berth restarts its instances elsewhere) or make it active again', tags: ['nodes'], security: Security,
        params: Type.Object({ id: Type.String({ description: 'Node id or hostname' }) }),
        body: Type.Object({ action: Type.Union([Type.Literal('drain'), Type.Literal('activate')]) }, { additionalProperties: false }),
        response: { 200: ref, ...errorResponses(403, 404, 409, 503) },
      },
    }, async (request) => {
      const principal = requireAdmin(request);
      const node = await cluster().setAvailability(request.params.id, request.body.action === 'drain' ? 'drain' : 'active', scopeFilter(deps.scope));
      await deps.events.record({ instanceId: null, tenant: null, type: `node-${request.body.action === 'drain' ? 'drained' : 'activated'}`, actor: principal.name, message: `node ${node.hostname} set to ${node.availability}`, data: { node: node.id, hostname: node.hostname } });
      return node;
    });

    app.post('/v1/nodes/load-image', {
      schema: {
        summary: "Copy an image from the manager's engine to every node engine berth reaches (there is no registry; berth never does this implicitly)", tags: ['nodes'], security: Security,
        body: Type.Object({ image: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
        response: {
          200: Type.Object({ image: Type.String(), nodes: Type.Array(Type.Object({ node: Type.String(), result: Type.String(), error: Type.Optional(Type.String()) })) }),
          ...errorResponses(403, 409, 422, 503),
        },
      },
    }, async (request) => {
      requireAdmin(request);
      return { image: request.body.image, nodes: await cluster().loadImage(request.body.image) };
    });
  };
}
