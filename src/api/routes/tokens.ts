import { Type } from '@sinclair/typebox';
import type { TokenService } from '../../core/tokens/token-service.js';
import type { App } from '../app.js';
import { requireAdmin } from '../auth.js';
import { errorResponses, listOf, Security } from '../schemas.js';

export const TokenView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scope: Type.Union([Type.Literal('admin'), Type.Literal('tenant')]),
  tenant: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
  expiresAt: Type.Union([Type.String(), Type.Null()], { description: 'After this the token no longer authenticates; null: never' }),
}, { $id: 'Token', title: 'Token' });

/** /v1/tokens: admin-only management of API tokens. */
export function tokenRoutes(tokens: TokenService) {
  return (app: App): void => {
    app.addSchema(TokenView);
    const ref = Type.Ref('Token');

    app.post('/v1/tokens', {
      schema: {
        summary: 'Create a token (the plain token is returned once)',
        tags: ['tokens'],
        security: Security,
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 63 }),
          scope: Type.Optional(Type.Union([Type.Literal('admin'), Type.Literal('tenant')])),
          tenant: Type.Optional(Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' })),
          expiresInSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 * 365 * 86400, description: 'The token stops working this many seconds after creation' })),
        }, { additionalProperties: false }),
        response: { 201: Type.Object({ token: Type.String(), info: ref }), ...errorResponses(403, 409) },
      },
    }, async (request, reply) => {
      requireAdmin(request);
      const { name, tenant } = request.body;
      const scope = request.body.scope ?? (tenant ? 'tenant' : 'admin');
      const { token, view } = await tokens.create(name, scope, tenant ?? null, request.body.expiresInSeconds);
      return reply.status(201).send({ token, info: view });
    });

    app.get('/v1/tokens', {
      schema: { summary: 'List tokens', tags: ['tokens'], security: Security, response: { 200: listOf(ref), ...errorResponses(403) } },
    }, async (request) => {
      requireAdmin(request);
      const items = await tokens.list();
      return { items, total: items.length };
    });

    app.delete('/v1/tokens/:idOrName', {
      schema: {
        summary: 'Revoke a token',
        tags: ['tokens'],
        security: Security,
        params: Type.Object({ idOrName: Type.String() }),
        response: { 200: ref, ...errorResponses(403, 404, 409) },
      },
    }, async (request) => {
      requireAdmin(request);
      return tokens.revoke(request.params.idOrName);
    });
  };
}
