import { Type } from '@sinclair/typebox';
import { BerthError } from '../../common/errors.js';
import type { TenantQuotas } from '../../core/tenants/tenant-quotas.js';
import type { App } from '../app.js';
import { requireAdmin } from '../auth.js';
import { errorResponses, listOf, Security } from '../schemas.js';
import { viewerOf } from './viewer-of.js';

const Memory = Type.Union([Type.String({ maxLength: 32 }), Type.Number({ exclusiveMinimum: 0 })], { description: 'A size such as "64GiB", or a number of MiB' });
const LimitFields = {
  maxInstances: Type.Integer({ minimum: 0 }),
  maxCpus: Type.Number({ minimum: 0, description: 'Sum of the CPUs of the tenant\'s instances\' plans' }),
  maxMemory: Memory,
  maxJobs: Type.Integer({ minimum: 0 }),
  minJobIntervalSeconds: Type.Integer({ minimum: 1, description: 'Shortest gap between two runs of a tenant\'s cron schedule' }),
  plans: Type.Array(Type.String({ maxLength: 32 }), { maxItems: 64, description: 'Plans the tenant may use; empty: every plan' }),
};
const Limits = Type.Object({ ...LimitFields, maxMemoryBytes: Type.Integer() });
export const TenantView = Type.Object({
  tenant: Type.String(),
  limits: Limits,
  overrides: Type.Partial(Type.Object(LimitFields)),
  usage: Type.Object({ instances: Type.Integer(), cpus: Type.Number(), memoryBytes: Type.Integer(), jobs: Type.Integer() }),
}, { $id: 'Tenant', title: 'Tenant' });
const LIMIT_NAMES = ['maxInstances', 'maxCpus', 'maxMemory', 'maxJobs', 'minJobIntervalSeconds', 'plans'] as const;
// No nulls: the API's type coercion would turn a null into 0 or [""]; keys are cleared with `reset`.
const LimitsPatch = Type.Object({
  ...Type.Partial(Type.Object(LimitFields)).properties,
  reset: Type.Optional(Type.Array(Type.Union(LIMIT_NAMES.map((n) => Type.Literal(n))), { description: 'Keys to clear back to config tenants.defaults' })),
}, { additionalProperties: false, description: 'Keys to set for this tenant; unnamed keys keep their value' });
const Params = Type.Object({ tenant: Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' }) });

/** /v1/tenants: limits and usage per tenant (a tenant token sees its own); limits are set by admins. */
export function tenantRoutes(quotas: TenantQuotas) {
  return (app: App): void => {
    app.addSchema(TenantView);
    const ref = Type.Ref('Tenant');

    app.get('/v1/tenants', {
      schema: { summary: 'Tenants with their limits and usage (a tenant token: its own only)', tags: ['tenants'], security: Security, response: { 200: listOf(ref), ...errorResponses() } },
    }, async (request) => {
      const viewer = viewerOf(request);
      const items = viewer.tenant ? [await quotas.get(viewer.tenant)] : await quotas.list();
      return { items, total: items.length };
    });

    app.get('/v1/tenants/:tenant', {
      schema: { summary: 'One tenant\'s limits and usage', tags: ['tenants'], security: Security, params: Params, response: { 200: ref, ...errorResponses(404) } },
    }, async (request) => {
      const viewer = viewerOf(request);
      if (viewer.tenant && viewer.tenant !== request.params.tenant) throw new BerthError('TENANT_NOT_FOUND', `no tenant ${request.params.tenant}`);
      return quotas.get(request.params.tenant);
    });

    app.put('/v1/tenants/:tenant/limits', {
      schema: {
        summary: 'Set a tenant\'s limits over config tenants.defaults (admin only)', tags: ['tenants'], security: Security, params: Params,
        body: LimitsPatch, response: { 200: ref, ...errorResponses(403) },
      },
    }, async (request) => {
      requireAdmin(request);
      const { reset, ...set } = request.body;
      return quotas.setLimits(request.params.tenant, { ...set, ...Object.fromEntries((reset ?? []).map((k) => [k, null])) });
    });
  };
}
