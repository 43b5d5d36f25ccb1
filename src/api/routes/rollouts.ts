import { Type } from '@sinclair/typebox';
import type { CreateRolloutInput, RolloutService } from '../../core/rollouts/rollout-service.js';
import type { App } from '../app.js';
import { errorResponses, listOf, Security } from '../schemas.js';
import { addRevisionSchemas, CreateRolloutBody } from './revision-schemas.js';
import { viewerOf } from './viewer-of.js';

const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** /v1/rollouts: one patch over many instances in waves (a tenant token: its own instances only). */
export function rolloutRoutes(rollouts: RolloutService) {
  return (app: App): void => {
    addRevisionSchemas(app);
    const ref = Type.Ref('Rollout');

    app.post('/v1/rollouts', {
      schema: {
        summary: 'Start a fleet rollout: the patch over the selected instances, maxParallel at a time, stopping past maxFailures',
        description: 'The selected instances are fixed now, and the patch is checked against each of them: a refusal makes nothing. '
          + 'A rollout is kept in the store and continues after a berth restart.',
        tags: ['rollouts'], security: Security, body: CreateRolloutBody, response: { 201: ref, ...errorResponses(403, 404) },
      },
    }, async (request, reply) => {
      const viewer = viewerOf(request);
      return reply.status(201).send(await rollouts.create(request.body as CreateRolloutInput, viewer.actor, viewer));
    });

    app.get('/v1/rollouts', {
      schema: {
        summary: 'Rollouts, newest first (a tenant token: its own)', tags: ['rollouts'], security: Security,
        querystring: Type.Object({ status: Type.Optional(Type.Union(['running', 'paused', 'cancelled', 'succeeded', 'failed'].map((s) => Type.Literal(s)))) }),
        response: { 200: listOf(ref), ...errorResponses() },
      },
    }, async (request) => rollouts.list(viewerOf(request), request.query.status));

    app.get('/v1/rollouts/:id', {
      schema: { summary: 'A rollout with each instance\'s outcome', tags: ['rollouts'], security: Security, params: Params, response: { 200: ref, ...errorResponses(404) } },
    }, async (request) => rollouts.get(request.params.id, viewerOf(request)));

    app.post('/v1/rollouts/:id/actions', {
      schema: {
        summary: 'Pause, resume or cancel a rollout (instances mid-rollout finish their step; pending ones wait or are cancelled)',
        tags: ['rollouts'], security: Security, params: Params,
        body: Type.Object({ action: Type.Union([Type.Literal('pause'), Type.Literal('resume'), Type.Literal('cancel')]) }, { additionalProperties: false }),
        response: { 200: ref, ...errorResponses(404, 409) },
      },
    }, async (request) => {
      const viewer = viewerOf(request);
      return rollouts.act(request.params.id, request.body.action, viewer.actor, viewer);
    });
  };
}
