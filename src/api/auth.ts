import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import { BerthError } from '../common/errors.js';
import type { Principal, TokenService } from '../core/tokens/token-service.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

/** A route as registered, and whether it demands a token. */
export interface RouteRecord {
  method: string;
  url: string;
  authenticated: boolean;
}

const registered = new WeakMap<FastifyInstance, RouteRecord[]>();

/** Every route registered on the app so far (for tests and diagnostics). */
export function routesOf(app: FastifyInstance): readonly RouteRecord[] {
  return registered.get(app) ?? [];
}

function isProtected(url: string): boolean {
  return url === '/v1' || url.startsWith('/v1/');
}

/**
 * Every /v1 route needs a bearer token. The check is attached to each route when it is
 * registered (an onRoute hook), not matched against the request's raw URL text: a
 * percent-encoded path (`/%761/tokens`) routes to the same handler and so meets the same
 * check. Call before any route is registered. Unmatched /v1 paths answer 401 too, so a caller
 * without a token cannot probe which routes exist.
 */
export function installAuth(app: FastifyInstance, tokens: TokenService): void {
  app.decorateRequest('principal', undefined);
  const check = async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    request.principal = await tokens.authenticate(match?.[1]);
  };
  const authenticate: onRequestHookHandler = async (request) => check(request);
  const routes: RouteRecord[] = [];
  registered.set(app, routes);
  app.addHook('onRoute', (route) => {
    const authenticated = isProtected(route.url);
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, authenticated });
    if (!authenticated) return;
    const own = route.onRequest ? [route.onRequest].flat() : [];
    route.onRequest = [authenticate, ...own];
  });
  app.addHook('onRequest', async (request) => {
    // Only requests that matched no route: matched ones carry the route-level check above.
    if (request.is404 && isProtected(decodeURIComponentSafe(request.url.split('?')[0] ?? ''))) await check(request);
  });
}

function decodeURIComponentSafe(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
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
