import { Type } from '@sinclair/typebox';
import type { PlanCatalog } from '../../core/plans/resolve-plans.js';
import type { App } from '../app.js';
import { principalOf } from '../auth.js';
import { errorResponses, listOf, Security } from '../schemas.js';

const PlanView = Type.Object({
  name: Type.String(),
  default: Type.Boolean({ description: 'Used when a create request names no plan' }),
  cpus: Type.Number(),
  memory: Type.String(),
  memoryBytes: Type.Integer(),
  pidsLimit: Type.Integer(),
  readOnlyRootfs: Type.Boolean(),
  dedicatedNetwork: Type.Boolean(),
  internalNetwork: Type.Boolean(),
  health: Type.Ref('HealthSpec'),
  restart: Type.Object({
    baseDelaySeconds: Type.Number(),
    maxDelaySeconds: Type.Number(),
    jitter: Type.Number(),
    resetAfterSeconds: Type.Number(),
    crashloopRestarts: Type.Integer(),
    windowSeconds: Type.Number(),
    failAfterRestarts: Type.Integer(),
  }),
}, { $id: 'Plan', title: 'Plan' });

/** GET /v1/plans: the plans instances can run on (from config). */
export function planRoutes(plans: PlanCatalog, defaultPlan: string) {
  return (app: App): void => {
    app.addSchema(PlanView);
    app.get('/v1/plans', {
      schema: {
        summary: 'List plans: CPU, memory, PID limit, network isolation, health and restart defaults', tags: ['plans'], security: Security,
        response: { 200: listOf(Type.Ref('Plan')), ...errorResponses() },
      },
    }, async (request) => {
      principalOf(request);
      const items = [...plans.values()].map((p) => ({ ...p, default: p.name === defaultPlan }));
      return { items, total: items.length };
    });
  };
}
