import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BerthError } from '../common/errors.js';
import type { Principal, TokenService } from '../core/tokens/token-service.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

/** Every /v1 route needs a bearer token; the resolved principal rides on the request. */
export function installAuth(app: FastifyInstance, tokens: TokenService): void {
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/v1/') && request.url !== '/v1') return;
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    request.principal = await tokens.authenticate(match?.[1]);
  });
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new BerthError('UNAUTHORIZED', 'missing bearer token');
  return request.principal;
}

export function requireAdmin(request: FastifyRequest): Principal {
  const p = principalOf(request);
  if (p.scope !== 'admin') throw new BerthError('FORBIDDEN', 'this route needs an admin token');
  return p;
}
