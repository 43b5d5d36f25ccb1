import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { Clock, TimerHandle } from '../../common/clock.js';
import type { ChangeResult, RevisionService } from '../../core/upgrades/revision-service.js';
import type { Upgrade } from '../../core/upgrades/upgrade-types.js';
import type { App } from '../app.js';
import { errorResponses, listOf, Security } from '../schemas.js';
import { IdOrNameParams } from './instance-schemas.js';
import { addRevisionSchemas, ChangeResponse, PatchInstanceBody, RollbackBody, WaitUpgradeQuery } from './revision-schemas.js';
import { viewerOf } from './viewer-of.js';

export interface RevisionRouteDeps {
  revisions: RevisionService;
  /** Runs a queued upgrade now; resolves when it has ended. */
  submit: (upgradeId: string) => Promise<Upgrade>;
  /** The instance as it is now (after a waited rollout). */
  instanceAfter: (id: string, viewer: { tenant: string | null }) => Promise<ChangeResult['instance']>;
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
}

/** PATCH /v1/instances/{i} (a new revision, rolled out health-gated), its revisions and upgrades, and rollback. */
export function revisionRoutes(deps: RevisionRouteDeps) {
  async function answer(result: ChangeResult, query: { wait?: boolean; timeout?: number }, viewer: { tenant: string | null }, reply: FastifyReply) {
    if (!result.upgrade) return reply.status(200).send({ ...result, changed: false });
    const running = deps.submit(result.upgrade.id);
    if (!query.wait) {
      void running.catch(() => undefined);
      return reply.status(202).send({ ...result, changed: true });
    }
    let timer: TimerHandle | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = deps.clock.setTimeout(() => resolve(undefined), (query.timeout ?? 300) * 1000);
    });
    const ended = await Promise.race([running.catch(() => undefined), timeout]);
    if (timer) deps.clock.clearTimeout(timer);
    const instance = await deps.instanceAfter(result.instance.id, viewer);
    if (!ended) return reply.status(202).send({ ...result, instance, changed: true });
    return reply.status(200).send({ ...result, instance, upgrade: ended, changed: true });
  }

  return (app: App): void => {
    addRevisionSchemas(app);

    app.patch('/v1/instances/:idOrName', {
      schema: {
        summary: 'Change an instance: a new revision, rolled out health-gated',
        description: 'Any subset of image, command, env, secrets, plan, port, health (env and secrets merge key by key; null removes a key). '
          + 'Validated like a create; nothing changes on a refusal. 202 with the queued rollout; with wait=true 200 once it ended (see upgrade.status). '
          + 'A patch that changes nothing answers 200 with changed=false and makes no revision.',
        tags: ['revisions'], security: Security, params: IdOrNameParams, querystring: WaitUpgradeQuery, body: PatchInstanceBody,
        response: { 200: ChangeResponse, 202: ChangeResponse, ...errorResponses(403, 404, 409, 422, 503) },
      },
    }, async (request, reply) => {
      const viewer = viewerOf(request);
      const { rollout, reason, ...patch } = request.body;
      const result = await deps.revisions.patch(request.params.idOrName, patch as Parameters<RevisionService['patch']>[1], { ...(rollout ? { rollout } : {}), ...(reason ? { reason } : {}) }, viewer.actor, viewer);
      return answer(result, request.query, viewer, reply);
    });

    app.get('/v1/instances/:idOrName/revisions', {
      schema: {
        summary: 'The instance\'s revisions, newest first (who, when, what changed; secret values never)', tags: ['revisions'], security: Security,
        params: IdOrNameParams,
        response: { 200: Type.Object({ ...listOf(Type.Ref('Revision')).properties, current: Type.Integer(), previous: Type.Union([Type.Integer(), Type.Null()]) }), ...errorResponses(404) },
      },
    }, async (request) => deps.revisions.list(request.params.idOrName, viewerOf(request)));

    app.get('/v1/instances/:idOrName/upgrades', {
      schema: {
        summary: 'The instance\'s rollouts (upgrades and rollbacks), newest first, with outcome and downtime', tags: ['revisions'], security: Security,
        params: IdOrNameParams, response: { 200: listOf(Type.Ref('Upgrade')), ...errorResponses(404) },
      },
    }, async (request) => {
      const items = await deps.revisions.upgradesOf(request.params.idOrName, viewerOf(request));
      return { items, total: items.length };
    });

    app.post('/v1/instances/:idOrName/rollback', {
      schema: {
        summary: 'Go back to an earlier revision (default: the previous one), health-gated like any rollout', tags: ['revisions'], security: Security,
        params: IdOrNameParams, querystring: WaitUpgradeQuery, body: Type.Optional(RollbackBody),
        response: { 200: ChangeResponse, 202: ChangeResponse, ...errorResponses(403, 404, 409, 503) },
      },
    }, async (request, reply) => {
      const viewer = viewerOf(request);
      const body = request.body ?? {};
      const result = await deps.revisions.rollback(request.params.idOrName, body.revision, { ...(body.rollout ? { rollout: body.rollout } : {}), ...(body.reason ? { reason: body.reason } : {}) }, viewer.actor, viewer);
      return answer(result, request.query, viewer, reply);
    });
  };
}
