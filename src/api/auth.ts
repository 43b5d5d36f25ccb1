import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { BerthError } from '../common/errors.js';
import type { Principal, TokenService } from '../core/tokens/token-service.js';
import type { AuthFailureGuard } from './auth-failure-guard.js';

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
export function installAuth(app: FastifyInstance, tokens: TokenService, guard?: AuthFailureGuard): void {
  app.decorateRequest('principal', undefined);
  const check = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    const token = (header ? /^Bearer\s+(\S+)$/i.exec(header) : null)?.[1];
    if (!guard || !token) {
      request.principal = await tokens.authenticate(token);
      return;
    }
    try {
      request.principal = await tokens.authenticate(token);
    } catch (error) {
      if (!(error instanceof BerthError && error.code === 'UNAUTHORIZED')) throw error;
      // Blocked already, or this failure is the one over the limit's edge: 429 from the next one on.
      const blocked = guard.blockedFor(request.ip);
      if (blocked > 0) throw guessingLimited(reply, blocked);
      guard.failed(request.ip);
      throw error;
    }
  };
  const authenticate: onRequestHookHandler = async (request, reply) => check(request, reply);
  const routes: RouteRecord[] = [];
  registered.set(app, routes);
  app.addHook('onRoute', (route) => {
    const authenticated = isProtected(route.url);
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, authenticated });
    if (!authenticated) return;
    const own = route.onRequest ? [route.onRequest].flat() : [];
    route.onRequest = [authenticate, ...own];
  });
  app.addHook('onRequest', async (request, reply) => {
    // Only requests that matched no route: matched ones carry the route-level check above.
    if (request.is404 && isProtected(decodeURIComponentSafe(request.url.split('?')[0] ?? ''))) await check(request, reply);
  });
}

function guessingLimited(reply: FastifyReply, blockedMs: number): BerthError {
  const seconds = Math.max(1, Math.ceil(blockedMs / 1000));
  void reply.header('retry-after', String(seconds));
  return new BerthError('RATE_LIMITED', `too many requests with invalid tokens from this address; retry in ${seconds}s`, {
    details: { retryAfterSeconds: seconds, reason: 'invalid-tokens' },
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
